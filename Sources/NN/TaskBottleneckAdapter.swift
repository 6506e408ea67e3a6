import Tensor

/// One bottleneck adapter per task after a frozen shared projection: `h = inner(x)`, `y = h + up_t(act(down_t(h)))`
/// for the selected task t (none: `h`), so each task trains its own adapter set on one shared trunk — the
/// task-specific counterpart of ``BottleneckAdapter`` as ``TaskLoRALinear`` is of ``LoRALinear``.
///
/// Names follow AdapterHub's multi-adapter layout, the task as the adapter name:
/// `adapters.<task>.adapter_down.0.weight`, `adapters.<task>.adapter_up.weight` (see ``AdapterHubFiles``, which
/// saves each adapter in its own folder).
public final class TaskBottleneckAdapter: LinearLayer {
    public let inner: any LinearLayer
    /// Task → its adapter (only its `down`, `up` and non-linearity are used; its `inner` is this layer's).
    public let adapters: [(task: String, adapter: BottleneckAdapter)]
    let selector: TaskSelector

    public init(
        wrapping inner: any LinearLayer, tasks: [String], bottleneck: Int, nonLinearity: BottleneckAdapter.NonLinearity,
        std: Float = 1e-2, initializer: inout Initializer, selector: TaskSelector
    ) {
        self.inner = inner
        self.selector = selector
        adapters = tasks.map { task in
            (
                task,
                BottleneckAdapter(
                    wrapping: inner, name: task, bottleneck: bottleneck, nonLinearity: nonLinearity, std: std,
                    initializer: &initializer)
            )
        }
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("", inner)]
            + adapters.flatMap { t, a in
                [("adapters.\(t).adapter_down.0", a.down as any Module), ("adapters.\(t).adapter_up", a.up)]
            }
    }
    public var inputDimensions: Int { inner.inputDimensions }
    public var outputDimensions: Int { inner.outputDimensions }

    /// x `[..., in]` → `[..., C]` with the selected task's adapter.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard let task = selector.current, let adapter = adapters.first(where: { $0.task == task })?.adapter else {
            return inner(x)
        }
        return adapter.adapted(inner(x))
    }
}

extension Module {
    /// Puts a ``TaskBottleneckAdapter`` (one adapter per task of `tasks`) where ``addBottleneckAdapters(_:initializer:)``
    /// would put one shared adapter; returns the wrapped modules' names. `configuration.name` is not used (each
    /// adapter is named after its task). Task names must be distinct, non-empty and dot-free.
    @discardableResult
    public func addTaskBottleneckAdapters(
        _ configuration: BottleneckAdapterConfiguration, tasks: [String], initializer: inout Initializer,
        selector: TaskSelector
    ) throws -> [String] {
        guard !tasks.isEmpty, Set(tasks).count == tasks.count,
            tasks.allSatisfy({ !$0.isEmpty && !$0.contains(".") && !$0.contains("/") })
        else {
            throw PEFTError(
                key: "adapters.per_task", message: "task names \(tasks) must be distinct, non-empty, without '.' or '/'")
        }
        let slots = try bottleneckSlots(configuration)
        for (_, slot) in slots {
            let bottleneck = max(1, slot.outputDimensions / configuration.reductionFactor)
            slot.wrap { current in
                TaskBottleneckAdapter(
                    wrapping: current, tasks: tasks, bottleneck: bottleneck, nonLinearity: configuration.nonLinearity,
                    std: configuration.initStd, initializer: &initializer, selector: selector)
            }
        }
        return slots.map(\.name)
    }
}
