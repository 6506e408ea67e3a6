import Testing

@testable import Metrics

@Suite struct SeededGeneratorTests {
    /// SplitMix64's published first outputs for seed 0 (the reference `splitmix64.c`).
    @Test func matchesTheReferenceSequence() {
        var g = SeededGenerator(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(g.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func boundedDrawsStayInRangeAndCoverIt() {
        var g = SeededGenerator(seed: 7)
        var counts = Array(repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.next(below: 7)] += 1 }
        // Each bucket expects 10,000 (sd ≈ 93): a 6-sd band cannot fail by chance, a modulo-biased or broken
        // draw would.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 560 }, "\(counts)")
        #expect(g.next(below: 1) == 0)
    }
}
