import Tensor

extension Module {
    /// Freezes every parameter whose full name matches one of `patterns` (see ``NamePattern``): it stops
    /// requiring a gradient, so backward computes no gradient for it — a frozen linear weight costs no
    /// weight-gradient GEMM. Returns the names frozen.
    @discardableResult
    public func freeze(matching patterns: [String]) -> [String] {
        setRequiresGrad(false, matching: patterns)
    }

    /// Makes the parameters whose full name matches one of `patterns` trainable again. Returns their names.
    @discardableResult
    public func unfreeze(matching patterns: [String]) -> [String] {
        setRequiresGrad(true, matching: patterns)
    }

    /// Sets `requiresGrad` of the parameters matching `patterns`; returns their names.
    @discardableResult
    public func setRequiresGrad(_ value: Bool, matching patterns: [String]) -> [String] {
        let compiled = patterns.map(NamePattern.init)
        var names: [String] = []
        for (name, tensor) in namedParameters where compiled.contains(where: { $0.matches(name) }) {
            tensor.requiresGrad = value
            if !value { tensor.zeroGrad() }
            names.append(name)
        }
        return names
    }

    /// The names and tensors of the parameters that train.
    public var trainableParameters: [(name: String, tensor: Tensor)] { namedParameters.filter { $0.tensor.requiresGrad } }
}
