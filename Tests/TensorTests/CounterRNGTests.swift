import Testing

@testable import Tensor

@Suite struct CounterRNGTests {
    @Test func isAPureFunctionOfSeedStreamAndIndex() {
        let a = CounterRNG(seed: 42, stream: 3)
        let b = CounterRNG(seed: 42, stream: 3)
        #expect((0..<100).map(a.bits) == (0..<100).map(b.bits))
        #expect((0..<100).map(a.bits) != (0..<100).map(CounterRNG(seed: 42, stream: 4).bits))
        #expect((0..<100).map(a.bits) != (0..<100).map(CounterRNG(seed: 43, stream: 3).bits))
    }

    @Test func uniformLooksUniform() {
        let rng = CounterRNG(seed: 1, stream: 0)
        let n = 100_000
        var sum: Double = 0
        var buckets = [Int](repeating: 0, count: 10)
        for i in 0..<n {
            let u = rng.uniform(i)
            #expect(u >= 0 && u < 1)
            sum += Double(u)
            buckets[Int(u * 10)] += 1
        }
        #expect(abs(sum / Double(n) - 0.5) < 0.01)
        for c in buckets { #expect(abs(c - n / 10) < n / 100, "bucket count \(c)") }
    }

    @Test func dropoutKeepsTheExpectedFractionAndScales() {
        let x = Tensor(repeating: 1, shape: [10_000])
        let y = x.dropout(0.25, rng: CounterRNG(seed: 5, stream: 1))
        let kept = y.scalars.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / 10_000 - 0.75) < 0.02)
        #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        // Same rng, same mask.
        #expect(x.dropout(0.25, rng: CounterRNG(seed: 5, stream: 1)).scalars == y.scalars)
    }

    @Test func dropoutMultipliersDoNotDependOnChunking() {
        let rng = CounterRNG(seed: 11, stream: 5)
        var whole = [Float](repeating: -1, count: 101)
        var pieces = [Float](repeating: -1, count: 101)
        whole.withUnsafeMutableBufferPointer {
            rng.fillDropoutMultipliers($0.baseAddress!, count: 101, offset: 7, p: 0.3, scale: 2)
        }
        pieces.withUnsafeMutableBufferPointer { buf in
            for (lo, hi) in [(0, 1), (1, 38), (38, 39), (39, 101)] {
                rng.fillDropoutMultipliers(buf.baseAddress! + lo, count: hi - lo, offset: 7 + lo, p: 0.3, scale: 2)
            }
        }
        #expect(whole == pieces)
        #expect(Set(whole) == [0, 2])
    }
}
