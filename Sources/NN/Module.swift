import Tensor

/// A layer or model: something that owns named parameters.
///
/// Names are relative to the module and joined with dots by the container, so a model's names are the HF names
/// (`encoder.layer.0.attention.self.query.weight`).
public protocol Module: AnyObject {
    /// Parameters in a stable order, with their names relative to this module.
    var namedParameters: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    /// The parameter tensors (for an optimizer).
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// The number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// Prefixes the names of a child module's parameters (`prefix` + "." + name).
public func scoped(_ prefix: String, _ child: Module) -> [(name: String, tensor: Tensor)] {
    child.namedParameters.map { (prefix + "." + $0.name, $0.tensor) }
}

/// Marks a fresh tensor as a trainable parameter with its (relative) name.
func parameter(_ t: Tensor, _ name: String) -> Tensor {
    t.requiresGrad = true
    t.name = name
    return t
}
