import Foundation

/// AdamW (decoupled weight decay), step for step the arithmetic of `torch.optim.AdamW` (non-fused, non-amsgrad):
/// `p -= lr·wd·p; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; p -= (lr / (1-β1ᵗ)) · m / (√v / √(1-β2ᵗ) + ε)`.
///
/// State is keyed by parameter name and each parameter has its own step `t`, advanced only when the parameter
/// has a gradient: a head that starts training after a warm-up of the trunk, or a parameter unfrozen later, gets
/// the bias-corrected first step of a fresh Adam, not a step scaled for a `t` it never lived through. (torch keeps
/// `state[p]["step"]` per parameter too and, like here, creates it at the parameter's first update.)
///
/// Parameters come in groups, each with its own learning rate and weight decay (no decay for biases and
/// LayerNorm weights, a larger rate for a fresh head); ``update(learningRateScale:)`` multiplies every group's rate
/// by the schedule's factor.
public final class AdamW {
    /// Parameters sharing a learning rate and a weight decay.
    public struct Group {
        public var name: String
        public var parameters: [(name: String, tensor: Tensor)]
        public var learningRate: Float
        public var weightDecay: Float

        public init(name: String, parameters: [(name: String, tensor: Tensor)], learningRate: Float, weightDecay: Float) {
            self.name = name
            self.parameters = parameters
            self.learningRate = learningRate
            self.weightDecay = weightDecay
        }
    }

    /// The moments and the step count of one parameter.
    public struct State {
        public var m: Tensor
        public var v: Tensor
        public var step: Int

        public init(m: Tensor, v: Tensor, step: Int) {
            self.m = m
            self.v = v
            self.step = step
        }
    }

    public var groups: [Group]
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    /// Parameter name → its state; a parameter gets one at its first update with a gradient.
    public private(set) var state: [String: State] = [:]
    /// The number of ``update(learningRateScale:)`` calls.
    public private(set) var step = 0

    public init(groups: [Group], beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.groups = groups
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        var seen = Set<String>()
        for g in groups {
            for (name, _) in g.parameters { precondition(seen.insert(name).inserted, "AdamW: '\(name)' in two groups") }
        }
    }

    /// One group of unnamed parameters (named `0`, `1`, … by position), as `torch.optim.AdamW(params, ...)`.
    public convenience init(
        parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
        weightDecay: Float = 0.01
    ) {
        let named = parameters.enumerated().map { (name: String($0.offset), tensor: $0.element) }
        self.init(
            groups: [Group(name: "all", parameters: named, learningRate: learningRate, weightDecay: weightDecay)],
            beta1: beta1, beta2: beta2, eps: eps)
    }

    /// The learning rate of the first group (the only one for the single-group initialiser).
    public var learningRate: Float {
        get { groups.first?.learningRate ?? 0 }
        set { for i in groups.indices { groups[i].learningRate = newValue } }
    }

    /// Restores state saved from ``state`` and ``step`` (a checkpoint). Names not among the parameters are an
    /// error (a checkpoint of another model), reported by the caller from the returned list.
    @discardableResult
    public func restore(step: Int, state: [String: State]) -> [String] {
        let known = Set(groups.flatMap { $0.parameters.map(\.name) })
        self.step = step
        self.state = state.filter { known.contains($0.key) }
        return state.keys.filter { !known.contains($0) }.sorted()
    }

    /// One update of every parameter that has a gradient, at each group's rate times `learningRateScale`.
    public func update(learningRateScale: Float = 1) {
        step += 1
        let (b1, b2, eps) = (beta1, beta2, eps)
        for group in groups {
            let lr = group.learningRate * learningRateScale
            let decay = 1 - lr * group.weightDecay
            for (name, param) in group.parameters {
                guard let grad = param.grad else { continue }
                var s = state[name] ?? State(m: Tensor(zeros: param.shape), v: Tensor(zeros: param.shape), step: 0)
                s.step += 1
                state[name] = s
                let t = Float(s.step)
                let bc1 = 1 - Foundation.pow(b1, t)
                let bc2Sqrt = (1 - Foundation.pow(b2, t)).squareRoot()
                let stepSize = lr / bc1
                let (p, g, mp, vp, n) = (param.pointer, grad.pointer, s.m.pointer, s.v.pointer, param.count)
                Parallel.forRanges(n, minChunk: 1 << 15) { range in
                    for j in range {
                        p[j] *= decay
                        mp[j] = b1 * mp[j] + (1 - b1) * g[j]
                        vp[j] = b2 * vp[j] + (1 - b2) * g[j] * g[j]
                        p[j] -= stepSize * mp[j] / (vp[j].squareRoot() / bc2Sqrt + eps)
                    }
                }
            }
        }
    }
}

/// Stochastic gradient descent with optional momentum and (coupled) weight decay, as `torch.optim.SGD`.
public final class SGD {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public let parameters: [Tensor]
    private var buffers: [Tensor?]

    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func update() {
        let (lr, mu, wd) = (learningRate, momentum, weightDecay)
        for (i, param) in parameters.enumerated() {
            guard let grad = param.grad else { continue }
            let (p, g, n) = (param.pointer, grad.pointer, param.count)
            if mu == 0 {
                for j in 0..<n { p[j] -= lr * (g[j] + wd * p[j]) }
                continue
            }
            if let buf = buffers[i] {
                let b = buf.pointer
                for j in 0..<n {
                    b[j] = mu * b[j] + g[j] + wd * p[j]
                    p[j] -= lr * b[j]
                }
            } else {
                let buf = Tensor.empty(param.shape)
                let b = buf.pointer
                for j in 0..<n {
                    b[j] = g[j] + wd * p[j]
                    p[j] -= lr * b[j]
                }
                buffers[i] = buf
            }
        }
    }
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm` (`torch.nn.utils.clip_grad_norm_`:
/// factor `maxNorm / (norm + 1e-6)` when below 1). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters {
        guard let g = p.grad else { continue }
        var s: Float = 0
        for j in 0..<g.count { s += g.pointer[j] * g.pointer[j] }
        total += Double(s)
    }
    let norm = Float(total.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for p in parameters {
            guard let g = p.grad else { continue }
            for j in 0..<g.count { g.pointer[j] *= factor }
        }
    }
    return norm
}
