import Tensor

/// A small feed-forward expert of a gated mixture: `[B, in]` → `[B, out]`, `fc2(gelu(fc1(x)))`.
public final class Expert: Module {
    public let fc1: Linear
    public let fc2: Linear

    public init(inputDimensions: Int, hidden: Int, outputDimensions: Int, initializer: inout Initializer) {
        fc1 = Linear(inputDimensions: inputDimensions, outputDimensions: hidden, initializer: &initializer)
        fc2 = Linear(inputDimensions: hidden, outputDimensions: outputDimensions, initializer: &initializer)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { fc2(fc1(x).gelu()) }
}
