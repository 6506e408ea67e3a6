import Testing

@testable import Metrics

@Suite struct CalibrationTests {
    @Test(arguments: Golden.shared.classification.map(\.name))
    func matchesTheNumpyReference(_ name: String) throws {
        let c = try #require(Golden.shared.classification.first { $0.name == name })
        let cal = try Calibration(gold: c.gold, probabilities: c.probabilities, classCount: c.classCount)
        #expect(close(cal.ece, c.ece))
        #expect(cal.bins.count == 15 && cal.bins.map(\.count).reduce(0, +) == c.gold.count)
    }

    /// Four rows, two bins: confidences 0.9 (correct), 0.8 (wrong) land in (0.5, 1]: acc 1/2, conf 0.85;
    /// 0.6 (correct) too → that bin has acc 2/3, conf 0.7667. 0.5 (correct) lands in [0, 0.5]: acc 1, conf 0.5.
    /// ECE = 3/4·|2/3 − 2.3/3| + 1/4·|1 − 0.5| = 0.075 + 0.125 = 0.2.
    @Test func handComputedTwoBins() throws {
        let cal = try Calibration(
            gold: [0, 1, 0, 1], probabilities: [[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.5, 0.5]], classCount: 2,
            binCount: 2)
        #expect(close(cal.ece, 0.2))
        #expect(cal.bins.map(\.count) == [1, 3])
        #expect(close(cal.bins[1].confidence, 2.3 / 3) && close(cal.bins[1].accuracy, 2.0 / 3))
    }

    /// A confidence on an edge belongs to the bin below: 0.2 = 3/15 is in bin 2, though 0.2·15 rounds above 3.
    @Test func edgesBelongToTheLowerBin() {
        #expect(Calibration.bin(of: 0.2, binCount: 15) == 2)
        #expect(Calibration.bin(of: 0.2000000001, binCount: 15) == 3)
        #expect(Calibration.bin(of: 1, binCount: 15) == 14)
        #expect(Calibration.bin(of: 0, binCount: 15) == 0)
        #expect(Calibration.bin(of: 1.0 / 3, binCount: 3) == 0)
    }

    @Test func perfectCalibrationIsZero() throws {
        // Confidence 1 and always right.
        let cal = try Calibration(gold: [0, 1, 2], probabilities: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], classCount: 3)
        #expect(cal.ece == 0)
    }

    @Test func invalidProbabilitiesThrow() {
        func kind(_ probabilities: [[Double]]) -> MetricsError.Kind? {
            do {
                _ = try Calibration(gold: [0], probabilities: probabilities, classCount: 2)
                return nil
            } catch { return (error as? MetricsError)?.kind }
        }
        #expect(kind([[Double.nan, 1]]) == .nonFinite)
        #expect(kind([[Double.infinity, 0]]) == .nonFinite)
        #expect(kind([[1.2, -0.2]]) == .invalidProbability)
        #expect(kind([[0.3, 0.3]]) == .invalidProbability)
        #expect(kind([[1.0]]) == .lengthMismatch)
        #expect(kind([]) == .lengthMismatch)
        #expect(throws: MetricsError.self) { try Calibration(gold: [], probabilities: [], classCount: 2) }
        #expect(throws: MetricsError.self) {
            try Calibration(gold: [0], probabilities: [[1, 0]], classCount: 2, binCount: 0)
        }
    }
}
