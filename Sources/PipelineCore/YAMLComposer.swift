import CYaml
import Foundation

/// Bounds on what one YAML document may cost to read. A pipeline file comes from anyone who may write the
/// watched folder, so every dimension of the tree is capped before it is built: the tree is never larger than
/// the text it came from.
public struct YAMLLimits: Sendable, Equatable {
    /// Bytes of text.
    public var maxBytes: Int
    /// Nested sequences and mappings.
    public var maxDepth: Int
    /// Scalars, sequences and mappings, keys included.
    public var maxNodes: Int
    /// Bytes of one scalar value.
    public var maxScalarBytes: Int
    /// Bytes of one mapping key.
    public var maxKeyBytes: Int

    public init(maxBytes: Int, maxDepth: Int, maxNodes: Int, maxScalarBytes: Int, maxKeyBytes: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxScalarBytes = maxScalarBytes
        self.maxKeyBytes = maxKeyBytes
    }

    /// What pipeline and configuration files get (docs/pipeline-format.md, "Limits").
    public static let pipeline = YAMLLimits(
        maxBytes: 1 << 20, maxDepth: 32, maxNodes: 50_000, maxScalarBytes: 64 << 10, maxKeyBytes: 256)
}

/// Builds a ``YAMLNode`` tree from libyaml's event stream, refusing what could make it larger than its text:
/// aliases are an error (never expanded), and depth, node count and scalar sizes are capped. Duplicate keys
/// are reported at their second occurrence. Tags other than the core schema's are refused.
///
/// Yams' `compose` is not used: it substitutes every alias by the anchored subtree and hashes mapping keys to
/// find duplicates, so ten lines of anchors make it build (and hash) a tree of 10^10 nodes.
final class YAMLComposer {
    let file: String
    let limits: YAMLLimits
    private var parser = yaml_parser_t()
    private var nodes = 0
    private var problems: [Diagnostic] = []
    private var input = UnsafeBufferPointer<UInt8>(start: nil, count: 0)

    /// The error that ends composition early (a budget exceeded, a syntax error): nothing after it is read.
    struct Stop: Error { var diagnostic: Diagnostic }

    static let coreTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
    ]

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    /// The document's root (`nil` for an empty stream) and the problems that did not stop reading.
    static func compose(_ bytes: [UInt8], file: String, limits: YAMLLimits) throws(PipelineInvalid) -> YAMLNode? {
        if bytes.count > limits.maxBytes {
            throw PipelineInvalid([
                Diagnostic(
                    SourceLocation(file: file, line: 1, column: 1),
                    "the file is \(bytes.count) bytes; pipeline files may have at most \(limits.maxBytes)",
                    hint: "keep data in data files and name them under 'data:'")
            ])
        }
        let composer = YAMLComposer(file: file, limits: limits)
        do {
            let root = try bytes.withUnsafeBufferPointer { buffer in try composer.run(buffer) }
            if !composer.problems.isEmpty { throw PipelineInvalid(composer.problems) }
            return root
        } catch let stop as Stop {
            throw PipelineInvalid(composer.problems + [stop.diagnostic])
        } catch let invalid as PipelineInvalid {
            throw invalid
        } catch {
            throw PipelineInvalid([Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")])
        }
    }

    private func run(_ buffer: UnsafeBufferPointer<UInt8>) throws -> YAMLNode? {
        guard yaml_parser_initialize(&parser) == 1 else { throw Stop(diagnostic: at(1, 1, "out of memory")) }
        defer { yaml_parser_delete(&parser) }
        input = buffer
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var event = try next()  // STREAM-START
        yaml_event_delete(&event)
        event = try next()
        if event.type == YAML_STREAM_END_EVENT {
            yaml_event_delete(&event)
            return nil
        }
        yaml_event_delete(&event)  // DOCUMENT-START
        var first = try next()
        let root = try node(from: &first, depth: 0)
        var end = try next()  // DOCUMENT-END
        yaml_event_delete(&end)
        var after = try next()
        defer { yaml_event_delete(&after) }
        if after.type != YAML_STREAM_END_EVENT {
            throw Stop(
                diagnostic: Diagnostic(
                    location(after.start_mark), "a pipeline file holds one YAML document; found another here",
                    hint: "remove the second '---' and what follows it"))
        }
        return root
    }

    private func next() throws -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { throw Stop(diagnostic: parserError()) }
        return event
    }

    /// Consumes `event` (and, for a collection, everything up to its end).
    private func node(from event: inout yaml_event_t, depth: Int) throws -> YAMLNode {
        defer { yaml_event_delete(&event) }
        let here = location(event.start_mark)
        nodes += 1
        if nodes > limits.maxNodes {
            throw Stop(
                diagnostic: Diagnostic(
                    here, "the document has more than \(limits.maxNodes) values",
                    hint: "pipeline files describe stages; keep bulk values in data files"))
        }
        switch event.type {
        case YAML_ALIAS_EVENT:
            throw Stop(
                diagnostic: Diagnostic(here, "YAML aliases are not supported in pipeline files", hint: "repeat the value"))
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            if scalar.length > limits.maxScalarBytes {
                throw Stop(
                    diagnostic: Diagnostic(
                        here, "a value of \(scalar.length) bytes; at most \(limits.maxScalarBytes) are allowed"))
            }
            let tag = Self.string(scalar.tag)
            try check(tag: tag, at: here)
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
            let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && tag != "tag:yaml.org,2002:str"
            return YAMLNode(kind: .scalar(text, plain: plain), location: here)
        case YAML_SEQUENCE_START_EVENT:
            try check(tag: Self.string(event.data.sequence_start.tag), at: here)
            try enter(depth, at: here)
            var items: [YAMLNode] = []
            while true {
                var item = try next()
                if item.type == YAML_SEQUENCE_END_EVENT {
                    yaml_event_delete(&item)
                    break
                }
                items.append(try node(from: &item, depth: depth + 1))
            }
            return YAMLNode(kind: .sequence(items), location: here)
        case YAML_MAPPING_START_EVENT:
            try check(tag: Self.string(event.data.mapping_start.tag), at: here)
            try enter(depth, at: here)
            var entries: [YAMLNode.Entry] = []
            var seen: [String: SourceLocation] = [:]
            while true {
                var keyEvent = try next()
                if keyEvent.type == YAML_MAPPING_END_EVENT {
                    yaml_event_delete(&keyEvent)
                    break
                }
                let keyLocation = location(keyEvent.start_mark)
                let isScalar = keyEvent.type == YAML_SCALAR_EVENT
                if isScalar, keyEvent.data.scalar.length > limits.maxKeyBytes {
                    yaml_event_delete(&keyEvent)
                    throw Stop(
                        diagnostic: Diagnostic(keyLocation, "a key longer than \(limits.maxKeyBytes) bytes"))
                }
                let key = try node(from: &keyEvent, depth: depth + 1)
                var valueEvent = try next()
                let value = try node(from: &valueEvent, depth: depth + 1)
                guard isScalar, case .scalar(let name, _) = key.kind else {
                    problems.append(Diagnostic(keyLocation, "mapping keys must be plain strings"))
                    continue
                }
                if let first = seen[name] {
                    problems.append(
                        Diagnostic(
                            keyLocation, "duplicate key '\(name)'",
                            hint: "each key may appear once in a mapping; the first is at line \(first.line)"))
                    continue
                }
                seen[name] = keyLocation
                entries.append(YAMLNode.Entry(key: name, keyLocation: keyLocation, value: value))
            }
            return YAMLNode(kind: .mapping(entries), location: here)
        default:
            throw Stop(diagnostic: Diagnostic(here, "YAML syntax: unexpected event"))
        }
    }

    private func enter(_ depth: Int, at here: SourceLocation) throws {
        if depth + 1 > limits.maxDepth {
            throw Stop(diagnostic: Diagnostic(here, "values nested deeper than \(limits.maxDepth) levels"))
        }
    }

    private func check(tag: String?, at here: SourceLocation) throws {
        guard let tag, !tag.isEmpty, tag != "!" else { return }
        if !Self.coreTags.contains(tag) {
            throw Stop(
                diagnostic: Diagnostic(
                    here, "YAML tag '\(tag.prefix(64))' is not supported in pipeline files",
                    hint: "remove the tag; quote a value to make it a string"))
        }
    }

    private func parserError() -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        if parser.error == YAML_READER_ERROR {
            // libyaml reports encoding errors by byte offset, without a line: count the lines before it.
            let offset = min(Int(parser.problem_offset), input.count)
            let before = input.prefix(offset)
            let line = before.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            let column = before.reversed().prefix { $0 != 0x0A }.count + 1
            return Diagnostic(
                SourceLocation(file: file, line: line, column: column),
                "the file is not valid UTF-8 text: \(problem) at byte \(offset)", hint: "save the file as UTF-8")
        }
        return Diagnostic(location(parser.problem_mark), "YAML syntax: \(problem)")
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func at(_ line: Int, _ column: Int, _ message: String) -> Diagnostic {
        Diagnostic(SourceLocation(file: file, line: line, column: column), message)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
