import Tensor

/// What can stand where a model has a linear projection: `[..., in]` → `[..., out]`. ``Linear`` is one; PEFT
/// methods (LoRA, bottleneck adapters) wrap one and are others.
public protocol LinearLayer: Module {
    var inputDimensions: Int { get }
    var outputDimensions: Int { get }
    func callAsFunction(_ x: Tensor) -> Tensor
}

extension Linear: LinearLayer {}

/// A model's place for a linear projection, holding the pre-trained ``Linear`` and whatever wraps it.
///
/// Models build their projections as slots; a PEFT method replaces ``layer`` with a wrapper of the current layer
/// (``wrap(_:)``) without forking the model. The slot is transparent in the module tree (its one child has the
/// empty name), so the base weight keeps its HF name (`…attention.self.query.weight`) and a wrapper's parameters
/// appear beside it (`…attention.self.query.lora_A.weight`, PEFT's key names).
public final class LinearSlot: LinearLayer {
    /// The pre-trained projection.
    public let base: Linear
    /// What the slot computes with: `base`, or a wrapper around it.
    public private(set) var layer: any LinearLayer

    public init(_ base: Linear) {
        self.base = base
        layer = base
    }

    /// Replaces the layer by `make(current layer)`, which must keep its input and output dimensions.
    public func wrap(_ make: (any LinearLayer) -> any LinearLayer) {
        let wrapped = make(layer)
        precondition(
            wrapped.inputDimensions == base.inputDimensions && wrapped.outputDimensions == base.outputDimensions,
            "LinearSlot.wrap: a wrapper must keep [\(base.inputDimensions)] → [\(base.outputDimensions)]")
        layer = wrapped
    }

    /// Puts the base layer back (e.g. after merging a LoRA into its weight).
    public func unwrap() { layer = base }

    public var namedChildren: [(name: String, module: any Module)] { [("", layer)] }
    public var inputDimensions: Int { base.inputDimensions }
    public var outputDimensions: Int { base.outputDimensions }
    /// The base layer's weight and bias (what HF checkpoints hold).
    public var weight: Tensor { base.weight }
    public var bias: Tensor? { base.bias }

    /// x `[..., in]` → `[..., out]` through the current layer.
    public func callAsFunction(_ x: Tensor) -> Tensor { layer(x) }
}

extension Linear {
    /// This layer in a fresh slot.
    public var slot: LinearSlot { LinearSlot(self) }
}
