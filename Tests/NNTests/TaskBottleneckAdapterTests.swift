import Tensor
import Testing

@testable import NN

@Suite struct TaskBottleneckAdapterTests {
    func layer() -> (Linear, TaskBottleneckAdapter, TaskSelector) {
        var ini = Initializer(seed: 4)
        let base = Linear(inputDimensions: 5, outputDimensions: 6, initializer: &ini, std: 0.5)
        let selector = TaskSelector()
        let l = TaskBottleneckAdapter(
            wrapping: base, tasks: ["spam", "qtype"], bottleneck: 2, nonLinearity: .swish, std: 0.5,
            initializer: &ini, selector: selector)
        return (base, l, selector)
    }

    @Test func eachTaskUsesOnlyItsOwnAdapter() {
        let (base, l, selector) = layer()
        let x = GradientCheck.randomTensor([2, 5], seed: 1)
        GradMode.withoutGrad {
            #expect(l(x).scalars == base(x).scalars)  // no task selected: the shared projection alone
            selector.current = "spam"
            let spam = l(x).scalars
            #expect(spam == l.adapters[0].adapter(x).scalars)
            selector.current = "qtype"
            #expect(l(x).scalars == l.adapters[1].adapter(x).scalars)
            #expect(l(x).scalars != spam)
        }
        // AdapterHub's multi-adapter names, the task as the adapter name.
        #expect(
            l.namedParameters.map(\.name) == [
                "weight", "bias", "adapters.spam.adapter_down.0.weight", "adapters.spam.adapter_down.0.bias",
                "adapters.spam.adapter_up.weight", "adapters.spam.adapter_up.bias",
                "adapters.qtype.adapter_down.0.weight", "adapters.qtype.adapter_down.0.bias",
                "adapters.qtype.adapter_up.weight", "adapters.qtype.adapter_up.bias",
            ])
    }

    @Test func gradientsReachOnlyTheSelectedTasksAdapterAndCheckNumerically() {
        let (base, l, selector) = layer()
        for p in base.parameters { p.requiresGrad = false }
        fill(l.adapters[1].adapter.down.bias!, GradientCheck.randomTensor([2], seed: 9))
        let x = GradientCheck.randomTensor([2, 5], seed: 2)
        selector.current = "qtype"
        GradMode.withGrad { l(x).sum().backward() }
        #expect(l.adapters[0].adapter.parameters.allSatisfy { $0.grad == nil || !$0.requiresGrad })
        #expect(l.adapters[0].adapter.down.weight.grad == nil && l.adapters[0].adapter.up.weight.grad == nil)
        #expect(l.adapters[1].adapter.down.weight.grad != nil && l.adapters[1].adapter.up.weight.grad != nil)
        #expect(base.weight.grad == nil)
        let own = [l.adapters[1].adapter.down, l.adapters[1].adapter.up].flatMap(\.parameters)
        #expect(GradientCheck.run([x] + own) { l(x) }.isEmpty)
    }

    @Test func addsToTheOutputProjectionsAndRejectsBadTaskNames() throws {
        var ini = Initializer(seed: 1)
        final class Host: Module {
            let attention: LinearSlot
            let ffn: LinearSlot
            init(_ ini: inout Initializer) {
                attention = Linear(inputDimensions: 4, outputDimensions: 4, initializer: &ini).slot
                ffn = Linear(inputDimensions: 8, outputDimensions: 4, initializer: &ini).slot
            }
            var namedChildren: [(name: String, module: any Module)] {
                [("layer.0.attention.output.dense", attention), ("layer.0.output.dense", ffn)]
            }
        }
        let host = Host(&ini)
        let wrapped = try host.addTaskBottleneckAdapters(
            .init(afterAttention: false, reductionFactor: 2), tasks: ["a", "b"], initializer: &ini,
            selector: TaskSelector())
        #expect(wrapped == ["layer.0.output.dense"])
        #expect(host.namedParameters.map(\.name).contains("layer.0.output.dense.adapters.b.adapter_up.weight"))
        #expect(!host.namedParameters.map(\.name).contains { $0.contains("attention.output.dense.adapters") })
        for bad in [["a.b"], [], ["x", "x"], ["a/b"]] {
            #expect(throws: PEFTError.self) {
                try Host(&ini).addTaskBottleneckAdapters(
                    .init(), tasks: bad, initializer: &ini, selector: TaskSelector())
            }
        }
    }
}
