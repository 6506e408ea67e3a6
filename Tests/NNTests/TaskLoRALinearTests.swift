import Tensor
import Testing

@testable import NN

@Suite struct TaskLoRALinearTests {
    func layer() -> (Linear, TaskLoRALinear, TaskSelector) {
        var ini = Initializer(seed: 4)
        let base = Linear(inputDimensions: 5, outputDimensions: 3, initializer: &ini, std: 0.5)
        let selector = TaskSelector()
        let l = TaskLoRALinear(
            wrapping: base, tasks: ["spam", "qtype"], rank: 2, alpha: 4, initializer: &ini, context: ContextSource(),
            selector: selector)
        for (k, entry) in l.loras.enumerated() {
            fill(entry.lora.b, GradientCheck.randomTensor([3, 2], seed: UInt64(k + 7)))
        }
        return (base, l, selector)
    }

    @Test func eachTaskUsesOnlyItsOwnUpdate() {
        let (base, l, selector) = layer()
        let x = GradientCheck.randomTensor([2, 5], seed: 1)
        GradMode.withoutGrad {
            #expect(l(x).scalars == base(x).scalars)  // no task selected
            selector.current = "spam"
            let spam = l(x).scalars
            #expect(spam == (base(x) + l.loras[0].lora.update(x)).scalars)
            selector.current = "qtype"
            #expect(l(x).scalars == (base(x) + l.loras[1].lora.update(x)).scalars)
            #expect(l(x).scalars != spam)
        }
        #expect(
            l.namedParameters.map(\.name) == [
                "lora_A.spam.weight", "lora_B.spam.weight", "lora_A.qtype.weight", "lora_B.qtype.weight", "weight",
                "bias",
            ])
    }

    @Test func gradientsReachOnlyTheSelectedTasksLoRAAndCheckNumerically() {
        let (base, l, selector) = layer()
        for p in base.parameters { p.requiresGrad = false }
        let x = GradientCheck.randomTensor([2, 5], seed: 2)
        selector.current = "qtype"
        GradMode.withGrad { l(x).sum().backward() }
        #expect(l.loras[0].lora.a.grad == nil && l.loras[0].lora.b.grad == nil)
        #expect(l.loras[1].lora.a.grad != nil && l.loras[1].lora.b.grad != nil)
        #expect(base.weight.grad == nil)
        #expect(GradientCheck.run([x, l.loras[1].lora.a, l.loras[1].lora.b]) { l(x) }.isEmpty)
    }

    @Test func appliesToTargetsAndRejectsBadTaskNames() throws {
        var ini = Initializer(seed: 1)
        let base = Linear(inputDimensions: 4, outputDimensions: 4, initializer: &ini)
        final class Host: Module {
            let query: LinearSlot
            init(_ l: Linear) { query = l.slot }
            var namedChildren: [(name: String, module: any Module)] { [("attention.self.query", query)] }
        }
        let host = Host(base)
        let wrapped = try host.applyTaskLoRA(
            LoRAConfiguration(rank: 2, targetModules: ["query"]), tasks: ["a", "b"], initializer: &ini,
            context: ContextSource(), selector: TaskSelector())
        #expect(wrapped == ["attention.self.query"])
        #expect(host.namedParameters.map(\.name).contains("attention.self.query.lora_B.b.weight"))
        for bad in [["a.b"], [], ["x", "x"]] {
            #expect(throws: PEFTError.self) {
                try Host(base).applyTaskLoRA(
                    LoRAConfiguration(targetModules: ["query"]), tasks: bad, initializer: &ini,
                    context: ContextSource(),
                    selector: TaskSelector())
            }
        }
    }
}
