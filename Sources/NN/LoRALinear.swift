import Tensor

/// A low-rank update beside a linear layer (Hu et al. 2021, PEFT's `lora.Linear`):
/// `y = inner(x) + s · B(A(dropout(x)))`, `A` `[r, in]`, `B` `[out, r]`, s = α/r (or α/√r with rsLoRA).
///
/// Parameters are named as PEFT saves them (`lora_A.weight`, `lora_B.weight`, beside the wrapped layer's `weight`
/// through a transparent child), so a wrapped `…attention.self.query` exports as
/// `…attention.self.query.lora_A.weight`. Init as PEFT: A kaiming-uniform (a = √5, so U(±1/√in)), B zero — the
/// wrapped layer computes exactly what the base did until B trains. The wrapped layer is not touched: freezing it
/// (see ``Module/applyLoRA(_:initializer:context:)``) leaves its weights bitwise as loaded and, since a frozen
/// weight takes no gradient, skips its weight-gradient product.
public final class LoRALinear: LinearLayer {
    /// The wrapped layer (usually the slot's base ``Linear``).
    public let inner: any LinearLayer
    /// `lora_A.weight` `[r, in]`.
    public let a: Tensor
    /// `lora_B.weight` `[out, r]`.
    public let b: Tensor
    public let rank: Int
    public let alpha: Float
    public let scale: Float
    public let dropout: Dropout
    let context: ContextSource

    /// Wraps `inner` with a rank-`rank` update. `context` supplies the pass's dropout streams.
    public init(
        wrapping inner: any LinearLayer, rank: Int, alpha: Float, dropout: Float = 0, rsLoRA: Bool = false,
        initializer: inout Initializer, context: ContextSource
    ) {
        precondition(rank > 0, "LoRA rank must be positive")  // configurations are validated before this
        self.inner = inner
        self.rank = rank
        self.alpha = alpha
        scale = rsLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank)
        self.dropout = Dropout(p: dropout)
        self.context = context
        let fanIn = inner.inputDimensions
        a = initializer.uniform([rank, fanIn], bound: 1 / Float(fanIn).squareRoot())
        b = Tensor(zeros: [inner.outputDimensions, rank])
        for (t, name) in [(a, "lora_A.weight"), (b, "lora_B.weight")] {
            t.requiresGrad = true
            t.name = name
        }
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("lora_A.weight", a), ("lora_B.weight", b)] }
    public var namedChildren: [(name: String, module: any Module)] { [("", inner)] }
    public var inputDimensions: Int { inner.inputDimensions }
    public var outputDimensions: Int { inner.outputDimensions }

    /// x `[..., in]` → `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor { inner(x) + update(x) }

    /// The low-rank path alone, `s · B(A(dropout(x)))` `[..., out]`.
    public func update(_ x: Tensor) -> Tensor {
        let h = linear(dropout(x, context.current), weight: a)  // [..., r]
        return linear(h, weight: b).scaled(by: scale)  // [..., out]
    }

    /// The update `s · B · A` `[out, in]` as plain values (for merging and export checks).
    public var delta: [Float] {
        let (nOut, nIn, r) = (outputDimensions, inputDimensions, rank)
        var d = [Float](repeating: 0, count: nOut * nIn)
        d.withUnsafeMutableBufferPointer { dp in
            guard let out = dp.baseAddress else { return }
            // d[out, in] = s · B[out, r] · A[r, in]
            BLAS.sgemm(
                .none, .none, m: nOut, n: nIn, k: r, alpha: scale, a: b.pointer, lda: r, b: a.pointer, ldb: nIn,
                beta: 0, c: out, ldc: nIn)
        }
        return d
    }

    /// Adds `s · B · A` into the wrapped ``Linear``'s weight (`W ← W + s·B·A`, transposed for a `[in, out]`
    /// layout). Throws when the wrapped layer is not a plain ``Linear`` (another wrapper sits between).
    public func merge() throws {
        guard let base = inner as? Linear else {
            throw PEFTError(key: "lora", message: "cannot merge a LoRA that wraps \(type(of: inner)), not a Linear")
        }
        let d = delta
        let (nOut, nIn) = (outputDimensions, inputDimensions)
        let w = base.weight.pointer
        for o in 0..<nOut {
            for i in 0..<nIn {
                if base.layout == .outIn { w[o * nIn + i] += d[o * nIn + i] } else { w[i * nOut + o] += d[o * nIn + i] }
            }
        }
    }
}
