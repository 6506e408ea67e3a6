extension Tensor {
    /// The tensor with its axes reordered: result axis `i` is input axis `axes[i]` (as `torch.permute`), copied into
    /// contiguous storage. E.g. `[B, T, NH, hs]` → `[B, NH, T, hs]` with `[0, 2, 1, 3]`. The attention kernel reads
    /// heads in place with strided BLAS and does not need this; it is for export and for layers that do.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permuted: \(axes) is not a permutation of 0..<\(rank)")
        let outShape = axes.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = axes.map { inStrides[$0] }  // input stride of each output axis
        let out = Tensor.empty(outShape)
        Tensor.permuteCopy(from: pointer, to: out.pointer, shape: outShape, sourceStrides: strides)
        out.record(parents: [self]) { out in
            // Backward scatters each output gradient element back to its source position.
            Tensor.permuteCopy(
                from: out.grad!.pointer, to: self.gradPointer(), shape: outShape, sourceStrides: strides,
                reverse: true)
        }
        return out
    }

    /// A 2-D tensor's transpose, `[M, N]` → `[N, M]`.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed: 2-D tensor expected, got \(shape)")
        return permuted([1, 0])
    }

    /// Walks the output index space in row-major order; `sourceStrides[i]` is the source stride of output axis i.
    /// Forward: dst[o] = src[s(o)]. Reverse (backward): dst[s(o)] += src[o].
    static func permuteCopy(
        from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, shape: [Int], sourceStrides: [Int],
        reverse: Bool = false
    ) {
        let total = shape.reduce(1, *)
        guard total > 0 else { return }
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0  // source offset of the current output element
        for o in 0..<total {
            if reverse {
                dst[offset] += src[o]
            } else {
                dst[o] = src[offset]
            }
            // Increment the multi-index (last axis fastest), updating the source offset.
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += sourceStrides[axis]
                if index[axis] < shape[axis] { break }
                offset -= sourceStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
