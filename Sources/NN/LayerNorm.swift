import Tensor

/// Layer normalisation over the last dimension (parameters `weight` and `bias`, `[C]`).
public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(dimensions: Int, eps: Float) {
        weight = parameter(Tensor(repeating: 1, shape: [dimensions]), "weight")
        bias = parameter(Tensor(zeros: [dimensions]), "bias")
        self.eps = eps
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, weight: weight, bias: bias, eps: eps) }
}
