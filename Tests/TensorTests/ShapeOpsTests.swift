import Foundation
import Testing

@testable import Tensor

private func r(_ shape: [Int], _ seed: UInt64, scale: Float = 1) -> Tensor {
    GradientCheck.randomTensor(shape, seed: seed, scale: scale)
}

/// The ops the training stages added: row gather, concat/stack, broadcasting multiply, exp/log/sigmoid and the
/// per-axis reductions — values against hand-computed results, gradients against finite differences.
let shapeOpCases: [GradCase] = [
    GradCase(name: "gatheringRows with a repeated row") {
        let x = r([2, 3, 4], 51)
        return ([x], { x.gatheringRows([5, 0, 5, 2]) })
    },
    GradCase(name: "concatenated axis 1") {
        let (a, b) = (r([2, 3, 2], 52), r([2, 1, 2], 53))
        return ([a, b], { concatenated([a, b], axis: 1) })
    },
    GradCase(name: "stacked axis -1") {
        let (a, b, c) = (r([2, 3], 54), r([2, 3], 55), r([2, 3], 56))
        return ([a, b, c], { stacked([a, b, c], axis: -1) })
    },
    GradCase(name: "multiplied [2,3,4] * [2,1,4]") {
        let (a, b) = (r([2, 3, 4], 57), r([2, 1, 4], 58))
        return ([a, b], { multiplied(a, b) })
    },
    GradCase(name: "multiplied [3] * [2,1,1] (both sides broadcast)") {
        let (a, b) = (r([3], 59), r([2, 1, 1], 60))
        return ([a, b], { multiplied(a, b) })
    },
    GradCase(name: "exp") {
        let a = r([2, 5], 61)
        return ([a], { a.exp() })
    },
    GradCase(name: "log") {
        let a = Tensor([0.5, 1.3, 2.0, 3.7, 0.9, 5.1], shape: [2, 3])
        return ([a], { a.log() })
    },
    GradCase(name: "sigmoid") {
        let a = r([2, 6], 62, scale: 3)
        return ([a], { a.sigmoid() })
    },
    GradCase(name: "sum axis 1") {
        let a = r([2, 3, 4], 63)
        return ([a], { a.sum(axis: 1) })
    },
    GradCase(name: "mean axis -1 keeping the dimension") {
        let a = r([3, 5], 64)
        return ([a], { a.mean(axis: -1, keepingDimension: true) })
    },
    GradCase(name: "maximum axis 0") {
        let a = r([4, 3], 65)
        return ([a], { a.maximum(axis: 0) })
    },
]

@Suite struct ShapeOpsTests {
    @Test(arguments: shapeOpCases)
    func gradientMatchesFiniteDifferences(_ c: GradCase) {
        let (inputs, f) = c.make()
        let failures = GradientCheck.run(inputs, f)
        #expect(failures.isEmpty, "\(c.name): \(failures.prefix(5))")
    }

    @Test func gatherPicksRows() {
        let x = Tensor([0, 1, 10, 11, 20, 21], shape: [3, 2])
        #expect(x.gatheringRows([2, 0, 2]).scalars == [20, 21, 0, 1, 20, 21])
        #expect(x.gatheringRows([]).shape == [0, 2])
    }

    @Test func concatAndStackLayOutLikeTorch() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        let b = Tensor([5, 6], shape: [2, 1])
        // torch.cat([a, b], dim=1) = [[1, 2, 5], [3, 4, 6]]
        #expect(concatenated([a, b], axis: 1).scalars == [1, 2, 5, 3, 4, 6])
        #expect(concatenated([a, a], axis: 0).shape == [4, 2])
        // torch.stack([a, a], dim=1) has shape [2, 2, 2]: [[[1, 2], [1, 2]], [[3, 4], [3, 4]]]
        let s = stacked([a, a], axis: 1)
        #expect(s.shape == [2, 2, 2])
        #expect(s.scalars == [1, 2, 1, 2, 3, 4, 3, 4])
    }

    @Test func broadcastingFollowsNumPy() {
        #expect(broadcastShape([2, 3, 4], [3, 1]) == [2, 3, 4])
        #expect(broadcastShape([2, 3], [4]) == nil)
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([10, 100], shape: [2, 1])
        #expect(multiplied(a, b).scalars == [10, 20, 30, 400, 500, 600])
        #expect(multiplied(Tensor([2, 3, 4], shape: [3]), a).scalars == [2, 6, 12, 8, 15, 24])
    }

    @Test func elementwiseMathValues() {
        let x = Tensor([0, 1, -800, 800], shape: [4])
        let s = x.sigmoid().scalars
        #expect(s[0] == 0.5 && abs(s[1] - 0.7310586) < 1e-6 && s[2] == 0 && s[3] == 1)
        #expect(abs(x.exp().scalars[1] - Float(M_E)) < 1e-6)
        #expect(Tensor([1, Float(M_E)], shape: [2]).log().scalars.map { ($0 * 1e5).rounded() } == [0, 1e5])
    }

    @Test func axisReductionsValues() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(x.sum(axis: 0).scalars == [5, 7, 9])
        #expect(x.sum(axis: 1, keepingDimension: true).shape == [2, 1])
        #expect(x.mean(axis: 1).scalars == [2, 5])
        #expect(Tensor([1, 7, 3, 4, 2, 6], shape: [2, 3]).maximum(axis: 1).scalars == [7, 6])
    }
}
