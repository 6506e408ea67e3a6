extension Tensor {
    /// Inverted dropout: zeroes each element with probability `p` and scales survivors by `1/(1-p)`.
    ///
    /// The mask of element `i` is `rng.fillDropoutMultipliers` at counter `i`; it is regenerated in backward rather
    /// than stored. `p == 0` returns `self` unchanged.
    public func dropout(_ p: Float, rng: CounterRNG) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        let scale = 1 / (1 - p)
        Tensor.dropoutChunks(n, rng: rng, p: p, scale: scale) { range, m in
            for i in range { z[i] = x[i] * m[i - range.lowerBound] }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            Tensor.dropoutChunks(n, rng: rng, p: p, scale: scale) { range, m in
                for i in range { d[i] += g[i] * m[i - range.lowerBound] }
            }
        }
        return out
    }

    /// Calls `body(range, multipliers)` over chunks of `0..<n` (in parallel), with the chunk's dropout multipliers.
    static func dropoutChunks(
        _ n: Int, rng: CounterRNG, p: Float, scale: Float, _ body: (Range<Int>, UnsafePointer<Float>) -> Void
    ) {
        let chunk = 4096
        Parallel.forRanges((n + chunk - 1) / chunk, minChunk: 16) { blocks in
            let m = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
            defer { m.deallocate() }
            for blk in blocks {
                let range = blk * chunk..<min(n, (blk + 1) * chunk)
                rng.fillDropoutMultipliers(m, count: range.count, offset: range.lowerBound, p: p, scale: scale)
                body(range, m)
            }
        }
    }
}
