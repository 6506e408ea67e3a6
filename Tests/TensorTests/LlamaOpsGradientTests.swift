import Foundation
import Testing

@testable import Tensor

/// Finite-difference checks of the Llama ops (RMSNorm, rotary embedding, grouped-query head expansion, SiLU), and
/// their forward values against direct formulas.
@Suite struct LlamaOpsGradientTests {
    static func r(_ shape: [Int], _ seed: UInt64, scale: Float = 1) -> Tensor {
        GradientCheck.randomTensor(shape, seed: seed, scale: scale)
    }

    static let cases: [GradCase] = [
        GradCase(name: "rmsNorm") {
            let (x, w) = (r([2, 3, 8], 41), r([8], 42))
            return ([x, w], { rmsNorm(x, weight: w, eps: 1e-5) })
        },
        GradCase(name: "rotaryEmbedded") {
            let x = r([2, 4, 12], 43)
            return ([x], { x.rotaryEmbedded(heads: 3, base: 100, positionOffset: 2) })
        },
        GradCase(name: "repeatingHeads") {
            let x = r([2, 3, 6], 44)
            return ([x], { x.repeatingHeads(3, groups: 2) })
        },
        GradCase(name: "silu") {
            let x = r([3, 7], 45, scale: 2)
            return ([x], { x.silu() })
        },
        GradCase(name: "SwiGLU silu(a)·b") {
            let (a, b) = (r([2, 5], 46), r([2, 5], 47))
            return ([a, b], { a.silu() * b })
        },
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: GradCase) {
        let (inputs, f) = c.make()
        let failures = GradientCheck.run(inputs, h: 1e-2, f)
        #expect(failures.isEmpty, "\(c.name): \(failures.prefix(5))")
    }

    @Test func rmsNormValues() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 4]), w = Tensor([1, 2, 1, 0.5], shape: [4])
        let rms = Float((1.0 + 4 + 9 + 16) / 4.0 + 1e-5).squareRoot()
        let y = rmsNorm(x, weight: w, eps: 1e-5)
        let expected: [Float] = [1 / rms, 4 / rms, 3 / rms, 2 / rms]
        #expect(zip(y.scalars, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// Position 0 is the identity; position p rotates pair (i, i + hs/2) by p·base^(−2i/hs); norms are kept.
    @Test func rotaryValues() {
        let x = Self.r([1, 3, 8], 48)
        let y = x.rotaryEmbedded(heads: 2, base: 10000)
        #expect(Array(y.scalars[0..<8]) == Array(x.scalars[0..<8]))
        let (t, h, i) = (2, 1, 1)
        let a = Float(t) * 1 / Float(pow(10000.0, 2.0 / 4.0))
        let base = t * 8 + h * 4
        let (x1, x2) = (x.scalars[base + i], x.scalars[base + i + 2])
        #expect(abs(y.scalars[base + i] - (x1 * cos(a) - x2 * sin(a))) < 1e-6)
        #expect(abs(y.scalars[base + i + 2] - (x2 * cos(a) + x1 * sin(a))) < 1e-6)
        let norm = { (v: ArraySlice<Float>) in v.reduce(0) { $0 + $1 * $1 } }
        #expect(abs(norm(y.scalars[16..<24]) - norm(x.scalars[16..<24])) < 1e-4)
    }

    @Test func repeatingHeadsLayout() {
        let x = Tensor((0..<6).map(Float.init), shape: [1, 1, 6])  // 3 heads of 2
        #expect(x.repeatingHeads(3, groups: 2).scalars == [0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5])
    }
}
