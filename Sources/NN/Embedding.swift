import Tensor

/// A lookup table `[V, C]` (parameter `weight`): ids → rows.
public final class Embedding: Module {
    public let weight: Tensor

    public init(count: Int, dimensions: Int, initializer: inout Initializer, std: Float = 0.02) {
        weight = parameter(initializer.normal([count, dimensions], std: std), "weight")
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    /// ids (N of them) → `[N, C]`.
    public func callAsFunction(_ ids: [Int32]) -> Tensor { embedding(weight, ids: ids) }
}
