import Testing

@testable import Metrics

@Suite struct CorrelationTests {
    @Test(arguments: Golden.shared.regression.map(\.name))
    func matchesScipy(_ name: String) throws {
        let c = try #require(Golden.shared.regression.first { $0.name == name })
        #expect(close(try Correlation.pearson(c.gold, c.predicted), c.pearson))
        #expect(close(try Correlation.spearman(c.gold, c.predicted), c.spearman))
        #expect(Correlation.ranks(c.gold) == c.goldRanks)
    }

    @Test func tiesShareTheirAverageRank() {
        #expect(Correlation.ranks([10, 20, 10, 30, 10]) == [2, 4, 2, 5, 2])
        #expect(Correlation.ranks([3, 3]) == [1.5, 1.5])
        #expect(Correlation.ranks([]) == [])
    }

    /// x = 1 2 3, y = 1 3 2: x̄ = ȳ = 2, Σdx·dy = (−1)(−1) + 0·1 + 1·0 = 1, Σdx² = Σdy² = 2 → r = 1/2.
    @Test func handComputed() throws {
        #expect(close(try Correlation.pearson([1, 2, 3], [1, 3, 2]), 0.5))
        #expect(close(try Correlation.spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1))
        #expect(close(try Correlation.spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1))
    }

    @Test func degenerateInputsThrow() {
        func kind(_ x: [Double], _ y: [Double]) -> MetricsError.Kind? {
            do {
                _ = try Correlation.pearson(x, y)
                return nil
            } catch { return (error as? MetricsError)?.kind }
        }
        #expect(kind([1, 1, 1], [1, 2, 3]) == .zeroVariance)
        #expect(kind([1, 2, 3], [5, 5, 5]) == .zeroVariance)
        #expect(kind([1], [2]) == .empty)
        #expect(kind([], []) == .empty)
        #expect(kind([1, .nan], [1, 2]) == .nonFinite)
        #expect(kind([1, 2], [1]) == .lengthMismatch)
        #expect(throws: MetricsError.self) { try Correlation.spearman([2, 2, 2], [1, 2, 3]) }
    }
}
