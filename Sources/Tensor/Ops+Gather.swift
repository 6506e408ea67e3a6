extension Tensor {
    /// Rows `rows` of a `[N, C]` tensor (any rank: the last dimension is C, the others are flattened into N)
    /// → `[M, C]`, M = `rows.count`; rows may repeat. Backward scatter-adds into the selected rows.
    ///
    /// The MLM head uses it to compute logits only at the masked positions: `[B·T, C]` → `[M, C]`, so the decoder
    /// product is `[M, V]` instead of `[B·T, V]`.
    public func gatheringRows(_ rows: [Int]) -> Tensor {
        let c = shape.last ?? 1
        let n = count / Swift.max(c, 1)
        for r in rows { precondition(r >= 0 && r < n, "gatheringRows: row \(r) outside [0, \(n))") }
        let out = Tensor.empty([rows.count, c])
        let (x, y) = (pointer, out.pointer)
        for (i, r) in rows.enumerated() { (y + i * c).update(from: x + r * c, count: c) }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for (i, r) in rows.enumerated() {
                let dst = d + r * c
                let src = g + i * c
                for j in 0..<c { dst[j] += src[j] }
            }
        }
        return out
    }
}
