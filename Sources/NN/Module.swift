import Tensor

/// A layer or model: a node of a module tree that owns named parameters and named child modules.
///
/// A child's name is the path segment (or segments, dotted) that HF uses for it, so the full names of a model's
/// parameters — its own and its descendants', joined with dots — are the HF names
/// (`encoder.layer.0.attention.self.query.weight`). A child named `""` is transparent: its parameters keep the
/// parent's path (``LinearSlot`` and the wrappers put in it use that, so a wrapped projection keeps its weight's
/// name and adds its own parameters beside it, as PEFT does).
public protocol Module: AnyObject {
    /// This module's own parameters (not its children's), in a stable order, names relative to it.
    var ownParameters: [(name: String, tensor: Tensor)] { get }
    /// The child modules, in a stable order, with their names relative to this module.
    var namedChildren: [(name: String, module: any Module)] { get }
}

extension Module {
    public var ownParameters: [(name: String, tensor: Tensor)] { [] }
    public var namedChildren: [(name: String, module: any Module)] { [] }

    /// Every parameter of the tree, own parameters first, then each child's in order, with full dotted names.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var out = ownParameters
        for (name, child) in namedChildren {
            out += child.namedParameters.map { (joinedName(name, $0.name), $0.tensor) }
        }
        return out
    }

    /// This module (named `""`) and all its descendants, depth first, with full dotted names.
    public var namedModules: [(name: String, module: any Module)] {
        var out: [(name: String, module: any Module)] = [("", self)]
        for (name, child) in namedChildren {
            out += child.namedModules.map { (joinedName(name, $0.name), $0.module) }
        }
        return out
    }

    /// The parameter tensors (for an optimizer).
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// The number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The number of scalar parameters that train (`requiresGrad`).
    public var trainableParameterCount: Int { parameters.reduce(0) { $0 + ($1.requiresGrad ? $1.count : 0) } }
}

/// `parent.child`, or either alone when the other is empty.
@inlinable
public func joinedName(_ parent: String, _ child: String) -> String {
    parent.isEmpty ? child : child.isEmpty ? parent : parent + "." + child
}

/// Prefixes the names of a child module's parameters (`prefix` + "." + name).
public func scoped(_ prefix: String, _ child: any Module) -> [(name: String, tensor: Tensor)] {
    child.namedParameters.map { (joinedName(prefix, $0.name), $0.tensor) }
}

/// Marks a fresh tensor as a trainable parameter with its (relative) name.
func parameter(_ t: Tensor, _ name: String) -> Tensor {
    t.requiresGrad = true
    t.name = name
    return t
}
