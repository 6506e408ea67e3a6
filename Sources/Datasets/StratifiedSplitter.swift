/// Fractions of a train/validation/test split.
public struct SplitFractions: Hashable, Sendable {
    public var train: Double, validation: Double, test: Double

    /// Fractions must be in [0, 1] and sum to 1 (within 1e-9).
    public init(train: Double, validation: Double, test: Double) throws {
        for (name, f) in [("train", train), ("validation", validation), ("test", test)] where !(0...1).contains(f) {
            throw DatasetError(.invalidArgument, file: "<split>", message: "\(name) fraction \(f) is not in [0, 1]")
        }
        guard abs(train + validation + test - 1) < 1e-9 else {
            throw DatasetError(
                .invalidArgument, file: "<split>",
                message: "split fractions sum to \(train + validation + test), not 1")
        }
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// 80/10/10.
    public static let standard = try! SplitFractions(train: 0.8, validation: 0.1, test: 0.1)
}

/// Row indices of a split, each in ascending order.
public struct Split: Hashable, Sendable {
    public var train: [Int], validation: [Int], test: [Int]
}

/// Deterministic, seeded, stratified train/validation/test splitting.
///
/// The same algorithm as `scripts/assets/common.py` (`stratified_split`), so the splits `fetch-assets` wrote can
/// be reproduced here, bit for bit, on any platform:
/// 1. `SplitMix64(seed)`, one generator for the whole split.
/// 2. Labels in ascending order of their UTF-8 bytes (not `String`'s `<`, which compares canonically). For each
///    label, its row indices in ascending order are shuffled by Fisher-Yates from the last position down to 1,
///    with `j = next(below: i + 1)`.
/// 3. With n rows of a label: `nTest = floor(n * test + 0.5)`, `nValidation = floor(n * validation + 0.5)`, each
///    capped by what is left; the first nTest shuffled indices are test, the next nValidation validation, the
///    rest train. Every label thus keeps its proportion in each split (to rounding).
public enum StratifiedSplitter {
    public static func split<Key: StringProtocol>(labels: [Key], fractions: SplitFractions, seed: UInt64) -> Split {
        var rng = SplitMix64(seed: seed)
        var byLabel: [String: [Int]] = [:]
        for (i, label) in labels.enumerated() { byLabel[String(label), default: []].append(i) }
        let order = byLabel.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var split = Split(train: [], validation: [], test: [])
        for label in order {
            var idx = byLabel[label]!
            var i = idx.count - 1
            while i > 0 {
                idx.swapAt(i, rng.next(below: i + 1))
                i -= 1
            }
            let n = idx.count
            let nTest = min(n, Int((Double(n) * fractions.test + 0.5).rounded(.down)))
            let nValidation = min(n - nTest, Int((Double(n) * fractions.validation + 0.5).rounded(.down)))
            split.test += idx[..<nTest]
            split.validation += idx[nTest..<(nTest + nValidation)]
            split.train += idx[(nTest + nValidation)...]
        }
        split.train.sort()
        split.validation.sort()
        split.test.sort()
        return split
    }

    /// Splits records by their label's key; unlabelled records form one stratum (the empty key).
    public static func split(records: [Record], fractions: SplitFractions, seed: UInt64) -> Split {
        split(labels: records.map { $0.label?.key ?? "" }, fractions: fractions, seed: seed)
    }
}
