extension DataSource {
    /// The keys a pipeline's `data:` entry may have, besides the ones PipelineCore handles itself.
    public static let entryKeys = [
        "path", "format", "text", "pair", "label", "label_type", "id", "header", "delimiter", "quote", "unit",
    ]

    /// Builds a source from a pipeline file's data entry, e.g.
    /// `{ path: data/trec/*.jsonl, format: jsonl, text: text, label: coarse }` or
    /// `{ path: corpora/legal/*.txt, format: text, unit: paragraph }`, given as strings.
    ///
    /// Keys: `path` (required), `format` (`jsonl` | `csv` | `tsv` | `text`; default from the path's extension),
    /// `text` (default `text`), `pair`, `label`, `label_type` (`any` | `string` | `number`), `id`, `header`
    /// (`true` | `false`), `delimiter` and `quote` (one ASCII character; `quote: none` turns quoting off), `unit`
    /// (`line` | `paragraph` | `file`, for text). Every problem is reported, with `name` as the error's file and
    /// the offending key in the message, so that the caller can point at the key's YAML location.
    public init(entry: [String: String], name: String, directory: String = ".") throws {
        var problems: [DatasetError] = []
        func problem(_ message: String, hint: String? = nil) {
            problems.append(DatasetError(.invalidArgument, file: name, message: message, hint: hint))
        }
        for key in entry.keys.sorted() where !Self.entryKeys.contains(key) {
            let suggestion = closest(to: key, in: Self.entryKeys).map { "did you mean '\($0)'?" }
            problem(
                "unknown key '\(key)' in data entry",
                hint: suggestion ?? "known keys: \(Self.entryKeys.joined(separator: ", "))")
        }
        let path = entry["path"] ?? ""
        if path.isEmpty { problem("data entry needs a 'path'") }

        let formatName = entry["format"] ?? Self.defaultFormat(for: path)
        func character(_ key: String) -> UInt8?? {
            guard let v = entry[key] else { return .some(nil) }
            if key == "quote", v == "none" { return .some(nil) }
            let unescaped = v == "\\t" ? "\t" : v
            guard unescaped.utf8.count == 1, let b = unescaped.utf8.first, b < 0x80 else {
                problem("'\(key)' must be one ASCII character, found '\(v)'", hint: key == "quote" ? "or 'none'" : nil)
                return nil
            }
            return .some(b)
        }
        var format = Format.jsonl
        switch formatName {
        case "jsonl": format = .jsonl
        case "csv", "tsv":
            var dialect: CSVDialect = formatName == "csv" ? .csv : .tsv
            if case .some(.some(let d)) = character("delimiter") { dialect.delimiter = d }
            if entry["quote"] != nil, case .some(let q) = character("quote") { dialect.quote = q }
            switch entry["header"] {
            case nil, "true": break
            case "false": dialect.hasHeader = false
            case let v?: problem("'header' must be true or false, found '\(v)'")
            }
            format = .delimited(dialect)
        case "text":
            let unitName = entry["unit"] ?? "line"
            if let unit = TextReader.Unit(rawValue: unitName) {
                format = .text(unit)
            } else {
                problem("'unit' must be line, paragraph or file, found '\(unitName)'")
            }
        default:
            problem(
                "unknown format '\(formatName)'",
                hint: closest(to: formatName, in: ["jsonl", "csv", "tsv", "text"]).map { "did you mean '\($0)'?" }
                    ?? "formats: jsonl, csv, tsv, text")
        }
        if formatName == "text" {
            for key in ["text", "pair", "label", "label_type", "id"] where entry[key] != nil {
                problem("'\(key)' does not apply to text data", hint: "text records have no fields")
            }
        }
        if formatName != "csv" && formatName != "tsv" {
            for key in ["delimiter", "quote", "header"] where entry[key] != nil {
                problem("'\(key)' applies to csv and tsv data only")
            }
        }
        if formatName != "text", entry["unit"] != nil { problem("'unit' applies to text data only") }
        var mapping = FieldMapping(
            text: entry["text"] ?? "text", pair: entry["pair"], label: entry["label"], id: entry["id"])
        if let t = entry["label_type"] {
            if let type = FieldMapping.LabelType(rawValue: t) {
                mapping.labelType = type
            } else {
                problem("'label_type' must be any, string or number, found '\(t)'")
            }
        }
        if problems.count == 1 { throw problems[0] }
        if problems.count > 1 { throw DatasetErrors(errors: problems) }
        self.init(path: path, format: format, mapping: mapping, directory: directory)
    }

    /// `jsonl` for `.jsonl`/`.ndjson`, `csv`, `tsv` (also `.tab`), else `text`.
    static func defaultFormat(for path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "jsonl", "ndjson": return "jsonl"
        case "csv": return "csv"
        case "tsv", "tab": return "tsv"
        default: return "text"
        }
    }
}

/// Several errors found at once (validation reports everything it can find).
public struct DatasetErrors: Error, Hashable, Sendable, CustomStringConvertible {
    public var errors: [DatasetError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The candidate within edit distance 2 of `word` (the nearest; ties go to the earlier candidate).
func closest(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var previous = row[0]
            row[0] = i + 1
            for (j, cb) in b.enumerated() {
                let current = row[j + 1]
                row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (ca == cb ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
    let w = Array(word.lowercased())
    let scored = candidates.map { ($0, distance(w, Array($0))) }.filter { $0.1 <= 2 }
    return scored.min { $0.1 < $1.1 }?.0
}
