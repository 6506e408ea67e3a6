extension Tensor {
    /// Inverted dropout: zeroes each element with probability `p` and scales survivors by `1/(1-p)`.
    ///
    /// Element `i` is dropped when `rng.isDropped(i, threshold: dropThreshold(p))` (i.e. `rng.uniform(i) < p`). The mask is regenerated from `rng` in backward rather
    /// than stored. `p == 0` returns `self` unchanged.
    public func dropout(_ p: Float, rng: CounterRNG) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        let scale = 1 / (1 - p)
        let threshold = CounterRNG.dropThreshold(p)
        Parallel.forRanges(n, minChunk: 1 << 16) { range in
            for i in range { z[i] = rng.isDropped(i, threshold: threshold) ? 0 : x[i] * scale }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            Parallel.forRanges(n, minChunk: 1 << 16) { range in
                for i in range { d[i] += rng.isDropped(i, threshold: threshold) ? 0 : g[i] * scale }
            }
        }
        return out
    }
}
