/// Which GELU formula to use (HF `hidden_act`: `gelu` is the erf form, `gelu_new`/`gelu_pytorch_tanh` the tanh one).
public enum GELUApproximation: Sendable {
    /// `0.5 x (1 + erf(x / √2))`, exact GELU.
    case none
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    case tanh
}

extension Tensor {
    /// GELU, element-wise. Both forms use vectorisable approximations of erf/tanh accurate to ~2e-7 (``FastMath``).
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        let out = Tensor.empty(shape)
        let (x, z, n) = (pointer, out.pointer, count)
        Parallel.forRanges(n, minChunk: 1 << 15) { range in
            switch approximation {
            case .none:
                for i in range { z[i] = 0.5 * x[i] * (1 + FastMath.erf(x[i] * 0.70710678118654752)) }
            case .tanh:
                for i in range {
                    let v = x[i]
                    z[i] = 0.5 * v * (1 + FastMath.tanh(0.79788456080286536 * (v + 0.044715 * v * v * v)))
                }
            }
        }
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            Parallel.forRanges(n, minChunk: 1 << 15) { range in
                switch approximation {
                case .none:
                    // d/dx = Φ(x) + x φ(x)
                    for i in range {
                        let v = x[i]
                        let cdf = 0.5 * (1 + FastMath.erf(v * 0.70710678118654752))
                        let pdf = 0.39894228040143268 * FastMath.exp(-0.5 * v * v)
                        d[i] += g[i] * (cdf + v * pdf)
                    }
                case .tanh:
                    for i in range {
                        let v = x[i]
                        let u = 0.79788456080286536 * (v + 0.044715 * v * v * v)
                        let t = FastMath.tanh(u)
                        let du = 0.79788456080286536 * (1 + 3 * 0.044715 * v * v)
                        d[i] += g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
                    }
                }
            }
        }
        return out
    }
}
