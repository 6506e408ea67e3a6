/// The forward context of the pass in progress, shared by layers that sit behind the ``LinearLayer`` interface
/// (which takes no context) but draw dropout masks: LoRA's dropout on A's input.
///
/// The training step sets ``current`` before each forward pass (the same context object the model receives), so
/// those layers take their dropout streams from the pass's sequence like every other dropout site: masks stay a
/// function of (seed, step, pass, site) and a resumed run draws the same ones.
public final class ContextSource {
    public var current: ForwardContext

    public init(_ current: ForwardContext = .inference) { self.current = current }
}
