import Foundation

/// Perplexity of a language model on a corpus: exp(Σ token NLL / token count), NLL in nats.
///
/// Throws `.empty` for zero tokens, `.nonFinite` for a non-finite sum, `.invalidArgument` for a negative sum or
/// token count (a negative log-likelihood of a probability is never negative). A perplexity too large for a
/// Double is `+infinity` — a defined, if useless, value — so callers show it rather than trap.
public enum Perplexity {
    public static func of(negativeLogLikelihoodSum nll: Double, tokens: Int) throws -> Double {
        guard tokens >= 0 else { throw MetricsError(.invalidArgument, "token count \(tokens) is negative") }
        guard tokens > 0 else { throw MetricsError(.empty, "perplexity of zero tokens is undefined") }
        guard nll.isFinite else { throw MetricsError(.nonFinite, "summed NLL is \(nll)") }
        guard nll >= 0 else {
            throw MetricsError(.invalidArgument, "summed NLL \(nll) is negative; pass −log p in nats")
        }
        return Foundation.exp(nll / Double(tokens))
    }

    /// The perplexity of documents given per document as (summed NLL, tokens): the corpus-level value, so a
    /// bootstrap over documents can resample them.
    public static func of(documents: [(nll: Double, tokens: Int)]) throws -> Double {
        var nll = 0.0, tokens = 0
        for (i, d) in documents.enumerated() {
            guard d.tokens >= 0, d.nll >= 0, d.nll.isFinite else {
                throw MetricsError(.invalidArgument, "document has NLL \(d.nll) over \(d.tokens) tokens", row: i)
            }
            nll += d.nll
            tokens += d.tokens
        }
        return try of(negativeLogLikelihoodSum: nll, tokens: tokens)
    }
}
