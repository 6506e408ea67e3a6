import Foundation
import Testing

@testable import Metrics

@Suite struct PerplexityTests {
    @Test func isTheExponentOfTheMeanTokenNLL() throws {
        // A uniform model over V tokens has NLL log V per token and perplexity V.
        #expect(close(try Perplexity.of(negativeLogLikelihoodSum: 100 * log(30522.0), tokens: 100), 30522, 1e-6))
        #expect(try Perplexity.of(negativeLogLikelihoodSum: 0, tokens: 5) == 1)
        // Documents pool tokens before dividing: (2 + 6) / (1 + 3) = 2 nats → e².
        #expect(close(try Perplexity.of(documents: [(2, 1), (6, 3)]), exp(2)))
    }

    @Test func degenerateInputs() throws {
        #expect { try Perplexity.of(negativeLogLikelihoodSum: 1, tokens: 0) } throws: {
            ($0 as? MetricsError)?.kind == .empty
        }
        #expect { try Perplexity.of(negativeLogLikelihoodSum: .nan, tokens: 3) } throws: {
            ($0 as? MetricsError)?.kind == .nonFinite
        }
        #expect { try Perplexity.of(negativeLogLikelihoodSum: -1, tokens: 3) } throws: {
            ($0 as? MetricsError)?.kind == .invalidArgument
        }
        #expect { try Perplexity.of(documents: []) } throws: { ($0 as? MetricsError)?.kind == .empty }
        #expect { try Perplexity.of(documents: [(1, -1)]) } throws: { ($0 as? MetricsError)?.kind == .invalidArgument }
        // Overflow is a defined value, not a trap.
        #expect(try Perplexity.of(negativeLogLikelihoodSum: 1e6, tokens: 1) == .infinity)
    }
}
