import Tensor

/// `y = x Wᵀ + b`. Weight `[out, in]` (`torch.nn.Linear`, parameter `weight`) or `[in, out]` (GPT-2 `Conv1D`),
/// bias `[out]` (parameter `bias`).
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let layout: WeightLayout

    public init(
        inputDimensions: Int, outputDimensions: Int, bias: Bool = true, layout: WeightLayout = .outIn,
        initializer: inout Initializer, std: Float = 0.02
    ) {
        let shape = layout == .outIn ? [outputDimensions, inputDimensions] : [inputDimensions, outputDimensions]
        self.weight = parameter(initializer.normal(shape, std: std), "weight")
        self.bias = bias ? parameter(Tensor(zeros: [outputDimensions]), "bias") : nil
        self.layout = layout
    }

    public var inputDimensions: Int { layout == .outIn ? weight.shape[1] : weight.shape[0] }
    public var outputDimensions: Int { layout == .outIn ? weight.shape[0] : weight.shape[1] }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// x `[..., in]` → `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear(x, weight: weight, bias: bias, layout: layout)
    }
}
