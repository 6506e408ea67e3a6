import Foundation

/// Fused log-softmax + negative log-likelihood, averaged over the rows whose target is not `ignoreIndex`
/// (PyTorch's `cross_entropy(..., ignore_index=-100, reduction="mean")`).
///
/// logits `[N, V]` (or `[..., V]`), targets: N class indices → a scalar. Backward writes
/// `(softmax(logits) - onehot(target)) / count` without storing the `[N, V]` probabilities: it recomputes them from
/// the per-row log-sum-exp kept from the forward pass. If every target is ignored the loss is 0 (not NaN, unlike
/// PyTorch) and so are the gradients.
public func crossEntropy(logits: Tensor, targets: [Int32], ignoreIndex: Int32 = -100) -> Tensor {
    let v = logits.shape.last ?? 0
    let n = logits.count / max(v, 1)
    precondition(targets.count == n, "crossEntropy: \(targets.count) targets for \(n) rows")
    for t in targets where t != ignoreIndex {
        precondition(t >= 0 && Int(t) < v, "crossEntropy: target \(t) outside [0, \(v))")
    }
    let lse = Storage(count: n, zeroed: false)  // [N] log-sum-exp per row
    let rowLoss = Storage(count: n)  // [N]
    let lp = logits.pointer
    let (lsep, rl) = (lse.pointer, rowLoss.pointer)
    targets.withUnsafeBufferPointer { tg in
        Parallel.forRanges(n, minChunk: 8) { rows in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: v)
            defer { scratch.deallocate() }
            for r in rows {
                let row = lp + r * v
                let mx = vmax(row, v)
                for j in 0..<v { scratch[j] = FastMath.exp(row[j] - mx) }
                let l = mx + Foundation.log(vsum(scratch, v))
                lsep[r] = l
                if tg[r] != ignoreIndex { rl[r] = l - row[Int(tg[r])] }
            }
        }
    }
    let valid = targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
    var total: Double = 0
    for r in 0..<n { total += Double(rl[r]) }
    let out = Tensor([valid == 0 ? 0 : Float(total / Double(valid))], shape: [])
    out.record(parents: [logits]) { out in
        guard valid > 0 else { return }
        let scale = out.grad!.pointer[0] / Float(valid)
        let d = logits.gradPointer()
        targets.withUnsafeBufferPointer { tg in
            Parallel.forRanges(n, minChunk: 8) { rows in
                for r in rows where tg[r] != ignoreIndex {
                    let row = lp + r * v
                    let drow = d + r * v
                    let l = lsep[r]
                    for j in 0..<v { drow[j] += FastMath.exp(row[j] - l) * scale }
                    drow[Int(tg[r])] -= scale
                }
            }
        }
        withExtendedLifetime(lse) {}
    }
    return out
}

extension Tensor {
    /// Softmax over the last dimension.
    public func softmax() -> Tensor {
        let v = shape.last ?? 0
        let n = count / max(v, 1)
        let out = Tensor.empty(shape)
        let (x, y) = (pointer, out.pointer)
        Parallel.forRanges(n, minChunk: 8) { rows in
            for r in rows { softmaxRow(x + r * v, y + r * v, v) }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            Parallel.forRanges(n, minChunk: 8) { rows in
                for r in rows { softmaxBackwardRow(y + r * v, g + r * v, d + r * v, v) }
            }
        }
        return out
    }
}

/// y = softmax(x) over `n` entries (x and y may alias).
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let mx = vmax(x, n)
    for j in 0..<n { y[j] = FastMath.exp(x[j] - mx) }
    let inv = 1 / vsum(y, n)
    for j in 0..<n { y[j] *= inv }
}

/// dx += y * (dy - Σ dy·y), the softmax Jacobian-vector product.
@inline(__always)
func softmaxBackwardRow(
    _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ n: Int
) {
    let dot = vdot(dy, y, n)
    for j in 0..<n { dx[j] += y[j] * (dy[j] - dot) }
}
