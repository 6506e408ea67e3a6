import Tensor

/// How a sequence's hidden states `[B, T, C]` become one vector per sequence `[B, C]` for a sequence-level head.
public enum Pooling: String, Sendable, Codable, CaseIterable {
    /// The first token (`[CLS]`), as BERT's classification heads read it.
    case cls
    /// The mean over real tokens (sentence-transformers; all-MiniLM-L6-v2 was trained for it).
    case mean
    /// The last real token of each sequence: a causal decoder's only token that has seen the whole input.
    case lastToken = "last_token"

    /// hidden `[B, T, C]`, mask `[B, T]` (1 for real tokens; `nil`: none are padding) → `[B, C]`.
    ///
    /// A sequence without a real token pools its first position (callers reject empty rows before training).
    public func callAsFunction(_ hidden: Tensor, mask: [Int32]?) -> Tensor {
        precondition(hidden.rank == 3, "pooling expects [B, T, C], got \(hidden.shape)")
        let (nb, nt) = (hidden.shape[0], hidden.shape[1])
        switch self {
        case .cls:
            return hidden.selectingToken(0)
        case .mean:
            return hidden.meanPooled(mask: mask ?? [Int32](repeating: 1, count: nb * nt))
        case .lastToken:
            let rows = (0..<nb).map { b in
                guard let m = mask else { return b * nt + nt - 1 }
                return b * nt + ((0..<nt).last { m[b * nt + $0] != 0 } ?? 0)
            }
            return hidden.gatheringRows(rows)
        }
    }
}
