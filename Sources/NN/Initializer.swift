import Tensor

/// Deterministic parameter initialisation from a seed (BERT/GPT-2 style: N(0, std) weights, zero biases).
public struct Initializer {
    public let seed: UInt64
    private var counter: UInt64 = 0

    /// When true every tensor is zeros: for a model whose weights are loaded right after it is built, where
    /// drawing random values first only costs time (SmolLM2: most of its load).
    public let skipsRandom: Bool

    public init(seed: UInt64) {
        self.seed = seed
        skipsRandom = false
    }

    /// An initializer that draws nothing: every tensor is zeros, to be overwritten by loaded weights.
    public static var unfilled: Initializer { Initializer(seed: 0, skipsRandom: true) }

    private init(seed: UInt64, skipsRandom: Bool) {
        self.seed = seed
        self.skipsRandom = skipsRandom
    }

    /// A tensor of N(0, std²) values from the next stream.
    public mutating func normal(_ shape: [Int], std: Float) -> Tensor {
        if skipsRandom { return Tensor(zeros: shape) }
        let rng = CounterRNG(seed: seed, stream: 0xA11C_E000 &+ counter)
        counter += 1
        return Tensor((0..<shape.reduce(1, *)).map { rng.normal($0) * std }, shape: shape)
    }
}

extension Initializer {
    /// A tensor of U(−bound, bound) values from the next stream (LoRA's `A`: kaiming-uniform with a = √5 over
    /// fan-in `in`, i.e. bound 1/√in, as PEFT's `reset_lora_parameters`).
    public mutating func uniform(_ shape: [Int], bound: Float) -> Tensor {
        if skipsRandom { return Tensor(zeros: shape) }
        let rng = CounterRNG(seed: seed, stream: 0xA11C_E000 &+ counter)
        counter += 1
        return Tensor((0..<shape.reduce(1, *)).map { (2 * rng.uniform($0) - 1) * bound }, shape: shape)
    }
}
