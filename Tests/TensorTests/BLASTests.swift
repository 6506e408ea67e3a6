import Testing

@testable import Tensor

@Suite struct BLASTests {
    /// Naive row-major reference for C = alpha op(A) op(B) + beta C.
    func reference(
        _ tA: Bool, _ tB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int, b: [Float], ldb: Int,
        beta: Float, c: [Float], ldc: Int
    ) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    let av = tA ? a[p * lda + i] : a[i * lda + p]
                    let bv = tB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                out[i * ldc + j] = alpha * Float(s) + beta * c[i * ldc + j]
            }
        }
        return out
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func sgemmMatchesNaiveProduct(tA: Bool, tB: Bool) {
        let (m, n, k) = (7, 5, 3)
        // Strided operands: leading dimensions larger than the logical widths.
        let lda = (tA ? m : k) + 2
        let ldb = (tB ? k : n) + 1
        let ldc = n + 3
        let a = GradientCheck.randomTensor([(tA ? k : m) * lda], seed: 1).scalars
        let b = GradientCheck.randomTensor([(tB ? n : k) * ldb], seed: 2).scalars
        let c0 = GradientCheck.randomTensor([m * ldc], seed: 3).scalars
        var c = c0
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(
                        tA ? .transposed : .none, tB ? .transposed : .none, m: m, n: n, k: k, alpha: 0.5,
                        a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 2, c: cp.baseAddress!,
                        ldc: ldc)
                }
            }
        }
        let expected = reference(
            tA, tB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: c0, ldc: ldc)
        for i in 0..<c.count { #expect(abs(c[i] - expected[i]) < 1e-5, "element \(i)") }
    }

    @Test func threadCountRoundTrips() {
        let saved = BLAS.threads
        BLAS.setThreads(1)
        #expect(BLAS.threads == 1)
        BLAS.setThreads(saved)
        #expect(!BLAS.coreName.isEmpty)
    }
}
