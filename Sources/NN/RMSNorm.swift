import Tensor

/// Root-mean-square normalisation over the last dimension (HF `LlamaRMSNorm`, parameter `weight` `[C]`).
public final class RMSNorm: Module {
    public let weight: Tensor
    public let eps: Float

    public init(dimensions: Int, eps: Float) {
        weight = parameter(Tensor(repeating: 1, shape: [dimensions]), "weight")
        self.eps = eps
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { rmsNorm(x, weight: weight, eps: eps) }
}
