import Testing

@testable import Metrics

@Suite struct RegressionErrorsTests {
    @Test(arguments: Golden.shared.regression.map(\.name))
    func matchesScikitLearn(_ name: String) throws {
        let c = try #require(Golden.shared.regression.first { $0.name == name })
        #expect(close(try RegressionErrors.meanAbsoluteError(gold: c.gold, predicted: c.predicted), c.mae))
        #expect(close(try RegressionErrors.meanSquaredError(gold: c.gold, predicted: c.predicted), c.mse))
    }

    @Test func handComputed() throws {
        // Errors 1, −2, 0.5: MAE 3.5/3, MSE 5.25/3.
        #expect(close(try RegressionErrors.meanAbsoluteError(gold: [1, 2, 3], predicted: [0, 4, 2.5]), 3.5 / 3))
        #expect(close(try RegressionErrors.meanSquaredError(gold: [1, 2, 3], predicted: [0, 4, 2.5]), 5.25 / 3))
        #expect(try RegressionErrors.meanSquaredError(gold: [7], predicted: [7]) == 0)
    }

    @Test func badInputThrows() {
        #expect(throws: MetricsError.self) { try RegressionErrors.meanAbsoluteError(gold: [], predicted: []) }
        #expect(throws: MetricsError.self) { try RegressionErrors.meanAbsoluteError(gold: [1], predicted: [.nan]) }
        #expect(throws: MetricsError.self) { try RegressionErrors.meanSquaredError(gold: [1, 2], predicted: [1]) }
    }
}
