import Foundation

/// AdamW (decoupled weight decay), step for step the arithmetic of `torch.optim.AdamW` (non-fused, non-amsgrad):
/// `p -= lr·wd·p; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; p -= (lr / (1-β1ᵗ)) · m / (√v / √(1-β2ᵗ) + ε)`.
///
/// Parameters without a gradient are skipped (their step count still advances, as one shared `t` in torch would
/// not; keep every trained parameter's gradient non-nil if bitwise parity matters).
public final class AdamW {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    public private(set) var step = 0
    /// Optimizer state per parameter, in `parameters` order: first and second moments.
    public private(set) var m: [Tensor]
    public private(set) var v: [Tensor]
    public let parameters: [Tensor]

    public init(
        parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
        weightDecay: Float = 0.01
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        m = parameters.map { Tensor(zeros: $0.shape) }
        v = parameters.map { Tensor(zeros: $0.shape) }
    }

    /// Restores state saved from ``m``, ``v`` and ``step`` (a checkpoint).
    public func restore(step: Int, m: [Tensor], v: [Tensor]) {
        precondition(m.count == parameters.count && v.count == parameters.count, "AdamW.restore: state count")
        self.step = step
        self.m = m
        self.v = v
    }

    /// One update of every parameter from its `grad`.
    public func update() {
        step += 1
        let t = Float(step)
        let bc1 = 1 - Foundation.pow(beta1, t)
        let bc2 = 1 - Foundation.pow(beta2, t)
        let stepSize = learningRate / bc1
        let bc2Sqrt = bc2.squareRoot()
        let decay = 1 - learningRate * weightDecay
        let (b1, b2, eps) = (beta1, beta2, eps)
        for (i, param) in parameters.enumerated() {
            guard let grad = param.grad else { continue }
            let (p, g, mp, vp, n) = (param.pointer, grad.pointer, m[i].pointer, v[i].pointer, param.count)
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
