import Foundation
import Models
import NN
import Tensor
import Testing

@testable import Training

@Suite struct MultitaskStepTests {
    /// Each task's shared gradient from its own fresh model (no step machinery).
    func referenceGradients() throws -> [[Float]] {
        try TinyMultitask.batches.enumerated().map { pass, b in
            let m = try TinyMultitask.model()
            let ctx = ForwardContext(training: true, seed: 9, step: 5, pass: UInt64(pass))
            GradMode.withGrad { m.loss(b, context: ctx).loss.backward() }
            return PCGrad.flatGradient(m.sharedParameters)
        }
    }

    @Test(arguments: [false, true])
    func sharedGradientIsTheSumOrThePCGradCombination(pcgrad: Bool) throws {
        let m = try TinyMultitask.model()
        let step = MultitaskStep(model: m, weighting: .fixed([]), pcgrad: pcgrad, seed: 9)
        let result = step.run(TinyMultitask.batches, step: 5, separateGradients: true)
        let reference = try referenceGradients()
        let per = try #require(result.sharedGradients)
        for (a, b) in zip(per, reference) { #expect(a == b) }
        let expected =
            pcgrad
            ? PCGrad.combine(reference, seed: 9, step: 5)
            : reference.dropFirst().reduce(reference[0]) { acc, g in zip(acc, g).map { $0 + $1 } }
        #expect(PCGrad.flatGradient(m.sharedParameters) == expected)
        #expect(result.losses.count == 3 && result.losses.allSatisfy { $0.isFinite && $0 > 0 })
        // Heads get their own task's gradient only.
        for head in m.heads { #expect(head.dense.weight.grad != nil) }
        if pcgrad {
            let cosines = GradientConflictMonitor(tasks: TinyMultitask.tasks.map(\.name), every: 1).measure(per)
            #expect(cosines.count == 3)
        }
    }

    @Test func withoutSurgeryOneBackwardPerBatchGivesTheSameSum() throws {
        let apart = try TinyMultitask.model()
        MultitaskStep(model: apart, weighting: .fixed([1, 2, 0.5]), pcgrad: false, seed: 9)
            .run(TinyMultitask.batches, step: 5, separateGradients: true)
        let together = try TinyMultitask.model()
        MultitaskStep(model: together, weighting: .fixed([1, 2, 0.5]), pcgrad: false, seed: 9)
            .run(TinyMultitask.batches, step: 5)
        let a = PCGrad.flatGradient(apart.sharedParameters)
        let b = PCGrad.flatGradient(together.sharedParameters)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * max(1, abs(y))) }
    }

    @Test func uncertaintyWeightingTrainsItsLogVariances() throws {
        let m = try TinyMultitask.model()
        let step = MultitaskStep(model: m, weighting: .uncertainty, pcgrad: false, seed: 9)
        let result = step.run(TinyMultitask.batches, step: 0)
        let s = try #require(step.uncertainty)
        // ∂/∂sᵢ (Lᵢ/(2e^{sᵢ}) + sᵢ/2) = −Lᵢ/(2e^{sᵢ}) + 1/2 at sᵢ = −0.5
        let grad = try #require(s.logVariances.grad).scalars
        let halfPrecision: Double = 1 / (2 * Foundation.exp(-0.5))
        for (g, l) in zip(grad, result.losses) {
            let expected: Double = -l * halfPrecision + 0.5
            #expect(abs(Double(g) - expected) < 1e-4)
        }
        #expect(step.ownParameters.map(\.name) == ["loss_weighting.log_vars"])
    }

    @Test func aFewStepsLowerEveryTasksLossAndTheDomainClassifierTrains() throws {
        let m = try TinyMultitask.model(
            experts: .init(sharedExperts: 1, taskExperts: 1, expertHidden: 6, expertOutput: 6), domains: 2)
        let step = MultitaskStep(model: m, weighting: .fixed([]), pcgrad: true, seed: 1)
        let opt = AdamW(groups: [.init(name: "all", parameters: m.namedParameters, learningRate: 0.01, weightDecay: 0)])
        func evalLosses() -> [Float] {
            GradMode.withoutGrad { TinyMultitask.batches.map { m.loss($0, context: .inference).loss.item } }
        }
        let before = evalLosses()
        let domain = (TinyMultitask.batches[0], [Int32](repeating: 0, count: 3))
        var gateMeans: [[Float]?] = []
        for s in 0..<30 {
            m.zeroGrad()
            let r = step.run(TinyMultitask.batches, step: s, domainBatches: [domain], lambda: 0.1)
            gateMeans = r.meanGates
            opt.update()
        }
        let after = evalLosses()
        for (a, b) in zip(after, before) { #expect(a < b, "loss \(b) → \(a)") }
        #expect(m.domainClassifier?.outProjection.weight.grad != nil)
        let spamGates = try #require(gateMeans[0])
        #expect(abs(spamGates.reduce(0, +) - 1) < 1e-5)
        #expect(gateMeans[2] == nil)  // the tagger bypasses the experts
    }
}

/// Task-specific bottleneck adapters on a tiny BERT: a task's batch sends gradient to its own adapters only, the
/// shared trunk stays bitwise as it was through training steps, and the adapters of every task change.
@Suite struct TaskAdapterTrainingTests {
    @Test func eachTasksAdaptersLearnFromItsOwnBatchesOnlyAndTheTrunkStaysBitwise() throws {
        let trunk = BertModel(config: TinyMultitask.config, pooler: false, seed: 3)
        var ini = Initializer(seed: 5)
        let selector = TaskSelector()
        let names = TinyMultitask.tasks.map(\.name)
        try trunk.addTaskBottleneckAdapters(.init(reductionFactor: 2), tasks: names, initializer: &ini, selector: selector)
        let m = try MultitaskModel(trunk: trunk, tasks: TinyMultitask.tasks, pooling: .mean, headDropout: 0, seed: 4)
        m.taskSelector = selector
        let optimizer = AdamW(
            groups: ParameterGroups(learningRate: 1e-2, trainable: ["*.adapters.*", "heads.*"]).apply(to: m))
        func adapters(of task: String) -> [Tensor] {
            m.trunk.namedParameters.filter { $0.name.contains(".adapters.\(task).") }.map(\.tensor)
        }
        let base = m.trunk.namedParameters.filter { !$0.name.contains(".adapters.") }
        #expect(!base.isEmpty && base.allSatisfy { !$0.tensor.requiresGrad })
        for (k, b) in TinyMultitask.batches.enumerated() {
            m.zeroGrad()
            GradMode.withGrad { m.loss(b, context: .inference).loss.backward() }
            for (j, task) in names.enumerated() {
                let grads = adapters(of: task).map(\.grad)
                #expect(grads.count == 2 * 2 * 4)  // 2 layers × 2 places × (down, up) × (weight, bias)
                #expect(grads.allSatisfy { (j == k) == ($0 != nil) }, "batch of \(names[k]), adapters of \(task)")
            }
        }
        let baseBefore = base.map(\.tensor.scalars)
        let adaptersBefore = names.map { adapters(of: $0).map(\.scalars) }
        let step = MultitaskStep(model: m, weighting: .fixed([]), pcgrad: false, seed: 9)
        for s in 0..<3 {
            m.zeroGrad()
            _ = step.run(TinyMultitask.batches, step: s)
            optimizer.update()
        }
        #expect(base.map(\.tensor.scalars) == baseBefore)
        for (k, task) in names.enumerated() { #expect(adapters(of: task).map(\.scalars) != adaptersBefore[k]) }
    }
}
