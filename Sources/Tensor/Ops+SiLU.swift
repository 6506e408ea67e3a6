import Foundation

extension Tensor {
    /// `x · sigmoid(x)` element-wise (SiLU / swish, the gate of Llama's SwiGLU MLP).
    public func silu() -> Tensor {
        let out = Tensor.empty(shape)
        let (x, y, n) = (pointer, out.pointer, count)
        for i in 0..<n { y[i] = x[i] / (1 + Foundation.exp(-x[i])) }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<n {
                let s = 1 / (1 + Foundation.exp(-x[i]))
                d[i] += g[i] * (s + x[i] * s * (1 - s))
            }
        }
        return out
    }
}
