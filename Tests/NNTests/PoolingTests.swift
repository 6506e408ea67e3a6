import Tensor
import Testing

@testable import NN

@Suite struct PoolingTests {
    let hidden = GradientCheck.randomTensor([2, 4, 3], seed: 1)  // [B, T, C]
    let mask: [Int32] = [1, 1, 0, 0, 1, 1, 1, 1]

    func row(_ b: Int, _ t: Int) -> [Float] { Array(hidden.scalars[((b * 4 + t) * 3)..<((b * 4 + t) * 3 + 3)]) }

    @Test func clsMeanAndLastRealToken() {
        GradMode.withoutGrad {
            #expect(Pooling.cls(hidden, mask: mask).scalars == row(0, 0) + row(1, 0))
            #expect(Pooling.lastToken(hidden, mask: mask).scalars == row(0, 1) + row(1, 3))
            #expect(Pooling.lastToken(hidden, mask: nil).scalars == row(0, 3) + row(1, 3))
            let mean = Pooling.mean(hidden, mask: mask).scalars
            let expected0 = zip(row(0, 0), row(0, 1)).map { ($0 + $1) / 2 }
            for (a, e) in zip(mean.prefix(3), expected0) { #expect(abs(a - e) < 1e-6) }
        }
    }

    @Test(arguments: Pooling.allCases)
    func gradientCheck(pooling: Pooling) {
        #expect(GradientCheck.run([hidden]) { pooling(hidden, mask: mask) }.isEmpty)
    }
}
