import Testing

@testable import Datasets

@Suite struct SplitMix64Tests {
    @Test func matchesReferenceOutputs() throws {
        var reference = SplitMix64(seed: 1_234_567)  // values from Vigna's splitmix64.c
        #expect(
            (0..<5).map { _ in reference.next() } == [
                6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
            ])
        var rng = SplitMix64(seed: 20_261_128)
        #expect(
            (0..<5).map { _ in String(rng.next()) }
                == (try StratifiedSplitterTests.golden().splitmix64_seed_20261128_first5))
    }

    @Test(arguments: [1, 2, 3, 10, 1000, Int.max])
    func nextBelowStaysInRange(bound: Int) {
        var rng = SplitMix64(seed: UInt64(bound))
        let draws = (0..<2000).map { _ in rng.next(below: bound) }
        #expect(draws.allSatisfy { (0..<bound).contains($0) })
        if bound == 10 {
            // Each value about 200 times in 2000 draws.
            let counts = Dictionary(grouping: draws, by: { $0 }).mapValues(\.count)
            #expect(counts.count == 10 && counts.values.allSatisfy { (140...260).contains($0) })
        }
    }
}
