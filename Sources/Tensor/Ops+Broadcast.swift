/// The shape two shapes broadcast to (NumPy rules: right-aligned, each dimension equal or 1), or nil.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for k in 0..<rank {
        let da = k < rank - a.count ? 1 : a[k - (rank - a.count)]
        let db = k < rank - b.count ? 1 : b[k - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else { return nil }
        out[k] = Swift.max(da, db)
    }
    return out
}

/// `a * b` with NumPy broadcasting (e.g. `[B, T, C] * [B, T, 1]` for per-token weights, `[K, C] * [C]` for gates).
/// Each input's gradient is summed over the dimensions it was broadcast along.
public func multiplied(_ a: Tensor, _ b: Tensor) -> Tensor {
    if a.shape == b.shape { return a * b }
    guard let shape = broadcastShape(a.shape, b.shape) else {
        preconditionFailure("multiplied: shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let sa = broadcastStrides(a.shape, to: shape)
    let sb = broadcastStrides(b.shape, to: shape)
    let out = Tensor.empty(shape)
    let (x, y, z) = (a.pointer, b.pointer, out.pointer)
    forEachBroadcastIndex(shape, sa, sb) { i, ia, ib in z[i] = x[ia] * y[ib] }
    out.record(parents: [a, b]) { out in
        let g = out.grad!.pointer
        let da = a.requiresGrad ? a.gradPointer() : nil
        let db = b.requiresGrad ? b.gradPointer() : nil
        forEachBroadcastIndex(shape, sa, sb) { i, ia, ib in
            da?[ia] += g[i] * y[ib]
            db?[ib] += g[i] * x[ia]
        }
    }
    return out
}

/// Element strides of `shape` seen as `target` (0 along broadcast dimensions).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let pad = target.count - shape.count
    var strides = [Int](repeating: 0, count: target.count)
    var s = 1
    for k in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[k + pad] = shape[k] == 1 ? 0 : s
        s *= shape[k]
    }
    return strides
}

/// Calls `body(outputIndex, indexInA, indexInB)` for every element of `shape`, row-major.
func forEachBroadcastIndex(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    let rank = shape.count
    var idx = [Int](repeating: 0, count: rank)
    var (ia, ib) = (0, 0)
    for i in 0..<total {
        body(i, ia, ib)
        var k = rank - 1
        while k >= 0 {
            idx[k] += 1
            ia += sa[k]
            ib += sb[k]
            if idx[k] < shape[k] { break }
            ia -= sa[k] * shape[k]
            ib -= sb[k] * shape[k]
            idx[k] = 0
            k -= 1
        }
    }
}
