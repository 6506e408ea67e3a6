import Foundation

/// Which keys a query may attend to in ``selfAttention(query:key:value:heads:keyMask:causal:dropout:rng:)``.
public struct AttentionMask: Sendable {
    /// `[B, T]`, nonzero for real tokens, 0 for padding keys (HF `attention_mask`); `nil` attends to every key.
    public var keyMask: [Int32]?
    /// Whether query `i` sees only keys `j <= i` (GPT).
    public var causal: Bool

    public init(keyMask: [Int32]? = nil, causal: Bool = false) {
        self.keyMask = keyMask
        self.causal = causal
    }
}

/// Multi-head scaled dot-product self-attention over per-head slices, without permuting to `[B, NH, T, hs]`.
///
/// query, key, value: `[B, T, C]` → `[B, T, C]`, head `h` being columns `h*hs ..< (h+1)*hs`, hs = C / NH.
/// Per (b, h): `S = Q Kᵀ / √hs` `[T, T]`, masked softmax → P, dropout(P), `O = P V`. P `[B, NH, T, T]` is kept for
/// backward; the dropout mask is regenerated from `rng`. Work is split over the B·NH heads with single-threaded BLAS.
public func selfAttention(
    query: Tensor, key: Tensor, value: Tensor, heads: Int, mask: AttentionMask = .init(), dropout: Float = 0,
    rng: CounterRNG? = nil
) -> Tensor {
    precondition(
        query.rank == 3 && key.shape == query.shape && value.shape == query.shape,
        "selfAttention: q/k/v must share a [B, T, C] shape: \(query.shape) \(key.shape) \(value.shape)")
    let c = query.shape[2]
    return attentionCore(
        q: .init(tensor: query, offset: 0, ld: c), k: .init(tensor: key, offset: 0, ld: c),
        v: .init(tensor: value, offset: 0, ld: c), batch: query.shape[0], time: query.shape[1], channels: c,
        heads: heads, mask: mask, dropout: dropout, rng: rng)
}

/// Self-attention over a fused projection `qkv` `[B, T, 3C]` (GPT-2's `c_attn` output: q, then k, then v) → `[B, T, C]`.
public func selfAttention(
    qkv: Tensor, heads: Int, mask: AttentionMask = .init(), dropout: Float = 0, rng: CounterRNG? = nil
) -> Tensor {
    precondition(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "selfAttention: qkv must be [B, T, 3C], got \(qkv.shape)")
    let c = qkv.shape[2] / 3
    return attentionCore(
        q: .init(tensor: qkv, offset: 0, ld: 3 * c), k: .init(tensor: qkv, offset: c, ld: 3 * c),
        v: .init(tensor: qkv, offset: 2 * c, ld: 3 * c), batch: qkv.shape[0], time: qkv.shape[1], channels: c,
        heads: heads, mask: mask, dropout: dropout, rng: rng)
}

/// A `[B, T, ld]` tensor read from column `offset` on.
struct AttentionOperand {
    let tensor: Tensor
    let offset: Int
    let ld: Int
}

private func attentionCore(
    q: AttentionOperand, k: AttentionOperand, v: AttentionOperand, batch nb: Int, time nt: Int, channels c: Int,
    heads nh: Int, mask: AttentionMask, dropout p: Float, rng: CounterRNG?
) -> Tensor {
    precondition(nh > 0 && c % nh == 0, "selfAttention: \(c) channels not divisible by \(nh) heads")
    precondition(p >= 0 && p < 1, "selfAttention: dropout \(p) outside [0, 1)")
    precondition(p == 0 || rng != nil, "selfAttention: dropout needs an rng")
    if let km = mask.keyMask { precondition(km.count == nb * nt, "selfAttention: key mask must be [B, T]") }
    let hs = c / nh
    let scale = 1 / Float(hs).squareRoot()
    let keepScale = 1 / (1 - p)
    let out = Tensor.empty([nb, nt, c])
    let probs = Storage(count: nb * nh * nt * nt, zeroed: false)  // P: [B, NH, T, T]
    // [B, T] as 0/1 multipliers; a mask without padding is dropped (the unmasked path is cheaper).
    let allKept = mask.keyMask?.allSatisfy { $0 != 0 } ?? true
    let keyMask = allKept ? [] : mask.keyMask!.map { Float($0 != 0 ? 1 : 0) }
    let causal = mask.causal
    let (qb, kb, vb, ob, pb) = (q.tensor.pointer, k.tensor.pointer, v.tensor.pointer, out.pointer, probs.pointer)

    /// Index of the first element of head h of batch b in an operand.
    @inline(__always) func at(_ o: AttentionOperand, _ b: Int, _ h: Int) -> Int { b * nt * o.ld + o.offset + h * hs }

    /// Pd = dropout(P) for one head into `dst` (the counter is the element's index in P).
    @inline(__always) func dropped(_ pp: UnsafePointer<Float>, _ bh: Int, _ dst: UnsafeMutablePointer<Float>) {
        rng!.fillDropoutMultipliers(dst, count: nt * nt, offset: bh * nt * nt, p: p, scale: keepScale)
        for i in 0..<nt * nt { dst[i] *= pp[i] }
    }

    keyMask.withUnsafeBufferPointer { maskF in
        Parallel.forEachWithSerialBLAS(nb * nh) { bh in
            let (b, h) = (bh / nh, bh % nh)
            let pp = pb + bh * nt * nt  // [T, T]
            // S = Q Kᵀ · scale
            BLAS.sgemm(
                .none, .transposed, m: nt, n: nt, k: hs, alpha: scale, a: qb + at(q, b, h), lda: q.ld,
                b: kb + at(k, b, h), ldb: k.ld, c: pp, ldc: nt)
            // Masked softmax per query row i over keys j < limit with keyMask 1; masked entries become exactly 0.
            let keep = maskF.isEmpty ? nil : maskF.baseAddress! + b * nt
            let work = UnsafeMutablePointer<Float>.allocate(capacity: nt * nt)
            defer { work.deallocate() }
            for i in 0..<nt {
                let row = pp + i * nt
                let limit = causal ? i + 1 : nt
                if let keep {
                    // Masked scores to -inf in scratch for a vectorised max; exp(...) * keep zeroes them exactly.
                    for j in 0..<limit { work[j] = keep[j] != 0 ? row[j] : -Float.infinity }
                    let mx = vmax(work, limit)
                    if mx == -.infinity {  // every key masked: attend to nothing
                        for j in 0..<nt { row[j] = 0 }
                        continue
                    }
                    for j in 0..<limit { row[j] = FastMath.exp(row[j] - mx) * keep[j] }
                    let inv = 1 / vsum(row, limit)
                    for j in 0..<limit { row[j] *= inv }
                } else {
                    softmaxRow(row, row, limit)
                }
                for j in limit..<nt { row[j] = 0 }
            }
            // O = dropout(P) V
            var pd = UnsafePointer(pp)
            if p > 0 {
                dropped(pp, bh, work)
                pd = UnsafePointer(work)
            }
            BLAS.sgemm(
                .none, .none, m: nt, n: hs, k: nt, a: pd, lda: nt, b: vb + at(v, b, h), ldb: v.ld,
                c: ob + b * nt * c + h * hs, ldc: c)
        }
    }

    let parents = [q.tensor, k.tensor, v.tensor]
    out.record(parents: parents) { out in
        let dob = out.grad!.pointer  // dO: [B, T, C]
        // Gradient buffers, allocated before going parallel; q/k/v may be one tensor (fused qkv).
        let dq = q.tensor.requiresGrad ? q.tensor.gradPointer() : nil
        let dk = k.tensor.requiresGrad ? k.tensor.gradPointer() : nil
        let dv = v.tensor.requiresGrad ? v.tensor.gradPointer() : nil
        Parallel.forEachWithSerialBLAS(nb * nh) { bh in
            let (b, h) = (bh / nh, bh % nh)
            let pp = pb + bh * nt * nt
            let dO = dob + b * nt * c + h * hs
            let work = UnsafeMutablePointer<Float>.allocate(capacity: 3 * nt * nt)
            defer { work.deallocate() }
            let dP = work  // [T, T]
            let keepScaled = work + 2 * nt * nt  // dropout multipliers: 0 or 1/(1-p)
            var pd = UnsafePointer(pp)
            if p > 0 {
                rng!.fillDropoutMultipliers(keepScaled, count: nt * nt, offset: bh * nt * nt, p: p, scale: keepScale)
                let pdm = work + nt * nt
                for i in 0..<nt * nt { pdm[i] = pp[i] * keepScaled[i] }
                pd = UnsafePointer(pdm)
            }
            if let dv {  // dV += Pdᵀ dO
                BLAS.sgemm(
                    .transposed, .none, m: nt, n: hs, k: nt, a: pd, lda: nt, b: dO, ldb: c, beta: 1,
                    c: dv + at(v, b, h), ldc: v.ld)
            }
            guard dq != nil || dk != nil else { return }
            // dPd = dO Vᵀ
            BLAS.sgemm(
                .none, .transposed, m: nt, n: nt, k: hs, a: dO, lda: c, b: vb + at(v, b, h), ldb: v.ld,
                c: dP, ldc: nt)
            if p > 0 {
                for i in 0..<nt * nt { dP[i] *= keepScaled[i] }
            }
            // dS = P ⊙ (dP - Σ dP·P) · scale, written over dP
            for i in 0..<nt {
                let prow = pp + i * nt
                let drow = dP + i * nt
                let dot = vdot(drow, prow, nt)
                for j in 0..<nt { drow[j] = prow[j] * (drow[j] - dot) * scale }
            }
            if let dq {  // dQ += dS K
                BLAS.sgemm(
                    .none, .none, m: nt, n: hs, k: nt, a: dP, lda: nt, b: kb + at(k, b, h), ldb: k.ld,
                    beta: 1, c: dq + at(q, b, h), ldc: q.ld)
            }
            if let dk {  // dK += dSᵀ Q
                BLAS.sgemm(
                    .transposed, .none, m: nt, n: hs, k: nt, a: dP, lda: nt, b: qb + at(q, b, h), ldb: q.ld,
                    beta: 1, c: dk + at(k, b, h), ldc: k.ld)
            }
        }
        withExtendedLifetime(probs) {}
    }
    return out
}
