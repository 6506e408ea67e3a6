import Foundation
import Tensor
import Testing

@testable import NN

@Suite struct TaskHeadTests {
    func head(_ kind: TaskHead.Kind, labels: Int) -> TaskHead {
        var ini = Initializer(seed: 8)
        let h = TaskHead(kind: kind, inputDimensions: 4, labels: labels, dropout: 0.1, initializer: &ini)
        fill(h.dense.weight, GradientCheck.randomTensor([h.dense.outputDimensions, 4], seed: 2))
        return h
    }

    @Test func sequenceAndPairClassificationUseCrossEntropy() {
        for kind in [TaskHead.Kind.sequenceClassification, .pairClassification] {
            let h = head(kind, labels: 3)
            let x = GradientCheck.randomTensor([2, 4], seed: 3)
            let logits = GradMode.withoutGrad { h(x, context: .inference) }
            #expect(logits.shape == [2, 3])
            let l = logits.scalars
            func nll(_ r: Int, _ t: Int) -> Float {
                let row = l[(r * 3)..<(r * 3 + 3)]
                return Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +)) - row[r * 3 + t]
            }
            #expect(abs(h.loss(logits, classes: [2, 0]).item - (nll(0, 2) + nll(1, 0)) / 2) < 1e-5)
            #expect(
                GradientCheck.run([x] + h.parameters) { h.loss(h(x, context: .inference), classes: [2, 0]) }.isEmpty)
        }
    }

    @Test func regressionIsMeanSquaredError() {
        let h = head(.regression, labels: 5)
        #expect(h.dense.outputDimensions == 1)
        let x = GradientCheck.randomTensor([3, 4], seed: 4)
        let y = GradMode.withoutGrad { h(x, context: .inference).scalars }
        let targets: [Float] = [0.5, -1, 2]
        let expected = zip(y, targets).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 3
        #expect(abs(h.loss(h(x, context: .inference), values: targets).item - expected) < 1e-5)
        #expect(GradientCheck.run([x] + h.parameters) { h.loss(h(x, context: .inference), values: targets) }.isEmpty)
    }

    @Test func tokenClassificationIgnoresUnlabelledPositions() {
        let h = head(.tokenClassification, labels: 4)
        let x = GradientCheck.randomTensor([2, 3, 4], seed: 5)  // [B, T, C]
        let labels: [Int32] = [1, -100, 3, 0, 2, -100]
        let logits = GradMode.withoutGrad { h(x, context: .inference) }
        #expect(logits.shape == [2, 3, 4])
        let kept: [Int32] = [1, 3, 0, 2]
        let rows = GradMode.withoutGrad { logits.reshaped([6, 4]).gatheringRows([0, 2, 3, 4]) }
        #expect(abs(h.loss(logits, classes: labels).item - crossEntropy(logits: rows, targets: kept).item) < 1e-6)
        #expect(GradientCheck.run([x] + h.parameters) { h.loss(h(x, context: .inference), classes: labels) }.isEmpty)
    }

    @Test func dropoutOnlyInTraining() {
        let h = head(.sequenceClassification, labels: 2)
        let x = GradientCheck.randomTensor([8, 4], seed: 6)
        let a = GradMode.withoutGrad { h(x, context: .inference).scalars }
        let b = GradMode.withoutGrad { h(x, context: ForwardContext(training: true, seed: 1)).scalars }
        #expect(a != b)
        #expect(a == GradMode.withoutGrad { h.dense(x).scalars })
    }
}
