extension Tensor {
    /// The sum of all elements → a scalar (accumulated in Double).
    public func sum() -> Tensor {
        var s: Double = 0
        let (x, n) = (pointer, count)
        for i in 0..<n { s += Double(x[i]) }
        let out = Tensor([Float(s)], shape: [])
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer[0]
            let d = self.gradPointer()
            for i in 0..<n { d[i] += g }
        }
        return out
    }

    /// The mean of all elements → a scalar.
    public func mean() -> Tensor { sum().scaled(by: 1 / Float(Swift.max(count, 1))) }

    /// Token `index` of every sequence: `[B, T, C]` → `[B, C]` (BERT's pooler reads `[CLS]`, index 0).
    public func selectingToken(_ index: Int) -> Tensor {
        precondition(rank == 3 && index >= 0 && index < shape[1], "selectingToken(\(index)) of \(shape)")
        let (nb, nt, c) = (shape[0], shape[1], shape[2])
        let out = Tensor.empty([nb, c])
        for b in 0..<nb { (out.pointer + b * c).update(from: pointer + (b * nt + index) * c, count: c) }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for b in 0..<nb {
                let dst = d + (b * nt + index) * c
                for j in 0..<c { dst[j] += g[b * c + j] }
            }
        }
        return out
    }

    /// Mean over the tokens whose `mask` entry is nonzero: `[B, T, C]`, mask `[B, T]` → `[B, C]`
    /// (sentence-transformers mean pooling; clamps the token count at 1e-9 like it does).
    public func meanPooled(mask: [Int32]) -> Tensor {
        precondition(rank == 3 && mask.count == shape[0] * shape[1], "meanPooled: mask must be [B, T] for \(shape)")
        let (nb, nt, c) = (shape[0], shape[1], shape[2])
        let out = Tensor(zeros: [nb, c])
        var inv = [Float](repeating: 0, count: nb)
        for b in 0..<nb {
            let n = (0..<nt).reduce(0) { $0 + (mask[b * nt + $1] != 0 ? 1 : 0) }
            inv[b] = 1 / Swift.max(Float(n), 1e-9)
            let o = out.pointer + b * c
            for t in 0..<nt where mask[b * nt + t] != 0 {
                let x = pointer + (b * nt + t) * c
                for j in 0..<c { o[j] += x[j] }
            }
            for j in 0..<c { o[j] *= inv[b] }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for b in 0..<nb {
                for t in 0..<nt where mask[b * nt + t] != 0 {
                    let dst = d + (b * nt + t) * c
                    for j in 0..<c { dst[j] += g[b * c + j] * inv[b] }
                }
            }
        }
        return out
    }

    /// Each row divided by its L2 norm (clamped at `eps`, like `torch.nn.functional.normalize`): `[N, C]` → `[N, C]`.
    public func l2Normalized(eps: Float = 1e-12) -> Tensor {
        let c = shape.last ?? 0
        let n = count / Swift.max(c, 1)
        let out = Tensor.empty(shape)
        var norms = [Float](repeating: 0, count: n)
        for r in 0..<n {
            let x = pointer + r * c
            var s: Float = 0
            for j in 0..<c { s += x[j] * x[j] }
            norms[r] = Swift.max(s.squareRoot(), eps)
            for j in 0..<c { out.pointer[r * c + j] = x[j] / norms[r] }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            let y = out.pointer
            for r in 0..<n {
                // d x = (g - y (g·y)) / ‖x‖ (when the norm is not clamped)
                var dot: Float = 0
                for j in 0..<c { dot += g[r * c + j] * y[r * c + j] }
                let clamped = norms[r] == eps
                for j in 0..<c {
                    let gj = g[r * c + j]
                    d[r * c + j] += clamped ? gj / eps : (gj - y[r * c + j] * dot) / norms[r]
                }
            }
        }
        return out
    }
}

extension Tensor {
    /// The sum over dimension `axis` (negative counts from the end): `[..., D, ...]` → `[..., ...]`, or
    /// `[..., 1, ...]` when `keepingDimension`.
    public func sum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let ax = axis < 0 ? axis + rank : axis
        precondition(ax >= 0 && ax < rank, "sum(axis: \(axis)) of \(shape)")
        let outer = shape[..<ax].reduce(1, *)
        let d = shape[ax]
        let inner = shape[(ax + 1)...].reduce(1, *)
        var newShape = shape
        if keepingDimension { newShape[ax] = 1 } else { newShape.remove(at: ax) }
        let out = Tensor(zeros: newShape)
        let (x, y) = (pointer, out.pointer)
        for o in 0..<outer {
            for k in 0..<d {
                let src = x + (o * d + k) * inner
                let dst = y + o * inner
                for j in 0..<inner { dst[j] += src[j] }
            }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let dx = self.gradPointer()
            for o in 0..<outer {
                for k in 0..<d {
                    let dst = dx + (o * d + k) * inner
                    let src = g + o * inner
                    for j in 0..<inner { dst[j] += src[j] }
                }
            }
        }
        return out
    }

    /// The mean over dimension `axis`; see ``sum(axis:keepingDimension:)``.
    public func mean(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let ax = axis < 0 ? axis + rank : axis
        precondition(ax >= 0 && ax < rank, "mean(axis: \(axis)) of \(shape)")
        return sum(axis: ax, keepingDimension: keepingDimension).scaled(by: 1 / Float(Swift.max(shape[ax], 1)))
    }

    /// The maximum over dimension `axis`; the gradient goes to the first maximal element of each slice.
    public func maximum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let ax = axis < 0 ? axis + rank : axis
        precondition(ax >= 0 && ax < rank && shape[ax] > 0, "maximum(axis: \(axis)) of \(shape)")
        let outer = shape[..<ax].reduce(1, *)
        let d = shape[ax]
        let inner = shape[(ax + 1)...].reduce(1, *)
        var newShape = shape
        if keepingDimension { newShape[ax] = 1 } else { newShape.remove(at: ax) }
        let out = Tensor.empty(newShape)
        var argmax = [Int](repeating: 0, count: outer * inner)
        let (x, y) = (pointer, out.pointer)
        for o in 0..<outer {
            for j in 0..<inner {
                var best = x[o * d * inner + j]
                var at = 0
                for k in 1..<d where x[(o * d + k) * inner + j] > best {
                    best = x[(o * d + k) * inner + j]
                    at = k
                }
                y[o * inner + j] = best
                argmax[o * inner + j] = at
            }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let dx = self.gradPointer()
            for o in 0..<outer {
                for j in 0..<inner { dx[(o * d + argmax[o * inner + j]) * inner + j] += g[o * inner + j] }
            }
        }
        return out
    }
}
