import Foundation
import Testing

@testable import Tensor

@Suite struct FastMathTests {
    let xs: [Float] = stride(from: -12, through: 12, by: 0.01).map { Float($0) }

    @Test func expIsAccurate() {
        for x in stride(from: Float(-80), through: 80, by: 0.037) {
            let e = Foundation.exp(Double(x))
            #expect(abs(Double(FastMath.exp(x)) - e) <= 3e-7 * e, "exp(\(x))")
        }
    }

    @Test func erfIsAccurate() {
        for x in xs { #expect(abs(Double(FastMath.erf(x)) - Foundation.erf(Double(x))) < 3e-7, "erf(\(x))") }
    }

    @Test func tanhIsAccurate() {
        for x in xs { #expect(abs(Double(FastMath.tanh(x)) - Foundation.tanh(Double(x))) < 3e-7, "tanh(\(x))") }
    }
}
