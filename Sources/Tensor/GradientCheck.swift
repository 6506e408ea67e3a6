/// Finite-difference check of reverse-mode gradients, for tests of ops and layers (here and in later targets).
public enum GradientCheck {
    public struct Mismatch: Sendable, CustomStringConvertible {
        public var input: Int
        public var index: Int
        public var analytic: Float
        public var numeric: Float
        public var description: String {
            "input \(input)[\(index)]: analytic \(analytic), numeric \(numeric)"
        }
    }

    /// Compares the gradients of `L = Σ f() ⊙ R` (R a fixed random projection) with respect to each of `inputs`
    /// against central differences `(L(x+h) - L(x-h)) / 2h`, accumulated in Double.
    ///
    /// `f` must rebuild its result from the inputs' current values on each call. Checks every element of inputs of
    /// up to `maxElementsPerInput` elements, else a strided sample. An element passes when
    /// `|analytic - numeric| <= atol + rtol * |numeric|`. Returns the failures (empty when all pass).
    public static func run(
        _ inputs: [Tensor], h: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 1e-2, maxElementsPerInput: Int = 200,
        seed: UInt64 = 7, _ f: () -> Tensor
    ) -> [Mismatch] {
        GradMode.withGrad {
            runRecording(inputs, h: h, atol: atol, rtol: rtol, maxElementsPerInput: maxElementsPerInput, seed: seed, f)
        }
    }

    static func runRecording(
        _ inputs: [Tensor], h: Float, atol: Float, rtol: Float, maxElementsPerInput: Int, seed: UInt64,
        _ f: () -> Tensor
    ) -> [Mismatch] {
        for x in inputs {
            x.requiresGrad = true
            x.zeroGrad()
        }
        let out = f()
        let rng = CounterRNG(seed: seed, stream: 0)
        let projection = Tensor((0..<out.count).map { rng.normal($0) }, shape: out.shape)
        (out * projection).sum().backward()
        let analytic = inputs.map { $0.grad?.scalars ?? [Float](repeating: 0, count: $0.count) }

        func loss() -> Double {
            GradMode.withoutGrad {
                let y = f()
                var s: Double = 0
                for i in 0..<y.count { s += Double(y.pointer[i]) * Double(projection.pointer[i]) }
                return s
            }
        }
        var failures: [Mismatch] = []
        for (k, x) in inputs.enumerated() {
            let stride = max(1, x.count / maxElementsPerInput)
            for i in Swift.stride(from: 0, to: x.count, by: stride) {
                let saved = x.pointer[i]
                x.pointer[i] = saved + h
                let plus = loss()
                x.pointer[i] = saved - h
                let minus = loss()
                x.pointer[i] = saved
                let numeric = Float((plus - minus) / Double(2 * h))
                let a = analytic[k][i]
                if !(abs(a - numeric) <= atol + rtol * abs(numeric)) {
                    failures.append(Mismatch(input: k, index: i, analytic: a, numeric: numeric))
                }
            }
        }
        for x in inputs { x.zeroGrad() }
        return failures
    }

    /// A tensor of standard-normal values (deterministic in `seed`), scaled by `scale`.
    public static func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let rng = CounterRNG(seed: seed, stream: 99)
        return Tensor((0..<shape.reduce(1, *)).map { rng.normal($0) * scale }, shape: shape)
    }
}
