import NN
import Tensor

/// Which parameters train, and with what learning rate and weight decay: the rules every training stage applies
/// before it builds its optimizer.
///
/// Frozen parameters (by ``NamePattern``) stop requiring a gradient, so backward computes none for them — no
/// weight-gradient GEMM for a frozen linear weight. The trainable rest is split into groups: weight decay off for
/// biases and LayerNorm weights (as HF's `Trainer` does), and a per-group learning rate for names matching a
/// rate rule (e.g. a fresh head at ten times the trunk's rate).
public struct ParameterGroups: Sendable {
    /// Names (patterns) whose parameters get no weight decay, as HF's Trainer: biases and normalisation weights
    /// (BERT's `LayerNorm`, GPT-2's `ln_1`/`ln_2`/`ln_f`, Llama's RMSNorms `input_layernorm`,
    /// `post_attention_layernorm` and `norm`).
    public static let defaultNoDecay = ["*.bias", "*LayerNorm.weight", "*layer_norm.weight", "*ln_?.weight", "*norm.weight"]

    public var learningRate: Float
    public var weightDecay: Float
    /// Patterns of parameters that do not train.
    public var frozen: [String]
    /// When not empty, only matching parameters train (applied before `frozen`).
    public var trainable: [String]
    public var noDecay: [String]
    /// Learning rate overrides: the first rule whose pattern matches a name sets its group's rate.
    public var rateRules: [(pattern: String, learningRate: Float)]

    public init(
        learningRate: Float, weightDecay: Float = 0.01, trainable: [String] = [], frozen: [String] = [],
        noDecay: [String] = ParameterGroups.defaultNoDecay, rateRules: [(pattern: String, learningRate: Float)] = []
    ) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.trainable = trainable
        self.frozen = frozen
        self.noDecay = noDecay
        self.rateRules = rateRules
    }

    /// Whether `name` trains under these rules.
    public func trains(_ name: String) -> Bool {
        if !trainable.isEmpty, !trainable.contains(where: { NamePattern($0).matches(name) }) { return false }
        return !frozen.contains(where: { NamePattern($0).matches(name) })
    }

    /// Sets `requiresGrad` on every parameter of `model` (frozen or trainable) and returns the optimizer groups of
    /// the trainable ones, named `decay`/`no_decay` plus `@<rate>` for overridden rates; tensors shared under two
    /// names (tied embeddings) appear once, under their first name.
    public func apply(to model: any Module) -> [AdamW.Group] {
        applyRequiresGrad(to: model)
        var groups: [String: AdamW.Group] = [:]
        var order: [String] = []
        var seen = Set<ObjectIdentifier>()
        for (name, tensor) in model.namedParameters where tensor.requiresGrad {
            guard seen.insert(ObjectIdentifier(tensor)).inserted else { continue }
            let decays = !noDecay.contains(where: { NamePattern($0).matches(name) })
            let rate = rateRules.first(where: { NamePattern($0.pattern).matches(name) })?.learningRate ?? learningRate
            let key = (decays ? "decay" : "no_decay") + (rate == learningRate ? "" : "@\(rate)")
            if groups[key] == nil {
                order.append(key)
                groups[key] = AdamW.Group(
                    name: key, parameters: [], learningRate: rate, weightDecay: decays ? weightDecay : 0)
            }
            groups[key]!.parameters.append((name, tensor))
        }
        return order.map { groups[$0]! }
    }

    /// Sets `requiresGrad` of every parameter of `model` from ``trains(_:)`` (a tensor shared under two names
    /// trains if either name does).
    public func applyRequiresGrad(to model: any Module) {
        var trains: [ObjectIdentifier: Bool] = [:]
        for (name, tensor) in model.namedParameters where self.trains(name) { trains[ObjectIdentifier(tensor)] = true }
        for (_, tensor) in model.namedParameters {
            tensor.requiresGrad = trains[ObjectIdentifier(tensor)] ?? false
            if !tensor.requiresGrad { tensor.zeroGrad() }
        }
    }
}
