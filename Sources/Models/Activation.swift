import Tensor

/// The hidden activation named by an HF config's `hidden_act` / `activation_function`.
public enum Activation: String, Sendable, Codable {
    case gelu
    case geluNew = "gelu_new"
    case geluPytorchTanh = "gelu_pytorch_tanh"
    case relu

    func apply(_ x: Tensor) -> Tensor {
        switch self {
        case .gelu: x.gelu()
        case .geluNew, .geluPytorchTanh: x.gelu(approximation: .tanh)
        case .relu: x.relu()
        }
    }
}
