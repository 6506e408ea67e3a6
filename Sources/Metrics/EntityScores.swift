/// Entity-level precision, recall and F1 of tagged sequences (exact span and type match), as seqeval computes
/// them in its default mode: see `EntitySpan.parse` for how tags become entities.
///
/// Micro scores pool true positives over all types: precision = tp / predicted entities, recall = tp / gold
/// entities, F1 = 2PR/(P+R); each is 0 when its denominator is 0 (seqeval's `zero_division=0`), so sequences
/// without any entity on either side score 0, not 1. Per-type rows cover every type seen in gold or predictions,
/// sorted by name; `macroF1` is their unweighted mean.
public struct EntityScores: Hashable, Sendable, Codable {
    public struct TypeScore: Hashable, Sendable, Codable {
        public var type: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Gold entities of this type.
        public var support: Int
    }

    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var macroF1: Double
    public var goldEntities: Int
    public var predictedEntities: Int
    public var perType: [TypeScore]

    /// Throws on no sequences, unequal sequence counts or lengths, or an invalid tag (`.invalidTag`).
    public init(gold: [[String]], predicted: [[String]]) throws {
        try Check.nonEmpty(gold.count, "gold sequences")
        try Check.sameLength(gold.count, predicted.count, "entity scores (sequences)")
        var goldByType: [String: Int] = [:], predictedByType: [String: Int] = [:], hitsByType: [String: Int] = [:]
        for (i, (g, p)) in zip(gold, predicted).enumerated() {
            guard g.count == p.count else {
                throw MetricsError(.lengthMismatch, "\(g.count) gold tags but \(p.count) predicted tags", row: i)
            }
            let gs = try EntitySpan.parse(g, sequence: i), ps = try EntitySpan.parse(p, sequence: i)
            for s in gs { goldByType[s.type, default: 0] += 1 }
            for s in ps { predictedByType[s.type, default: 0] += 1 }
            for s in Set(gs).intersection(ps) { hitsByType[s.type, default: 0] += 1 }
        }
        let types = Set(goldByType.keys).union(predictedByType.keys).sorted()
        perType = types.map { type in
            let (p, r, f) = Self.prf(
                hitsByType[type, default: 0], predictedByType[type, default: 0], goldByType[type, default: 0])
            return TypeScore(type: type, precision: p, recall: r, f1: f, support: goldByType[type, default: 0])
        }
        goldEntities = goldByType.values.reduce(0, +)
        predictedEntities = predictedByType.values.reduce(0, +)
        (precision, recall, f1) = Self.prf(hitsByType.values.reduce(0, +), predictedEntities, goldEntities)
        macroF1 = perType.isEmpty ? 0 : perType.reduce(0) { $0 + $1.f1 } / Double(perType.count)
    }

    static func prf(_ tp: Int, _ predicted: Int, _ gold: Int) -> (Double, Double, Double) {
        let p = predicted == 0 ? 0 : Double(tp) / Double(predicted)
        let r = gold == 0 ? 0 : Double(tp) / Double(gold)
        return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r))
    }
}
