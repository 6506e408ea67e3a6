import Tensor
import Testing

@testable import NN

@Suite struct CustomizedGateControlTests {
    func cgc(levels: Int, shared: Int = 2, task: Int = 1, tasks: Int = 3) throws -> CustomizedGateControl {
        var ini = Initializer(seed: 21)
        let gc = try CustomizedGateControl(
            tasks: tasks, inputDimensions: 5,
            configuration: .init(
                sharedExperts: shared, taskExperts: task, expertHidden: 4, expertOutput: 3, levels: levels),
            initializer: &ini)
        // Larger weights than the 0.02 default so the gates are far from uniform and the check is meaningful.
        for (i, p) in gc.parameters.enumerated() {
            fill(p, GradientCheck.randomTensor(p.shape, seed: UInt64(100 + i), scale: 0.6))
        }
        return gc
    }

    @Test(arguments: [(1, 2, 1), (2, 2, 1), (1, 0, 2), (1, 3, 0), (3, 1, 2)])
    func gatesSumToOneAndCoverTheAllowedExperts(levels: Int, shared: Int, task: Int) throws {
        let gc = try cgc(levels: levels, shared: shared, task: task)
        let x = GradientCheck.randomTensor([4, 5], seed: 3)
        let (outs, gates) = GradMode.withoutGrad { gc(x) }
        #expect(outs.count == 3 && outs.allSatisfy { $0.shape == [4, 3] })
        #expect(gates.count == 3)
        for w in gates {
            #expect(w.shape == [4, shared + task])
            for b in 0..<4 {
                let row = w.scalars[(b * (shared + task))..<((b + 1) * (shared + task))]
                #expect(abs(row.reduce(0, +) - 1) < 1e-6)
                #expect(row.allSatisfy { $0 > 0 })
            }
        }
    }

    @Test func aTaskOutputIsItsGatesMixOfItsOwnAndTheSharedExperts() throws {
        let gc = try cgc(levels: 1)
        let level = gc.levels[0]
        let x = GradientCheck.randomTensor([2, 5], seed: 4)
        GradMode.withoutGrad {
            let (outs, gates) = gc(x)
            let experts = [level.taskExperts[1][0](x), level.sharedExperts[0](x), level.sharedExperts[1](x)]
            let w = gates[1].scalars
            for b in 0..<2 {
                for d in 0..<3 {
                    let expected = (0..<3).reduce(Float(0)) { $0 + w[b * 3 + $1] * experts[$1].scalars[b * 3 + d] }
                    #expect(abs(outs[1].scalars[b * 3 + d] - expected) < 1e-5)
                }
            }
        }
        #expect(level.sharedGate == nil)
        #expect(gc.namedParameters.map(\.name).contains("levels.0.task_experts.2.0.fc1.weight"))
        #expect(gc.namedParameters.map(\.name).contains("levels.0.gates.1.weight"))
    }

    @Test(arguments: [1, 2])
    func gradientCheck(levels: Int) throws {
        let gc = try cgc(levels: levels, tasks: 2)
        let x = GradientCheck.randomTensor([3, 5], seed: 5)
        #expect(gc.levels.first?.sharedGate != nil || levels == 1)
        let f = { () -> Tensor in
            let (outs, gates) = gc(x)
            return concatenated(outs + gates, axis: 1)
        }
        #expect(GradientCheck.run([x] + gc.parameters, f).isEmpty)
    }

    @Test func invalidConfigurationsThrow() {
        var ini = Initializer(seed: 1)
        for c in [
            CustomizedGateControl.Configuration(sharedExperts: 0, taskExperts: 0),
            .init(levels: 0), .init(sharedExperts: 0, taskExperts: 1, levels: 2), .init(expertHidden: 0),
        ] {
            #expect(throws: PEFTError.self) {
                try CustomizedGateControl(tasks: 2, inputDimensions: 4, configuration: c, initializer: &ini)
            }
        }
    }
}
