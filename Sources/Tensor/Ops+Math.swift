import Foundation

// Element-wise exp, log and sigmoid (loss weighting, gates, perplexity). Each backward is written from the output
// where that is cheaper (exp, sigmoid).

extension Tensor {
    /// eˣ, element-wise.
    public func exp() -> Tensor {
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        for i in 0..<n { z[i] = Foundation.exp(x[i]) }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<n { d[i] += g[i] * z[i] }
        }
        return out
    }

    /// The natural logarithm, element-wise (−inf at 0, NaN below, as `torch.log`).
    public func log() -> Tensor {
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        for i in 0..<n { z[i] = Foundation.log(x[i]) }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<n { d[i] += g[i] / x[i] }
        }
        return out
    }

    /// 1 / (1 + e⁻ˣ), element-wise, computed without overflow for large |x|.
    public func sigmoid() -> Tensor {
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        for i in 0..<n {
            if x[i] >= 0 {
                z[i] = 1 / (1 + Foundation.exp(-x[i]))
            } else {
                let e = Foundation.exp(x[i])
                z[i] = e / (1 + e)
            }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<n { d[i] += g[i] * z[i] * (1 - z[i]) }
        }
        return out
    }
}
