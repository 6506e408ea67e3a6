import Testing

@testable import Training

@Suite struct DataOrderTests {
    @Test func epochsArePermutationsOfTheSeed() {
        let order = DataOrder(lengths: Array(repeating: 5, count: 50), seed: 7, batching: .rows(8))
        let e0 = order.makePermutation(epoch: 0), e1 = order.makePermutation(epoch: 1)
        #expect(e0.sorted() == Array(0..<50) && e1.sorted() == Array(0..<50))
        #expect(e0 != e1 && e0 != Array(0..<50))
        #expect(DataOrder(lengths: Array(repeating: 5, count: 50), seed: 7, batching: .rows(3)).makePermutation(epoch: 1) == e1)
        #expect(DataOrder(lengths: Array(repeating: 5, count: 50), seed: 8, batching: .rows(3)).makePermutation(epoch: 0) != e0)
    }

    @Test func aRestoredPositionContinuesTheSameBatches() {
        var a = DataOrder(lengths: Array(repeating: 5, count: 20), seed: 3, batching: .rows(6))
        var all: [[Int]] = []
        for _ in 0..<9 { all.append(a.nextBatch()) }
        // Batches do not span epochs: 6, 6, 6, 2, then the next epoch.
        #expect(all.prefix(4).map(\.count) == [6, 6, 6, 2])
        #expect(Set(all.prefix(4).flatMap { $0 }) == Set(0..<20))
        var b = DataOrder(lengths: Array(repeating: 5, count: 20), seed: 3, batching: .rows(6))
        for _ in 0..<5 { _ = b.nextBatch() }
        let saved = b.position
        var c = DataOrder(lengths: Array(repeating: 5, count: 20), seed: 3, batching: .rows(6))
        c.restore(saved)
        #expect((0..<4).map { _ in c.nextBatch() } == Array(all[5..<9]))
    }

    @Test func tokenBudgetBatchesFitPadded() {
        let lengths = [10, 3, 7, 2, 9, 4, 8, 1]
        var order = DataOrder(lengths: lengths, seed: 1, batching: .tokens(20))
        var seen: [Int] = []
        while seen.count < lengths.count {
            let batch = order.nextBatch()
            let longest = batch.map { lengths[$0] }.max()!
            #expect(batch.count == 1 || longest * batch.count <= 20)
            seen += batch
        }
        #expect(seen.sorted() == Array(0..<8))
    }
}
