/// Expected calibration error and its reliability bins.
///
/// Binning (the common practice of Guo et al. 2017 and most calibration code): a row's confidence is its largest
/// probability and its prediction the arg-max (the lowest index among ties); `binCount` equal-width bins
/// (default 15) split [0, 1], bin i holding confidences in `(i/M, (i+1)/M]` (a confidence of exactly 0 goes to
/// bin 0). ECE = Σᵢ (nᵢ/N)·|accᵢ − confᵢ| over non-empty bins, with accᵢ the fraction of correct predictions and
/// confᵢ the mean confidence in bin i.
///
/// Throws on empty input, a row whose width is not `classCount`, a non-finite probability (`.nonFinite`), or a
/// probability outside [0, 1] or a row not summing to 1 within 1e-4 (`.invalidProbability`: calibration of
/// unnormalised scores means nothing; pass softmax outputs).
public struct Calibration: Hashable, Sendable, Codable {
    /// One reliability bin.
    public struct Bin: Hashable, Sendable, Codable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Fraction of correct predictions; 0 for an empty bin.
        public var accuracy: Double
        /// Mean confidence; 0 for an empty bin.
        public var confidence: Double
    }

    public static let defaultBinCount = 15
    public var ece: Double
    public var bins: [Bin]

    public init(gold: [Int], probabilities: [[Double]], classCount: Int, binCount: Int = defaultBinCount) throws {
        guard binCount >= 1, binCount <= 10_000 else {
            throw MetricsError(.invalidArgument, "bin count \(binCount) is not in 1...10000")
        }
        try Check.nonEmpty(gold.count, "gold")
        try Check.sameLength(gold.count, probabilities.count, "calibration")
        try Check.labels(gold, classCount: classCount, "gold class")
        var count = Array(repeating: 0, count: binCount)
        var correct = Array(repeating: 0, count: binCount)
        var confidenceSum = Array(repeating: 0.0, count: binCount)
        for (i, row) in probabilities.enumerated() {
            let (best, confidence) = try Self.argmax(row, classCount: classCount, row: i)
            let b = Self.bin(of: confidence, binCount: binCount)
            count[b] += 1
            confidenceSum[b] += confidence
            if best == gold[i] { correct[b] += 1 }
        }
        let n = Double(gold.count)
        var ece = 0.0
        var bins: [Bin] = []
        for b in 0..<binCount {
            let lower = Double(b) / Double(binCount), upper = Double(b + 1) / Double(binCount)
            guard count[b] > 0 else {
                bins.append(Bin(lower: lower, upper: upper, count: 0, accuracy: 0, confidence: 0))
                continue
            }
            let accuracy = Double(correct[b]) / Double(count[b])
            let confidence = confidenceSum[b] / Double(count[b])
            ece += Double(count[b]) / n * abs(accuracy - confidence)
            bins.append(Bin(lower: lower, upper: upper, count: count[b], accuracy: accuracy, confidence: confidence))
        }
        self.ece = ece
        self.bins = bins
    }

    /// The bin of a confidence in [0, 1]: the i with `i/M < conf ≤ (i+1)/M`, edges computed as `Double(i) / M`.
    ///
    /// `ceil(conf·M) − 1` is only a first guess: `0.2 · 15` rounds to 3.0000000000000004, yet 0.2 is the edge 3/15
    /// and belongs to bin 2. Comparing against the edges themselves is what a reader (and the fixture) expects.
    static func bin(of confidence: Double, binCount m: Int) -> Int {
        let md = Double(m)
        var b = min(m - 1, max(0, Int((confidence * md).rounded(.up)) - 1))
        while b > 0, confidence <= Double(b) / md { b -= 1 }
        while b < m - 1, confidence > Double(b + 1) / md { b += 1 }
        return b
    }

    /// The arg-max of a validated probability row (lowest index among ties) and its probability.
    static func argmax(_ row: [Double], classCount: Int, row index: Int) throws -> (Int, Double) {
        guard row.count == classCount else {
            throw MetricsError(
                .lengthMismatch, "probability row has \(row.count) values, expected \(classCount)", row: index)
        }
        var best = 0, sum = 0.0
        for (k, v) in row.enumerated() {
            guard v.isFinite else { throw MetricsError(.nonFinite, "probability \(v) for class \(k)", row: index) }
            guard v >= 0, v <= 1 else {
                throw MetricsError(.invalidProbability, "probability \(v) for class \(k) is not in [0, 1]", row: index)
            }
            sum += v
            if v > row[best] { best = k }
        }
        guard abs(sum - 1) <= 1e-4 else {
            throw MetricsError(
                .invalidProbability, "probabilities sum to \(sum), not 1; pass softmax outputs", row: index)
        }
        return (best, row[best])
    }
}
