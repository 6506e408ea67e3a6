/// Joins tensors along `axis`: every shape equal except along `axis` → the sum of their sizes there.
///
/// Seen as `[outer, size_i · inner]` blocks per input, the output interleaves each input's block per outer index.
/// Backward copies each block of the gradient back to its input.
public func concatenated(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concatenated: no tensors")
    let first = tensors[0].shape
    let rank = first.count
    let ax = axis < 0 ? axis + rank : axis
    precondition(ax >= 0 && ax < rank, "concatenated: axis \(axis) outside rank \(rank)")
    for t in tensors {
        precondition(
            t.rank == rank && (0..<rank).allSatisfy { $0 == ax || t.shape[$0] == first[$0] },
            "concatenated: shapes \(tensors.map(\.shape)) differ outside axis \(ax)")
    }
    let outer = first[..<ax].reduce(1, *)
    let inner = first[(ax + 1)...].reduce(1, *)
    let sizes = tensors.map { $0.shape[ax] * inner }  // elements per outer index, per input
    let total = sizes.reduce(0, +)
    var shape = first
    shape[ax] = tensors.reduce(0) { $0 + $1.shape[ax] }
    let out = Tensor.empty(shape)
    let y = out.pointer
    var offset = 0
    for (t, size) in zip(tensors, sizes) {
        for o in 0..<outer { (y + o * total + offset).update(from: t.pointer + o * size, count: size) }
        offset += size
    }
    out.record(parents: tensors) { out in
        let g = out.grad!.pointer
        var offset = 0
        for (t, size) in zip(tensors, sizes) {
            if t.requiresGrad {
                let d = t.gradPointer()
                for o in 0..<outer {
                    let (dst, src) = (d + o * size, g + o * total + offset)
                    for j in 0..<size { dst[j] += src[j] }
                }
            }
            offset += size
        }
    }
    return out
}

/// Stacks same-shaped tensors along a new dimension `axis`: n tensors of shape S → S with n inserted at `axis`.
public func stacked(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    precondition(!tensors.isEmpty, "stacked: no tensors")
    let shape = tensors[0].shape
    let ax = axis < 0 ? axis + shape.count + 1 : axis
    precondition(ax >= 0 && ax <= shape.count, "stacked: axis \(axis) outside 0...\(shape.count)")
    for t in tensors { precondition(t.shape == shape, "stacked: shapes differ: \(tensors.map(\.shape))") }
    var expanded = shape
    expanded.insert(1, at: ax)
    return concatenated(tensors.map { $0.reshaped(expanded) }, axis: ax)
}
