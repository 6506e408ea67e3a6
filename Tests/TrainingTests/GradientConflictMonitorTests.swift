import Testing

@testable import Training

@Suite struct GradientConflictMonitorTests {
    @Test func cosinesPerTaskPair() {
        let m = GradientConflictMonitor(tasks: ["spam", "qtype", "sentiment"], every: 50)
        let pairs = m.measure([[1, 0], [-1, 1], [2, 0]])
        #expect(pairs.map { "\($0.first)/\($0.second)" } == ["spam/qtype", "spam/sentiment", "qtype/sentiment"])
        #expect(abs(pairs[0].cosine - -1 / 2.0.squareRoot()) < 1e-12)
        #expect(pairs[1].cosine == 1)
        #expect(abs(pairs[2].cosine - -1 / 2.0.squareRoot()) < 1e-12)
        #expect(m.measure([[0, 0], [1, 1], [1, 0]])[0].cosine == 0)
        #expect(m.isDue(step: 100) && !m.isDue(step: 101))
    }
}
