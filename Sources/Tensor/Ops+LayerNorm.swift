/// Layer normalisation over the last dimension: x `[..., C]`, weight and bias `[C]`.
///
/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, biased variance as in PyTorch. Keeps mean and 1/std per row
/// for backward.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
    let c = x.shape.last ?? 0
    precondition(weight.shape == [c] && bias.shape == [c], "layerNorm: weight/bias must be [\(c)]")
    let n = x.count / max(c, 1)
    let out = Tensor.empty(x.shape)
    let mean = Storage(count: n, zeroed: false)  // [N]
    let rstd = Storage(count: n, zeroed: false)  // [N]
    let (xp, yp, w, b, mp, rp) = (x.pointer, out.pointer, weight.pointer, bias.pointer, mean.pointer, rstd.pointer)
    Parallel.forRanges(n, minChunk: 64) { rows in
        for r in rows {
            let row = xp + r * c
            let m = vsum(row, c) / Float(c)
            let rs = 1 / (vsumSquaredDeviation(row, m, c) / Float(c) + eps).squareRoot()
            mp[r] = m
            rp[r] = rs
            let o = yp + r * c
            for j in 0..<c { o[j] = (row[j] - m) * rs * w[j] + b[j] }
        }
    }
    out.record(parents: [x, weight, bias]) { out in
        let dy = out.grad!.pointer
        if x.requiresGrad {
            let dx = x.gradPointer()
            Parallel.forRanges(n, minChunk: 64) { rows in
                let dxhat = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c)
                defer { dxhat.deallocate() }
                let xhat = dxhat + c
                for r in rows {
                    let row = xp + r * c
                    let g = dy + r * c
                    let m = mp[r]
                    let rs = rp[r]
                    // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * w
                    for j in 0..<c {
                        dxhat[j] = g[j] * w[j]
                        xhat[j] = (row[j] - m) * rs
                    }
                    let meanD = vsum(dxhat, c) / Float(c)
                    let meanDX = vdot(dxhat, xhat, c) / Float(c)
                    let d = dx + r * c
                    for j in 0..<c { d[j] += rs * (dxhat[j] - meanD - xhat[j] * meanDX) }
                }
            }
        }
        if weight.requiresGrad || bias.requiresGrad {
            let dw = weight.requiresGrad ? weight.gradPointer() : nil
            let db = bias.requiresGrad ? bias.gradPointer() : nil
            for r in 0..<n {
                let row = xp + r * c
                let g = dy + r * c
                let m = mp[r]
                let rs = rp[r]
                if let dw {
                    for j in 0..<c { dw[j] += g[j] * (row[j] - m) * rs }
                }
                if let db {
                    for j in 0..<c { db[j] += g[j] }
                }
            }
        }
        withExtendedLifetime((mean, rstd)) {}
    }
    return out
}
