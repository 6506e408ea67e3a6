import Foundation
import Tensor

/// Element-wise kernel rates (ns/element) for the `micro` mode.
func runMicro() {
    let n = 1 << 22
    let x = GradientCheck.randomTensor([n], seed: 1, scale: 2)
    func time(_ name: String, _ body: () -> Void) {
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = now()
            body()
            best = min(best, now() - t0)
        }
        print(
            name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(format: "%6.3f ns/element", best / Double(n) * 1e9))
    }
    let out = Tensor(zeros: [n])
    let (xp, op) = (x.pointer, out.pointer)
    time("exp") { for i in 0..<n { op[i] = FastMath.exp(xp[i]) } }
    time("erf") { for i in 0..<n { op[i] = FastMath.erf(xp[i]) } }
    time("tanh") { for i in 0..<n { op[i] = FastMath.tanh(xp[i]) } }
    let rng = CounterRNG(seed: 1, stream: 2)
    time("rng uniform") { for i in 0..<n { op[i] = rng.uniform(i) } }
    time("gelu op") { _ = x.gelu() }
    time("gelu tanh op") { _ = x.gelu(approximation: .tanh) }
    time("dropout op") { _ = x.dropout(0.1, rng: rng) }
    time("softmax op (rows 128)") { _ = x.reshaped([n / 128, 128]).softmax() }

    // One BERT layer's attention, B=32, T=128, C=384, NH=12 (per-element = per attention score).
    let scores = 32 * 12 * 128 * 128
    let q = GradientCheck.randomTensor([32, 128, 384], seed: 2)
    let k = GradientCheck.randomTensor([32, 128, 384], seed: 3)
    let v = GradientCheck.randomTensor([32, 128, 384], seed: 4)
    func timeAttention(_ name: String, _ body: () -> Void) {
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = Profiler.clock()
            body()
            best = min(best, Double(Profiler.clock() - t0) * 1e-9)
        }
        print(
            name.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(format: "%6.3f ns/score, %6.1f ms", best / Double(scores) * 1e9, best * 1e3))
    }
    GradMode.withoutGrad {
        timeAttention("attention fwd") { _ = selfAttention(query: q, key: k, value: v, heads: 12) }
        timeAttention("attention fwd dropout") {
            _ = selfAttention(query: q, key: k, value: v, heads: 12, dropout: 0.1, rng: rng)
        }
    }
    q.requiresGrad = true
    timeAttention("attention fwd+bwd") { selfAttention(query: q, key: k, value: v, heads: 12).sum().backward() }
    timeAttention("attention fwd+bwd drop") {
        selfAttention(query: q, key: k, value: v, heads: 12, dropout: 0.1, rng: rng).sum().backward()
    }
}
