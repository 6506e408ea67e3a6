// Element-wise ops over tensors of the same shape. Kernels are plain loops over raw pointers; in release builds
// they auto-vectorise.

/// `a + b` (same shapes).
public func + (a: Tensor, b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "add: shapes differ: \(a.shape) vs \(b.shape)")
    let out = Tensor.empty(a.shape)
    let (x, y, z, n) = (a.pointer, b.pointer, out.pointer, a.count)
    Parallel.forRanges(n, minChunk: 1 << 16) { r in for i in r { z[i] = x[i] + y[i] } }
    out.record(parents: [a, b]) { out in
        let g = out.grad!.pointer
        for t in [a, b] where t.requiresGrad {
            let d = t.gradPointer()
            Parallel.forRanges(n, minChunk: 1 << 16) { r in for i in r { d[i] += g[i] } }
        }
    }
    return out
}

/// `a * b` element-wise (same shapes).
public func * (a: Tensor, b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "mul: shapes differ: \(a.shape) vs \(b.shape)")
    let out = Tensor.empty(a.shape)
    let (x, y, z, n) = (a.pointer, b.pointer, out.pointer, a.count)
    for i in 0..<n { z[i] = x[i] * y[i] }
    out.record(parents: [a, b]) { out in
        let g = out.grad!.pointer
        if a.requiresGrad {
            let d = a.gradPointer()
            for i in 0..<n { d[i] += g[i] * y[i] }
        }
        if b.requiresGrad {
            let d = b.gradPointer()
            for i in 0..<n { d[i] += g[i] * x[i] }
        }
    }
    return out
}

extension Tensor {
    /// `self * factor`.
    public func scaled(by factor: Float) -> Tensor {
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        for i in 0..<n { z[i] = x[i] * factor }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<n { d[i] += g[i] * factor }
        }
        return out
    }

    /// `self + bias` with `bias` `[C]` broadcast over the rows of `self` `[..., C]`.
    public func addingBias(_ bias: Tensor) -> Tensor {
        let c = bias.count
        precondition(bias.rank == 1 && shape.last == c, "addingBias: \(bias.shape) does not match \(shape)")
        let out = Tensor.empty(shape)
        let rows = count / max(c, 1)
        let (x, b, z) = (pointer, bias.pointer, out.pointer)
        for r in 0..<rows {
            for j in 0..<c { z[r * c + j] = x[r * c + j] + b[j] }
        }
        out.record(parents: [self, bias]) { out in
            let g = out.grad!.pointer
            if self.requiresGrad {
                let d = self.gradPointer()
                for i in 0..<rows * c { d[i] += g[i] }
            }
            if bias.requiresGrad {
                let d = bias.gradPointer()
                for r in 0..<rows {
                    for j in 0..<c { d[j] += g[r * c + j] }
                }
            }
        }
        return out
    }

    /// tanh, element-wise (BERT's pooler).
    public func tanh() -> Tensor {
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        for i in 0..<n { z[i] = FastMath.tanh(x[i]) }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<n { d[i] += g[i] * (1 - z[i] * z[i]) }
        }
        return out
    }

    /// max(x, 0), element-wise.
    public func relu() -> Tensor {
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        for i in 0..<n { z[i] = x[i] > 0 ? x[i] : 0 }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<n { d[i] += x[i] > 0 ? g[i] : 0 }
        }
        return out
    }
}
