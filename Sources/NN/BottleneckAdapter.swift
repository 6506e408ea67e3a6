import Tensor

/// A bottleneck adapter after a sublayer's output projection (Houlsby et al. 2019; AdapterHub's `Adapter`):
/// `h = inner(x)`, `y = h + up(act(down(h)))`, down `[m, C]`, up `[C, m]` with m = C / reduction factor.
///
/// It wraps the projection in its ``LinearSlot`` (`attention.output.dense`, `output.dense`), so it sits after the
/// projection and before the block's `LayerNorm(x + sublayer)` — with the adapter's own skip connection, as
/// AdapterHub's Houlsby preset (`residual_before_ln`, `original_ln_after`). The block's hidden dropout comes after
/// the adapter here and before it in AdapterHub; in evaluation (no dropout) the two compute the same. Near-identity
/// init: both projections N(0, `std`²) (1e-2 by default), biases zero, so the output starts within a small
/// multiple of std² of the base. Parameter names follow AdapterHub's keys under the slot:
/// `adapters.<name>.adapter_down.0.weight`, `adapters.<name>.adapter_up.weight`.
public final class BottleneckAdapter: LinearLayer {
    public enum NonLinearity: String, Sendable, Codable {
        /// x·σ(x) (AdapterHub's Houlsby default, `swish`).
        case swish
        case relu
        case gelu
    }

    public let inner: any LinearLayer
    public let name: String
    public let down: Linear
    public let up: Linear
    public let nonLinearity: NonLinearity

    public init(
        wrapping inner: any LinearLayer, name: String, bottleneck: Int, nonLinearity: NonLinearity = .swish,
        std: Float = 1e-2, initializer: inout Initializer
    ) {
        self.inner = inner
        self.name = name
        let c = inner.outputDimensions
        down = Linear(inputDimensions: c, outputDimensions: bottleneck, initializer: &initializer, std: std)
        up = Linear(inputDimensions: bottleneck, outputDimensions: c, initializer: &initializer, std: std)
        self.nonLinearity = nonLinearity
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("", inner), ("adapters.\(name).adapter_down.0", down), ("adapters.\(name).adapter_up", up)]
    }
    public var inputDimensions: Int { inner.inputDimensions }
    public var outputDimensions: Int { inner.outputDimensions }

    /// x `[..., in]` → `[..., C]`.
    public func callAsFunction(_ x: Tensor) -> Tensor { adapted(inner(x)) }

    /// The adapter on the wrapped projection's output h `[..., C]` → `h + up(act(down(h)))` `[..., C]`.
    public func adapted(_ h: Tensor) -> Tensor {
        let z = down(h)  // [..., m]
        let act: Tensor
        switch nonLinearity {
        case .swish: act = z * z.sigmoid()
        case .relu: act = z.relu()
        case .gelu: act = z.gelu()
        }
        return h + up(act)
    }
}
