/// Root-mean-square normalisation over the last dimension (Llama's `LlamaRMSNorm`): x `[..., C]`, weight `[C]`.
///
/// `y = x / sqrt(mean(x²) + eps) * weight`, in float32 as HF computes it. Keeps 1/rms per row for backward.
public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
    let c = x.shape.last ?? 0
    precondition(weight.shape == [c], "rmsNorm: weight must be [\(c)], got \(weight.shape)")
    let n = x.count / max(c, 1)
    let out = Tensor.empty(x.shape)
    let rstd = Storage(count: n, zeroed: false)  // [N]
    let (xp, yp, w, rp) = (x.pointer, out.pointer, weight.pointer, rstd.pointer)
    Parallel.forRanges(n, minChunk: 64) { rows in
        for r in rows {
            let row = xp + r * c
            let rs = 1 / (vdot(row, row, c) / Float(c) + eps).squareRoot()
            rp[r] = rs
            let o = yp + r * c
            for j in 0..<c { o[j] = w[j] * (row[j] * rs) }
        }
    }
    out.record(parents: [x, weight]) { out in
        let dy = out.grad!.pointer
        if x.requiresGrad {
            let dx = x.gradPointer()
            Parallel.forRanges(n, minChunk: 64) { rows in
                for r in rows {
                    let row = xp + r * c
                    let g = dy + r * c
                    let rs = rp[r]
                    // dx = rstd · (dy·w − x̂ · mean(dy·w·x̂)), x̂ = x · rstd
                    var m: Float = 0
                    for j in 0..<c { m += g[j] * w[j] * row[j] * rs }
                    m /= Float(c)
                    let d = dx + r * c
                    for j in 0..<c { d[j] += rs * (g[j] * w[j] - row[j] * rs * m) }
                }
            }
        }
        if weight.requiresGrad {
            let dw = weight.gradPointer()
            for r in 0..<n {
                let row = xp + r * c
                let g = dy + r * c
                let rs = rp[r]
                for j in 0..<c { dw[j] += g[j] * row[j] * rs }
            }
        }
        withExtendedLifetime(rstd) {}
    }
    return out
}
