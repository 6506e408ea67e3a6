import Testing

@testable import Metrics

@Suite struct ClassificationScoresTests {
    @Test(arguments: Golden.shared.classification.map(\.name))
    func matchesScikitLearn(_ name: String) throws {
        let c = try #require(Golden.shared.classification.first { $0.name == name })
        let s = try ClassificationScores(gold: c.gold, predicted: c.predicted, classCount: c.classCount)
        #expect(close(s.accuracy, c.accuracy))
        #expect(close(s.microF1, c.microF1))
        #expect(close(s.macroF1, c.macroF1))
        #expect(close(s.macroPrecision, c.macroPrecision))
        #expect(close(s.macroRecall, c.macroRecall))
        #expect(close(s.weightedF1, c.weightedF1))
        #expect(close(s.mcc, c.mcc))
        #expect(close(s.perClass.map(\.precision), c.precision))
        #expect(close(s.perClass.map(\.recall), c.recall))
        #expect(close(s.perClass.map(\.f1), c.f1))
        #expect(s.perClass.map(\.support) == c.support)
        let m = try ConfusionMatrix(gold: c.gold, predicted: c.predicted, classCount: c.classCount)
        #expect(m.rows == c.confusion)
    }

    /// Worked by hand: gold 0 0 0 1 1 2, predicted 0 0 1 1 2 2.
    /// Class 0: tp 2, fp 0, fn 1 → P 1, R 2/3, F1 4/5. Class 1: tp 1, fp 1, fn 1 → 1/2, 1/2, 1/2.
    /// Class 2: tp 1, fp 1, fn 0 → 1/2, 1, 2/3. Accuracy 4/6.
    /// MCC: c 4, s 6, t (3, 2, 1), p (2, 2, 2): (24 − 12) / √((36 − 12)(36 − 14)) = 12 / √528.
    @Test func handComputedThreeClasses() throws {
        let s = try ClassificationScores(gold: [0, 0, 0, 1, 1, 2], predicted: [0, 0, 1, 1, 2, 2], classCount: 3)
        #expect(close(s.accuracy, 4.0 / 6))
        #expect(close(s.microF1, 4.0 / 6))
        let f1: [Double] = [0.8, 0.5, 2.0 / 3]
        #expect(close(s.perClass.map(\.f1), f1))
        let macro: Double = (f1[0] + f1[1] + f1[2]) / 3
        let weighted: Double = (f1[0] * 3 + f1[1] * 2 + f1[2]) / 6
        #expect(close(s.macroF1, macro))
        #expect(close(s.weightedF1, weighted))
        let mcc: Double = 12 / 528.0.squareRoot()
        #expect(close(s.mcc, mcc))
        #expect(s.perClass.map(\.support) == [3, 2, 1])
    }

    /// A class with no gold rows and no predictions is listed (all zeros) but left out of the macro average.
    @Test func absentClassesDoNotPullTheMacroAverageDown() throws {
        let s = try ClassificationScores(gold: [0, 1, 1], predicted: [0, 1, 1], classCount: 4)
        #expect(s.macroF1 == 1 && s.perClass.count == 4)
        #expect(s.perClass[3] == ClassScore(precision: 0, recall: 0, f1: 0, support: 0))
    }

    @Test func degenerateInputsHaveDefinedValues() throws {
        // One class in gold and predictions: perfect accuracy, MCC's denominator is 0 → 0 (scikit-learn).
        let one = try ClassificationScores(gold: [1, 1, 1], predicted: [1, 1, 1], classCount: 2)
        #expect(one.accuracy == 1 && one.mcc == 0 && one.macroF1 == 1)
        // Everything predicted as one class: precision of the never-predicted class is 0, not NaN.
        let flat = try ClassificationScores(gold: [0, 1, 0, 1], predicted: [0, 0, 0, 0], classCount: 2)
        #expect(flat.perClass[1] == ClassScore(precision: 0, recall: 0, f1: 0, support: 2))
        #expect(flat.mcc == 0 && flat.accuracy == 0.5)
        // A single row and a single class.
        let single = try ClassificationScores(gold: [0], predicted: [0], classCount: 1)
        #expect(single.accuracy == 1 && single.mcc == 0)
        // Perfectly wrong binary predictions: MCC −1.
        let wrong = try ClassificationScores(gold: [0, 1, 0, 1], predicted: [1, 0, 1, 0], classCount: 2)
        #expect(close(wrong.mcc, -1))
    }

    @Test func badInputThrows() {
        #expect(throws: MetricsError(.empty, "gold is empty: a metric of no rows is undefined")) {
            try ClassificationScores(gold: [], predicted: [], classCount: 2)
        }
        #expect { try ClassificationScores(gold: [0, 1], predicted: [0], classCount: 2) } throws: {
            ($0 as? MetricsError)?.kind == .lengthMismatch
        }
        #expect { try ClassificationScores(gold: [0, 2], predicted: [0, 1], classCount: 2) } throws: {
            ($0 as? MetricsError)?.kind == .labelOutOfRange && ($0 as? MetricsError)?.row == 1
        }
        #expect { try ClassificationScores(gold: [0, 1], predicted: [0, -1], classCount: 2) } throws: {
            ($0 as? MetricsError)?.kind == .labelOutOfRange
        }
        #expect { try ClassificationScores(gold: [0], predicted: [0], classCount: 0) } throws: {
            ($0 as? MetricsError)?.kind == .invalidArgument
        }
    }
}
