/// What LoRA to put where (PEFT's `LoraConfig` keys: `r`, `lora_alpha`, `lora_dropout`, `target_modules`,
/// `use_rslora`).
public struct LoRAConfiguration: Sendable, Hashable, Codable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float
    /// Module names to wrap, matched as PEFT matches a list: a slot whose full name equals an entry or ends with
    /// `.` + entry (`query` hits every `…attention.self.query`; `output.dense` hits both BERT output projections).
    public var targetModules: [String]
    /// Scale α/√r instead of α/r (Kalajdzievski 2023).
    public var rsLoRA: Bool

    public init(rank: Int = 8, alpha: Float = 8, dropout: Float = 0, targetModules: [String], rsLoRA: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.rsLoRA = rsLoRA
    }

    /// The scale s applied to B·A.
    public var scale: Float { rsLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// Whether a module named `name` is a target (PEFT's list matching).
    public func targets(_ name: String) -> Bool {
        targetModules.contains { name == $0 || name.hasSuffix("." + $0) }
    }

    /// Throws on values PEFT would refuse or that cannot train.
    public func validate() throws {
        guard rank > 0 && rank <= 4096 else {
            throw PEFTError(key: "lora.r", message: "rank \(rank) outside 1...4096")
        }
        guard alpha.isFinite && alpha > 0 else {
            throw PEFTError(key: "lora.alpha", message: "alpha \(alpha) must be a positive number")
        }
        guard dropout >= 0 && dropout < 1 else {
            throw PEFTError(key: "lora.dropout", message: "dropout \(dropout) outside [0, 1)")
        }
        guard !targetModules.isEmpty else {
            throw PEFTError(
                key: "lora.target_modules", message: "no target modules",
                hint: "name projections such as query, key, value, attention.output.dense, intermediate.dense")
        }
    }
}

/// Where to put bottleneck adapters and how big (AdapterHub's `BnConfig`: `mh_adapter`, `output_adapter`,
/// `reduction_factor`, `non_linearity`).
public struct BottleneckAdapterConfiguration: Sendable, Hashable, Codable {
    /// The adapter's name (AdapterHub keeps it in the weight keys).
    public var name: String
    /// After the attention output projection (`mh_adapter`).
    public var afterAttention: Bool
    /// After the feed-forward output projection (`output_adapter`).
    public var afterFeedForward: Bool
    /// Bottleneck = hidden size / reduction factor (16 in the Houlsby preset: 24 for a 384-wide model).
    public var reductionFactor: Int
    public var nonLinearity: BottleneckAdapter.NonLinearity
    /// Init std of both projections (near-identity).
    public var initStd: Float
    /// The attention output projection's module name (suffix-matched).
    public var attentionOutputModule: String
    /// The feed-forward output projection's module name (suffix-matched, after the attention one is excluded:
    /// BERT's `output.dense` is also a suffix of `attention.output.dense`).
    public var feedForwardOutputModule: String

    public init(
        name: String = "default", afterAttention: Bool = true, afterFeedForward: Bool = true, reductionFactor: Int = 16,
        nonLinearity: BottleneckAdapter.NonLinearity = .swish, initStd: Float = 1e-2,
        attentionOutputModule: String = "attention.output.dense", feedForwardOutputModule: String = "output.dense"
    ) {
        self.name = name
        self.afterAttention = afterAttention
        self.afterFeedForward = afterFeedForward
        self.reductionFactor = reductionFactor
        self.nonLinearity = nonLinearity
        self.initStd = initStd
        self.attentionOutputModule = attentionOutputModule
        self.feedForwardOutputModule = feedForwardOutputModule
    }

    public func validate() throws {
        guard reductionFactor >= 1 && reductionFactor <= 4096 else {
            throw PEFTError(key: "adapters.reduction_factor", message: "\(reductionFactor) outside 1...4096")
        }
        guard afterAttention || afterFeedForward else {
            throw PEFTError(
                key: "adapters", message: "neither after_attention nor after_ffn is set: no adapter would be added")
        }
        guard initStd.isFinite && initStd >= 0 else {
            throw PEFTError(key: "adapters.init_std", message: "\(initStd) must be a non-negative number")
        }
        guard !name.isEmpty && !name.contains(".") else {
            throw PEFTError(key: "adapters.name", message: "'\(name)' must be non-empty and contain no dot")
        }
    }
}
