import Testing

@testable import Metrics

@Suite struct ConfusionMatrixTests {
    @Test func countsGoldByPredicted() throws {
        let m = try ConfusionMatrix(gold: [0, 0, 1, 2, 2, 2], predicted: [0, 1, 1, 2, 0, 2], classCount: 3)
        #expect(m.rows == [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
        #expect(m[2, 0] == 1 && m.total == 6 && m.correct == 4)
        #expect(m.goldTotals == [2, 1, 3] && m.predictedTotals == [2, 2, 2])
    }

    @Test func roundTripsThroughRows() throws {
        let m = try ConfusionMatrix(gold: [0, 1, 1, 0], predicted: [1, 1, 0, 0], classCount: 2)
        #expect(try ConfusionMatrix(rows: m.rows) == m)
        #expect { try ConfusionMatrix(rows: [[1, 2], [3]]) } throws: { ($0 as? MetricsError)?.kind == .lengthMismatch }
        #expect { try ConfusionMatrix(rows: [[1, -2], [3, 4]]) } throws: {
            ($0 as? MetricsError)?.kind == .invalidArgument
        }
        #expect { try ConfusionMatrix(rows: []) } throws: { ($0 as? MetricsError)?.kind == .invalidArgument }
    }

    @Test func emptyMatrixHasNoScores() throws {
        #expect { try ClassificationScores(ConfusionMatrix(classCount: 3)) } throws: {
            ($0 as? MetricsError)?.kind == .empty
        }
    }
}
