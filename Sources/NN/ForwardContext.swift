import Tensor

/// What a forward pass needs besides its inputs: train or eval mode, and the dropout random streams.
///
/// Each dropout site takes the next stream number, so masks depend only on (seed, step, site): a run resumed at a
/// step reproduces the masks an uninterrupted run would have drawn. Create one context per forward pass; passes of
/// one step (micro-batches of gradient accumulation, one pass per task) differ by `pass`, so each draws its own
/// masks.
public final class ForwardContext {
    public let training: Bool
    public let seed: UInt64
    public let step: UInt64
    /// Which forward pass of the step this is (0 for the first).
    public let pass: UInt64
    private var nextStream: UInt64 = 0

    public init(training: Bool, seed: UInt64 = 0, step: UInt64 = 0, pass: UInt64 = 0) {
        self.training = training
        self.seed = seed
        self.step = step
        self.pass = pass
    }

    /// Inference: no dropout.
    public static var inference: ForwardContext { ForwardContext(training: false) }

    /// The generator for the next random site of this pass.
    public func nextRNG() -> CounterRNG {
        defer { nextStream += 1 }
        // Pass 0 keeps the streams of a context without passes: step·2¹⁶ + site; other passes add pass·2⁴⁰.
        return CounterRNG(seed: seed, stream: step &* 0x1_0000 &+ nextStream &+ pass &* 0x100_0000_0000)
    }
}
