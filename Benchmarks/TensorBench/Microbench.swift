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
        print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%6.3f ns/element", best / Double(n) * 1e9))
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
}
