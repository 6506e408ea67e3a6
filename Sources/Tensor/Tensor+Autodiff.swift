import Dispatch

/// Whether ops record a tape for reverse-mode autodiff. Task-local (so concurrent tests and tasks do not see each
/// other's setting); inference turns it off with ``withoutGrad(_:)``.
public enum GradMode {
    @TaskLocal static var disabled = false

    public static var isEnabled: Bool { !disabled }

    /// Runs `body` with gradient recording off.
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $disabled.withValue(true) { try body() }
    }

    /// Runs `body` with gradient recording on (e.g. a training step called from inside `withoutGrad`).
    public static func withGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $disabled.withValue(false) { try body() }
    }
}

extension Tensor {
    /// Makes this tensor a tape node over `parents` when any of them requires a gradient.
    ///
    /// `backward` receives the result (whose `grad` is set) and accumulates into the parents' gradients with
    /// ``gradPointer()``; it must skip parents that do not require a gradient. Layers outside this module define
    /// their own ops with it (forward kernel, then `record`, backward right below).
    public func record(parents: [Tensor], op: String = #function, backward: @escaping (Tensor) -> Void) {
        if Profiler.isEnabled { Profiler.chargeForward(Profiler.shortName(op)) }
        guard GradMode.isEnabled, parents.contains(where: { $0.requiresGrad }) else { return }
        requiresGrad = true
        self.parents = parents
        self.backwardFn = backward
        if Profiler.isEnabled { opName = Profiler.shortName(op) }
    }

    /// The gradient buffer, allocated zero-filled on first use; backward closures add into it.
    public func gradPointer() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.pointer }
        let g = Tensor(zeros: shape)
        grad = g
        return g.pointer
    }

    /// Clears the gradient (parameters, between steps).
    public func zeroGrad() { grad = nil }

    /// Backpropagates from this tensor: seeds its gradient with `seed` (default: ones, i.e. d(self)/d(self)) and
    /// runs every backward closure on the tape in reverse topological order.
    ///
    /// Gradients accumulate into leaves (`requiresGrad` tensors without a tape node). Intermediate gradients and the
    /// tape are released as the walk goes, so a graph can be backpropagated once.
    public func backward(seed: Tensor? = nil) {
        precondition(requiresGrad, "backward on a tensor that does not require a gradient")
        if let seed {
            precondition(seed.shape == shape, "seed shape \(seed.shape) != \(shape)")
            let g = gradPointer()
            for i in 0..<count { g[i] += seed.pointer[i] }
        } else {
            let g = gradPointer()
            for i in 0..<count { g[i] += 1 }
        }
        // Iterative DFS post-order: a node comes after all nodes that consume it once reversed.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            let id = ObjectIdentifier(node)
            if visited.contains(id) { continue }
            visited.insert(id)
            stack.append((node, true))
            for p in node.parents where p.backwardFn != nil && !visited.contains(ObjectIdentifier(p)) {
                stack.append((p, false))
            }
        }
        for node in order.reversed() {
            guard let fn = node.backwardFn else { continue }
            if node.grad != nil {
                if Profiler.isEnabled {
                    let start = Profiler.clock()
                    fn(node)
                    Profiler.chargeBackward(node.opName ?? "?", since: start)
                } else {
                    fn(node)
                }
            }
            node.backwardFn = nil
            node.parents = []
            if node !== self { node.grad = nil }
        }
    }
}
