import Tensor

/// Projecting conflicting gradients (Yu et al. 2020) on the shared parameters, and the per-task gradients it and
/// the conflict monitor need.
public enum PCGrad {
    /// For each task i, over the other tasks j in `order(i)`: if gᵢ·gⱼ < 0, gᵢ ← gᵢ − (gᵢ·gⱼ / ‖gⱼ‖²) gⱼ, projecting
    /// against the original gⱼ; returns Σᵢ gᵢ. Sums in Double.
    public static func combine(_ gradients: [[Float]], order: (Int) -> [Int]) -> [Float] {
        guard let n = gradients.first?.count else { return [] }
        precondition(gradients.allSatisfy { $0.count == n }, "PCGrad: gradients of different sizes")
        let norms = gradients.map { dot($0, $0) }
        var total = [Double](repeating: 0, count: n)
        for (i, g) in gradients.enumerated() {
            var p = g.map(Double.init)
            for j in order(i) where j != i && norms[j] > 0 {
                let d = dot(p, gradients[j])
                if d < 0 {
                    let c = d / norms[j]
                    for k in 0..<n { p[k] -= c * Double(gradients[j][k]) }
                }
            }
            for k in 0..<n { total[k] += p[k] }
        }
        return total.map { Float($0) }
    }

    /// ``combine(_:order:)`` with the other tasks in a random order drawn from (seed, step, i), as the paper
    /// shuffles them.
    public static func combine(_ gradients: [[Float]], seed: UInt64, step: Int) -> [Float] {
        combine(gradients) { i in
            let rng = CounterRNG(seed: seed, stream: 0x9C6A_0000 &+ UInt64(step) &* 64 &+ UInt64(i))
            var others = Array(gradients.indices)
            for k in stride(from: others.count - 1, to: 0, by: -1) {
                others.swapAt(k, Int(rng.bits(k) % UInt32(k + 1)))
            }
            return others
        }
    }

    /// Each task's gradient on `shared` (flattened in order), from one backward per task; task-specific
    /// parameters keep accumulating their own gradients. Leaves the shared gradients cleared.
    public static func taskGradients(shared: [Tensor], losses: [() -> Tensor]) -> [[Float]] {
        losses.map { loss in
            for p in shared { p.zeroGrad() }
            GradMode.withGrad { loss().backward() }
            let g = flatGradient(shared)
            for p in shared { p.zeroGrad() }
            return g
        }
    }

    /// The gradients of `parameters`, concatenated (zeros where a parameter has none).
    public static func flatGradient(_ parameters: [Tensor]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(parameters.reduce(0) { $0 + $1.count })
        for p in parameters {
            if let g = p.grad { out += g.scalars } else { out += [Float](repeating: 0, count: p.count) }
        }
        return out
    }

    /// Sets the gradients of `parameters` from a concatenated vector.
    public static func assignGradient(_ flat: [Float], to parameters: [Tensor]) {
        precondition(flat.count == parameters.reduce(0) { $0 + $1.count }, "assignGradient: size mismatch")
        var offset = 0
        for p in parameters {
            let d = p.gradPointer()
            for k in 0..<p.count { d[k] = flat[offset + k] }
            offset += p.count
        }
    }

    static func dot(_ a: [Double], _ b: [Float]) -> Double {
        var s = 0.0
        for k in a.indices { s += a[k] * Double(b[k]) }
        return s
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for k in a.indices { s += Double(a[k]) * Double(b[k]) }
        return s
    }
}
