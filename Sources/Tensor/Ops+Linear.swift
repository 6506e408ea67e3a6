/// How a linear layer's weight matrix is stored.
public enum WeightLayout: Sendable {
    /// `[out, in]`, as `torch.nn.Linear` (BERT).
    case outIn
    /// `[in, out]`, as GPT-2's `Conv1D`.
    case inOut
}

/// `y = x W^T + b` over the last dimension: x `[..., in]`, weight `[out, in]` (or `[in, out]` with `.inOut`),
/// bias `[out]` → y `[..., out]`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, layout: WeightLayout = .outIn) -> Tensor {
    precondition(weight.rank == 2, "linear: weight must be 2-D, got \(weight.shape)")
    let (outF, inF) = layout == .outIn ? (weight.shape[0], weight.shape[1]) : (weight.shape[1], weight.shape[0])
    precondition(x.shape.last == inF, "linear: input \(x.shape) does not end in \(inF)")
    if let bias { precondition(bias.shape == [outF], "linear: bias \(bias.shape) != [\(outF)]") }
    let n = x.count / inF  // rows: N = B*T
    let out = Tensor.empty(Array(x.shape.dropLast()) + [outF])
    let y = out.pointer
    if let bias {
        Parallel.forRanges(n, minChunk: 256) { rows in
            for r in rows { (y + r * outF).update(from: bias.pointer, count: outF) }
        }
    }
    // y[N, out] (+)= x[N, in] · W^T
    BLAS.sgemm(
        .none, layout == .outIn ? .transposed : .none, m: n, n: outF, k: inF,
        a: x.pointer, lda: inF, b: weight.pointer, ldb: layout == .outIn ? inF : outF,
        beta: bias == nil ? 0 : 1, c: y, ldc: outF)
    out.record(parents: [x, weight] + (bias.map { [$0] } ?? [])) { out in
        let dy = out.grad!.pointer  // [N, out]
        if x.requiresGrad {
            // dx[N, in] += dy[N, out] · W[out, in]   (W is [in, out] for .inOut: dy · W^T)
            BLAS.sgemm(
                .none, layout == .outIn ? .none : .transposed, m: n, n: inF, k: outF,
                a: dy, lda: outF, b: weight.pointer, ldb: layout == .outIn ? inF : outF,
                beta: 1, c: x.gradPointer(), ldc: inF)
        }
        if weight.requiresGrad {
            if layout == .outIn {
                // dW[out, in] += dy^T[out, N] · x[N, in]
                BLAS.sgemm(
                    .transposed, .none, m: outF, n: inF, k: n, a: dy, lda: outF, b: x.pointer, ldb: inF,
                    beta: 1, c: weight.gradPointer(), ldc: inF)
            } else {
                // dW[in, out] += x^T[in, N] · dy[N, out]
                BLAS.sgemm(
                    .transposed, .none, m: inF, n: outF, k: n, a: x.pointer, lda: inF, b: dy, ldb: outF,
                    beta: 1, c: weight.gradPointer(), ldc: outF)
            }
        }
        if let bias, bias.requiresGrad {
            // db[out] += Σ_rows dy, split over column blocks so threads write disjoint parts.
            let db = bias.gradPointer()
            let block = (outF + Parallel.threads * 16 - 1) / (Parallel.threads * 16) * 16  // one block per thread
            Parallel.forRanges((outF + block - 1) / block) { blocks in
                for blk in blocks {
                    let (lo, hi) = (blk * block, min(outF, (blk + 1) * block))
                    for r in 0..<n {
                        let row = dy + r * outF
                        for j in lo..<hi { db[j] += row[j] }
                    }
                }
            }
        }
    }
    return out
}

/// Matrix product of 2-D tensors, `op(a) · op(b)`: a `[M, K]` (or `[K, M]` transposed), b `[K, N]` (or `[N, K]`).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul: 2-D tensors expected, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition(k == kb, "matmul: inner dimensions differ: \(a.shape) x \(b.shape)")
    let tA: BLAS.Transpose = transposeA ? .transposed : .none
    let tB: BLAS.Transpose = transposeB ? .transposed : .none
    let out = Tensor.empty([m, n])
    BLAS.sgemm(
        tA, tB, m: m, n: n, k: k, a: a.pointer, lda: a.shape[1], b: b.pointer, ldb: b.shape[1], c: out.pointer, ldc: n)
    out.record(parents: [a, b]) { out in
        let dc = out.grad!.pointer  // [M, N]
        if a.requiresGrad {
            if transposeA {  // dA[K, M] += op(B)[K, N] · dC^T
                BLAS.sgemm(
                    tB, .transposed, m: k, n: m, k: n, a: b.pointer, lda: b.shape[1], b: dc, ldb: n,
                    beta: 1, c: a.gradPointer(), ldc: m)
            } else {  // dA[M, K] += dC · op(B)^T
                BLAS.sgemm(
                    .none, transposeB ? .none : .transposed, m: m, n: k, k: n, a: dc, lda: n,
                    b: b.pointer, ldb: b.shape[1], beta: 1, c: a.gradPointer(), ldc: k)
            }
        }
        if b.requiresGrad {
            if transposeB {  // dB[N, K] += dC^T · op(A)
                BLAS.sgemm(
                    .transposed, tA, m: n, n: k, k: m, a: dc, lda: n, b: a.pointer, ldb: a.shape[1],
                    beta: 1, c: b.gradPointer(), ldc: k)
            } else {  // dB[K, N] += op(A)^T · dC
                BLAS.sgemm(
                    transposeA ? .none : .transposed, .none, m: k, n: n, k: m, a: a.pointer,
                    lda: a.shape[1], b: dc, ldb: n, beta: 1, c: b.gradPointer(), ldc: n)
            }
        }
    }
    return out
}
