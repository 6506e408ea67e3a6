import Tensor
import Testing

@testable import NN

/// A two-level tree: a block with a projection slot and a norm, inside a model with an embedding.
private final class Block: Module {
    let proj: LinearSlot
    let norm = LayerNorm(dimensions: 4, eps: 1e-5)
    init(_ ini: inout Initializer) {
        proj = Linear(inputDimensions: 4, outputDimensions: 4, initializer: &ini, std: 0.5).slot
    }
    var namedChildren: [(name: String, module: any Module)] { [("attention.proj", proj), ("LayerNorm", norm)] }
    func callAsFunction(_ x: Tensor) -> Tensor { norm(proj(x)) }
}

private final class Tiny: Module {
    let embed: Embedding
    let blocks: [Block]
    let scale = Tensor(repeating: 1, shape: [4], requiresGrad: true)
    init() {
        var ini = Initializer(seed: 4)
        embed = Embedding(count: 7, dimensions: 4, initializer: &ini, std: 1)
        blocks = (0..<2).map { _ in Block(&ini) }
    }
    var ownParameters: [(name: String, tensor: Tensor)] { [("scale", scale)] }
    var namedChildren: [(name: String, module: any Module)] {
        [("embeddings", embed)] + blocks.enumerated().map { ("layer.\($0.offset)", $0.element) }
    }
    func callAsFunction(_ ids: [Int32]) -> Tensor {
        var h = embed(ids)
        for b in blocks { h = b(h) }
        return multiplied(h, scale)
    }
}

/// A wrapper in a slot: base output plus a learned per-channel shift (the shape LoRA and adapters take).
private final class Shifted: LinearLayer {
    let inner: any LinearLayer
    let shift: Tensor
    init(_ inner: any LinearLayer) {
        self.inner = inner
        shift = Tensor((0..<inner.outputDimensions).map { Float($0) * 0.3 - 0.4 }, shape: [inner.outputDimensions])
        shift.requiresGrad = true
    }
    var inputDimensions: Int { inner.inputDimensions }
    var outputDimensions: Int { inner.outputDimensions }
    var ownParameters: [(name: String, tensor: Tensor)] { [("shift.weight", shift)] }
    var namedChildren: [(name: String, module: any Module)] { [("", inner)] }
    func callAsFunction(_ x: Tensor) -> Tensor { inner(x).addingBias(shift) }
}

@Suite struct ModuleTests {
    @Test func namesFollowTheTree() {
        let m = Tiny()
        #expect(
            m.namedParameters.map(\.name) == [
                "scale", "embeddings.weight",
                "layer.0.attention.proj.weight", "layer.0.attention.proj.bias", "layer.0.LayerNorm.weight",
                "layer.0.LayerNorm.bias",
                "layer.1.attention.proj.weight", "layer.1.attention.proj.bias", "layer.1.LayerNorm.weight",
                "layer.1.LayerNorm.bias",
            ])
        let modules = m.namedModules.map(\.name)
        #expect(modules.contains("layer.1.attention.proj") && modules.contains("layer.0.LayerNorm"))
        #expect(m.parameterCount == 4 + 28 + 2 * (20 + 8))
    }

    @Test func namePatterns() {
        let p = NamePattern("encoder.layer.*.attention.*")
        #expect(p.matches("encoder.layer.3.attention.self.query.weight"))
        #expect(!p.matches("encoder.layer.3.output.dense.weight"))
        #expect(NamePattern("*.bias").matches("a.b.bias") && !NamePattern("*.bias").matches("a.bias.x"))
        #expect(NamePattern("layer.?.x").matches("layer.7.x") && !NamePattern("layer.?.x").matches("layer.10.x"))
        #expect(NamePattern("*").matches("") && !NamePattern("a").matches("ab"))
    }

    @Test func frozenParametersGetNoGradient() {
        let m = Tiny()
        let frozen = m.freeze(matching: ["embeddings.*", "layer.0.*"])
        #expect(frozen.count == 5)
        #expect(m.trainableParameters.map(\.name).allSatisfy { !$0.hasPrefix("layer.0") && !$0.hasPrefix("emb") })
        GradMode.withGrad { m([1, 2, 3]).sum().backward() }
        for (name, t) in m.namedParameters {
            #expect((t.grad != nil) == !frozen.contains(name), "\(name)")
        }
        m.unfreeze(matching: ["layer.0.LayerNorm.*"])
        #expect(m.blocks[0].norm.weight.requiresGrad && !m.blocks[0].proj.weight.requiresGrad)
    }

    @Test func aFrozenWeightCostsNoWeightGradientGEMM() {
        // x [16, 4] · Wᵀ: forward 2·16·4·4 FLOPs; backward dx and dW, the same each.
        var ini = Initializer(seed: 1)
        let layer = Linear(inputDimensions: 4, outputDimensions: 4, initializer: &ini)
        let x = GradientCheck.randomTensor([16, 4], seed: 2)
        x.requiresGrad = true
        let gemm = 2 * 16 * 4 * 4
        let full = GradMode.withGrad { FlopCounter.count { layer(x).sum().backward() }.flops }
        layer.weight.requiresGrad = false
        layer.weight.zeroGrad()
        x.zeroGrad()
        let frozen = GradMode.withGrad { FlopCounter.count { layer(x).sum().backward() }.flops }
        #expect(full == 3 * gemm)
        #expect(frozen == 2 * gemm)
        #expect(layer.weight.grad == nil)
    }

    @Test func aSlotTakesAWrapperAndKeepsTheBaseNames() {
        let m = Tiny()
        let ids: [Int32] = [0, 4, 6]
        let before = GradMode.withoutGrad { m(ids).scalars }
        m.blocks[1].proj.wrap { Shifted($0) }
        #expect(m.namedParameters.map(\.name).contains("layer.1.attention.proj.shift.weight"))
        #expect(m.namedParameters.map(\.name).contains("layer.1.attention.proj.weight"))
        #expect(GradMode.withoutGrad { m(ids).scalars } != before)
        // The wrapper's parameter and the base's pass a finite-difference check through the whole model.
        let wrapper = m.blocks[1].proj.layer as! Shifted
        #expect(GradientCheck.run([wrapper.shift, m.blocks[1].proj.weight]) { m(ids) }.isEmpty)
        m.blocks[1].proj.unwrap()
        #expect(GradMode.withoutGrad { m(ids).scalars } == before)
    }

    @Test func passesOfOneStepDrawDistinctDropoutMasks() {
        let x = GradientCheck.randomTensor([8, 16], seed: 3)
        let d = Dropout(p: 0.5)
        let a = d(x, ForwardContext(training: true, seed: 1, step: 2, pass: 0)).scalars
        let b = d(x, ForwardContext(training: true, seed: 1, step: 2, pass: 1)).scalars
        let a2 = d(x, ForwardContext(training: true, seed: 1, step: 2)).scalars
        #expect(a != b)
        #expect(a == a2)  // pass 0 is the context without passes: earlier masks are unchanged
    }
}
