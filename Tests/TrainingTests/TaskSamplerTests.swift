import Foundation
import Testing

@testable import Training

@Suite struct TaskSamplerTests {
    let sizes = [5000, 800, 120, 40]

    /// Counts of `draws` draws must be within 4.5 standard deviations of the binomial mean N·pᵢ (a false alarm
    /// rate of about 7e-6 per task for a correct sampler; a wrong p by a few points fails by far).
    func expectFrequencies(_ s: TaskSampler, _ expected: [Double], draws: Int = 20_000, mixed: Bool = false) {
        var counts = [Int](repeating: 0, count: expected.count)
        if mixed {
            for step in 0..<(draws / 8) { for t in s.tasks(step: step, batches: .mixed, size: 8) { counts[t] += 1 } }
        } else {
            for step in 0..<draws { counts[s.task(step: step)] += 1 }
        }
        for (c, p) in zip(counts, expected) {
            let mean = Double(draws) * p
            let sd = (Double(draws) * p * (1 - p)).squareRoot()
            #expect(abs(Double(c) - mean) <= 4.5 * sd + 1e-9, "count \(c), expected \(mean) ± \(sd)")
        }
    }

    @Test(arguments: [1.0, 2.0, 5.0])
    func temperatureFrequenciesFollowSizesToTheOneOverT(t: Double) throws {
        let s = try TaskSampler(sizes: sizes, strategy: .temperature(t, cap: nil), seed: 3)
        let w = sizes.map { pow(Double($0), 1 / t) }
        let p = w.map { $0 / w.reduce(0, +) }
        for (a, b) in zip(s.probabilities, p) { #expect(abs(a - b) < 1e-12) }
        expectFrequencies(s, p)
        expectFrequencies(s, p, mixed: true)
    }

    @Test func capLimitsLargeTasks() throws {
        let s = try TaskSampler(sizes: sizes, strategy: .temperature(2, cap: 1000), seed: 4)
        let w = [1000.0, 800, 120, 40].map { $0.squareRoot() }
        for (a, b) in zip(s.probabilities, w.map { $0 / w.reduce(0, +) }) { #expect(abs(a - b) < 1e-12) }
        let prop = try TaskSampler(sizes: sizes, strategy: .proportional(cap: 1000), seed: 4)
        #expect(abs(prop.probabilities[0] - 1000.0 / 1960) < 1e-12)
    }

    @Test func uniformExplicitAndRoundRobin() throws {
        expectFrequencies(try TaskSampler(sizes: sizes, strategy: .uniform, seed: 5), [0.25, 0.25, 0.25, 0.25])
        let explicit = try TaskSampler(sizes: sizes, strategy: .explicit([1, 0, 3, 1]), seed: 6)
        expectFrequencies(explicit, [0.2, 0, 0.6, 0.2])
        let rr = try TaskSampler(sizes: sizes, strategy: .roundRobin, seed: 7)
        #expect((0..<9).map { rr.task(step: $0) } == [0, 1, 2, 3, 0, 1, 2, 3, 0])
        #expect(rr.tasks(step: 1, batches: .mixed, size: 3) == [3, 0, 1])
        #expect(rr.tasks(step: 2, batches: .singleTask, size: 3) == [2, 2, 2])
    }

    @Test func seededAndResumableFromTheStepAlone() throws {
        let a = try TaskSampler(sizes: sizes, strategy: .temperature(2, cap: nil), seed: 9)
        let b = try TaskSampler(sizes: sizes, strategy: .temperature(2, cap: nil), seed: 9)
        let c = try TaskSampler(sizes: sizes, strategy: .temperature(2, cap: nil), seed: 10)
        let run = (0..<200).map { a.task(step: $0) }
        #expect((150..<200).map { b.task(step: $0) } == Array(run[150...]))
        #expect((0..<200).map { c.task(step: $0) } != run)
        #expect(a.tasks(step: 7, batches: .mixed, size: 16) == b.tasks(step: 7, batches: .mixed, size: 16))
        #expect(Set(a.tasks(step: 7, batches: .mixed, size: 16)).count > 1)
    }

    @Test func invalidConfigurationsThrowTrainingErrors() {
        let bad: [([Int], TaskSampler.Strategy)] = [
            ([], .uniform), ([3, 0], .uniform), ([3, 4], .temperature(0, cap: nil)),
            ([3, 4], .temperature(.nan, cap: nil)),
            ([3, 4], .explicit([1])), ([3, 4], .explicit([0, 0])), ([3, 4], .explicit([-1, 2])),
            ([3, 4], .proportional(cap: 0)),
        ]
        for (s, strategy) in bad {
            #expect(throws: TrainingError.self) { try TaskSampler(sizes: s, strategy: strategy, seed: 1) }
        }
    }
}
