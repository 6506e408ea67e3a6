import Models
import NN
import Tensor
import Testing

@testable import Training

@Suite struct MultitaskModelTests {
    @Test func namesHeadsExpertsAndTheTrunkAsDocumented() throws {
        let m = try TinyMultitask.model(
            experts: .init(sharedExperts: 2, taskExperts: 1, expertHidden: 6, expertOutput: 5), domains: 2)
        let names = m.namedParameters.map(\.name)
        #expect(names.contains("encoder.layer.0.attention.self.query.weight"))
        #expect(names.contains("heads.spam.dense.weight") && names.contains("heads.tags.dense.bias"))
        #expect(names.contains("cgc.levels.0.gates.1.weight") && names.contains("domain_classifier.out_proj.weight"))
        // Sequence-level heads read the experts' output (5 wide); the tagger reads token states (8 wide).
        #expect(m.heads[0].dense.inputDimensions == 5 && m.heads[2].dense.inputDimensions == 8)
        #expect(m.heads[1].dense.outputDimensions == 1)
    }

    @Test func rejectsBadTaskLists() {
        let trunk = BertModel(config: TinyMultitask.config, pooler: false)
        for tasks in [
            [], [TaskSpec(name: "a", kind: .regression, labels: 1), TaskSpec(name: "a", kind: .regression, labels: 1)],
            [TaskSpec(name: "a", kind: .sequenceClassification, labels: 1)],
        ] {
            #expect(throws: TrainingError.self) { try MultitaskModel(trunk: trunk, tasks: tasks, seed: 1) }
        }
    }

    @Test func eachTaskLossEqualsItsHeadOnThePooledTrunkAndGradientsCheck() throws {
        let m = try TinyMultitask.model()
        for b in TinyMultitask.batches {
            let (loss, out) = GradMode.withoutGrad { m.loss(b, context: .inference) }
            let hidden = GradMode.withoutGrad { m.trunk.hiddenStates(b.input, context: .inference) }
            let expectedInput =
                m.heads[b.task].kind.isSequenceLevel ? Pooling.mean(hidden, mask: b.input.attentionMask) : hidden
            let manual = GradMode.withoutGrad {
                m.heads[b.task].loss(m.heads[b.task].dense(expectedInput), classes: b.classes, values: b.values)
            }
            #expect(abs(loss.item - manual.item) < 1e-6)
            #expect(out.gates == nil)
            let head = m.heads[b.task]
            #expect(GradientCheck.run(head.parameters) { m.loss(b, context: .inference).loss }.isEmpty)
        }
    }

    @Test func withExpertsTheTaskGateIsReturnedAndGradientsReachTheExperts() throws {
        let m = try TinyMultitask.model(
            experts: .init(sharedExperts: 2, taskExperts: 1, expertHidden: 6, expertOutput: 5))
        let b = TinyMultitask.batches[0]
        let out = GradMode.withoutGrad { m(b, context: .inference) }
        let gates = try #require(out.gates)
        #expect(gates.shape == [3, 3])
        GradMode.withGrad { m.loss(b, context: .inference).loss.backward() }
        let level = try #require(m.experts?.levels.first)
        #expect(level.gates[0].weight.grad != nil && level.sharedExperts[1].fc1.weight.grad != nil)
        #expect(level.taskExperts[0][0].fc2.weight.grad != nil)
        #expect(level.taskExperts[1][0].fc2.weight.grad == nil)  // another task's expert is not used by spam
        #expect(m.heads[1].dense.weight.grad == nil)
    }

    /// A pair on a trunk with one token type (`type_vocab_size: 1`): its second text's type 1 would index past
    /// the token-type embedding (a trap before); like HF's tokenizers for such models, every token is type 0 —
    /// in training, in the step's domain passes and in inference.
    @Test func aPairOnATrunkWithOneTokenTypeIsReadAsAllType0() throws {
        var c = TinyMultitask.config
        c.typeVocabSize = 1
        let m = try MultitaskModel(
            trunk: BertModel(config: c, pooler: false, seed: 3),
            tasks: [TaskSpec(name: "nli", kind: .pairClassification, labels: 3)], pooling: .mean, headDropout: 0,
            seed: 4)
        var pair = TinyMultitask.input(0)
        pair.tokenTypeIds = [0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1]
        var single = pair
        single.tokenTypeIds = nil
        let a = GradMode.withoutGrad { m(TaskBatch(task: 0, input: pair, classes: [0, 2, 1]), context: .inference) }
        let b = GradMode.withoutGrad { m(TaskBatch(task: 0, input: single, classes: [0, 2, 1]), context: .inference) }
        #expect(a.output.scalars == b.output.scalars)
        // (Compared by probabilities: a classifier's `value` is NaN.)
        let predicted = try MultitaskInference.predict(m, input: pair, tasks: [0]).rows.map { $0.map(\.probabilities) }
        #expect(predicted == (try MultitaskInference.predict(m, input: single, tasks: [0]).rows.map { $0.map(\.probabilities) }))
        // With two token types the segment ids are used.
        let two = try TinyMultitask.model()
        let x = GradMode.withoutGrad { two.trunk.hiddenStates(pair, context: .inference).scalars }
        #expect(x != GradMode.withoutGrad { two.trunk.hiddenStates(single, context: .inference).scalars })
    }
}
