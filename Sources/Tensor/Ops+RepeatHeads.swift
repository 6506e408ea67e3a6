extension Tensor {
    /// Grouped-query attention's key/value expansion (HF `repeat_kv`): `self` `[B, T, NKV·hs]` →
    /// `[B, T, NKV·groups·hs]`, output head h being input head h / groups. Backward sums each group.
    public func repeatingHeads(_ nkv: Int, groups: Int) -> Tensor {
        precondition(rank == 3 && nkv > 0 && shape[2] % nkv == 0 && groups > 0, "repeatingHeads: bad \(shape)")
        if groups == 1 { return self }
        let (rows, c) = (shape[0] * shape[1], shape[2])
        let hs = c / nkv, oc = c * groups
        let out = Tensor.empty([shape[0], shape[1], oc])
        let (x, y) = (pointer, out.pointer)
        for r in 0..<rows {
            for h in 0..<(nkv * groups) {
                (y + r * oc + h * hs).update(from: x + r * c + (h / groups) * hs, count: hs)
            }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for r in 0..<rows {
                for h in 0..<(nkv * groups) {
                    let src = g + r * oc + h * hs, dst = d + r * c + (h / groups) * hs
                    for i in 0..<hs { dst[i] += src[i] }
                }
            }
        }
        return out
    }
}
