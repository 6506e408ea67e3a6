/// Row gather: table `[V, C]`, ids (N of them, each in `0..<V`) → `[N, C]` (reshape as needed, e.g. `[B, T, C]`).
/// Backward scatter-adds into the table's gradient.
public func embedding(_ table: Tensor, ids: [Int32]) -> Tensor {
    precondition(table.rank == 2, "embedding: table must be 2-D, got \(table.shape)")
    let (v, c) = (table.shape[0], table.shape[1])
    for id in ids { precondition(id >= 0 && Int(id) < v, "embedding: id \(id) outside [0, \(v))") }
    let out = Tensor.empty([ids.count, c])
    let (w, y) = (table.pointer, out.pointer)
    for (r, id) in ids.enumerated() { (y + r * c).update(from: w + Int(id) * c, count: c) }
    out.record(parents: [table]) { out in
        let g = out.grad!.pointer
        let d = table.gradPointer()
        for (r, id) in ids.enumerated() {
            let dst = d + Int(id) * c
            let src = g + r * c
            for j in 0..<c { dst[j] += src[j] }
        }
    }
    return out
}
