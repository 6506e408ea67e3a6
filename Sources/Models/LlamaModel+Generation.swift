import Foundation
import Tensor

/// The keys and values a ``LlamaModel`` has computed so far for one sequence, per layer, so that each generated
/// token costs one position's work instead of re-running the whole prefix.
public final class LlamaKVCache {
    /// Per layer: keys and values `[T, NKV·hs]`, rotary already applied to the keys.
    var keys: [[Float]]
    var values: [[Float]]
    /// Positions cached.
    public private(set) var count = 0

    public init(layers: Int) {
        keys = Array(repeating: [], count: layers)
        values = Array(repeating: [], count: layers)
    }

    func advance(by n: Int) { count += n }

    /// An independent cache holding the same positions: continuing the copy leaves this one as it is (to score
    /// several continuations of one prompt).
    public func copy() -> LlamaKVCache {
        let c = LlamaKVCache(layers: keys.count)
        c.keys = keys
        c.values = values
        c.count = count
        return c
    }
}

extension LlamaModel {
    /// How the next token is chosen.
    public enum Sampling: Sendable {
        /// The most likely token (the lowest id on ties, like `torch.argmax`).
        case greedy
        /// A draw from softmax(logits / temperature) over the `topK` most likely tokens (all when nil), from a
        /// counter-based generator: the same seed gives the same text.
        case sample(temperature: Float, topK: Int?, seed: UInt64)
    }

    /// Runs `ids` (one sequence, continuing what `cache` holds) and returns their logits `[T, V]`; inference only.
    /// Throws (before computing anything) on ids outside the vocabulary or past the context.
    public func forward(_ ids: [Int32], cache: LlamaKVCache) throws -> Tensor {
        try checkInput(ids, batch: 1, time: ids.count, cached: cache.count)
        return GradMode.withoutGrad {
            let (nt, c) = (ids.count, config.hiddenSize)
            let offset = cache.count
            var x = tokenEmbeddings(ids).reshaped([1, nt, c])
            for (l, block) in layers.enumerated() {
                x = block.cached(x, layer: l, cache: cache, offset: offset)
            }
            cache.advance(by: nt)
            x = norm(x)
            let logits = lmHead.map { $0(x) } ?? linear(x, weight: tokenEmbeddings.weight)
            return logits.reshaped([nt, config.vocabSize])
        }
    }

    /// Continues `prompt` by up to `maxNewTokens` tokens, stopping after any of `stop` (default: the EOS id) is
    /// produced; returns the new tokens (the stop token included, as transformers does). Throws when the prompt
    /// has ids outside the vocabulary or the prompt plus `maxNewTokens` does not fit in the context.
    public func generate(
        _ prompt: [Int32], maxNewTokens: Int, sampling: Sampling = .greedy, stop: Set<Int32>? = nil
    ) throws -> [Int32] {
        guard !prompt.isEmpty, maxNewTokens > 0 else { return [] }
        try checkInput(prompt, batch: 1, time: prompt.count)
        guard prompt.count + maxNewTokens - 1 <= config.maxPositionEmbeddings else {
            throw ModelError(
                .invalidInput,
                "a prompt of \(prompt.count) tokens and \(maxNewTokens) new ones exceed the model's context of "
                    + "\(config.maxPositionEmbeddings) (max_position_embeddings): lower max_new_tokens")
        }
        let stops = stop ?? Set(config.eosTokenId.map { [Int32($0)] } ?? [])
        let cache = LlamaKVCache(layers: layers.count)
        var logits = try forward(prompt, cache: cache)
        var out: [Int32] = []
        for step in 0..<maxNewTokens {
            let v = config.vocabSize
            let last = UnsafeBufferPointer(start: logits.pointer + (logits.shape[0] - 1) * v, count: v)
            let next = Int32(Self.choose(last, sampling, step: step))
            out.append(next)
            if stops.contains(next) || step == maxNewTokens - 1 { break }
            logits = try forward([next], cache: cache)
        }
        return out
    }

    static func choose(_ logits: UnsafeBufferPointer<Float>, _ sampling: Sampling, step: Int) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        guard case .sample(let temperature, let topK, let seed) = sampling, temperature > 0 else { return best }
        var order = Array(0..<logits.count)
        if let k = topK, k > 0, k < logits.count {
            order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            order.removeLast(logits.count - k)
        }
        let top = logits[best]
        let weights = order.map { Double(Foundation.exp((logits[$0] - top) / temperature)) }
        let total = weights.reduce(0, +)
        let u = Double(CounterRNG(seed: seed, stream: 0x5A3B).uniform(step)) * total
        var acc = 0.0
        for (i, w) in weights.enumerated() {
            acc += w
            if u < acc { return order[i] }
        }
        return order.last ?? best
    }
}

extension LlamaBlock {
    /// The block on new positions `offset ..< offset + T` of one sequence, attending to the cached ones.
    /// x `[1, T, C]` → `[1, T, C]`.
    func cached(_ x: Tensor, layer l: Int, cache: LlamaKVCache, offset: Int) -> Tensor {
        let nt = x.shape[1]
        let n = inputNorm(x)
        let q = query(n).rotaryEmbedded(heads: heads, base: ropeTheta, positionOffset: offset)  // [1, T, NH·hs]
        let k = key(n).rotaryEmbedded(heads: kvHeads, base: ropeTheta, positionOffset: offset)  // [1, T, NKV·hs]
        let v = value(n)
        cache.keys[l].append(contentsOf: k.buffer)
        cache.values[l].append(contentsOf: v.buffer)
        let kvc = k.shape[2], qc = q.shape[2], hs = qc / heads, groups = heads / kvHeads
        let scale = 1 / Float(hs).squareRoot()
        let a = Tensor(zeros: [1, nt, qc])
        var scores = [Float](repeating: 0, count: offset + nt)
        cache.keys[l].withUnsafeBufferPointer { keys in
            cache.values[l].withUnsafeBufferPointer { values in
                for t in 0..<nt {
                    let visible = offset + t + 1  // causal: positions 0 ... offset + t
                    for h in 0..<heads {
                        let qh = q.pointer + t * qc + h * hs
                        let kvOffset = (h / groups) * hs
                        var top = -Float.infinity
                        for j in 0..<visible {
                            var s: Float = 0
                            for d in 0..<hs { s += qh[d] * keys[j * kvc + kvOffset + d] }
                            scores[j] = s * scale
                            top = max(top, scores[j])
                        }
                        var total: Float = 0
                        for j in 0..<visible {
                            scores[j] = Foundation.exp(scores[j] - top)
                            total += scores[j]
                        }
                        let o = a.pointer + t * qc + h * hs
                        for j in 0..<visible {
                            let p = scores[j] / total
                            for d in 0..<hs { o[d] += p * values[j * kvc + kvOffset + d] }
                        }
                    }
                }
            }
        }
        let h = x + output(a)
        let m = postAttentionNorm(h)
        return h + down(gate(m).silu() * up(m))
    }
}
