import Foundation

/// A tokenizer loaded from (or built like) a Hugging Face `tokenizer.json`.
///
/// ```swift
/// var tok = try Tokenizer(contentsOf: url)          // throws TokenizerError with the JSON path at fault
/// tok.padding = nil                                 // truncation and padding come from the file; override freely
/// let e = try tok.encode("Hello", pair: "World")    // e.ids, e.typeIds, e.offsets, e.attentionMask, ...
/// let batch = try tok.encodeBatch(texts, threads: 2)
/// let text = tok.decode(e.ids)                      // skips special tokens, like HF
/// ```
/// Offsets are character (Unicode scalar) offsets into the original text, as HF's Python
/// binding reports them. Value type; safe to share across threads.
public struct Tokenizer: Sendable {
    /// Fixed at creation: the added-token matchers and the vocabulary table depend on it.
    public let normalizer: (any Normalizer)?
    public var preTokenizer: (any PreTokenizer)?
    /// Fixed at creation: the vocabulary table depends on it.
    public let model: any TokenizerModel
    public var postProcessor: (any PostProcessor)?
    public var decoder: (any Decoder)?
    public var truncation: TruncationParams?
    public var padding: PaddingParams?
    public private(set) var addedTokens: [AddedToken]

    /// Id → token text (model vocab and added tokens) shared by every encoding.
    public private(set) var vocabulary: TokenVocabulary
    private var rawMatcher: AddedTokenMatcher
    private var normalizedMatcher: AddedTokenMatcher
    private var addedById: [Int: AddedToken]
    private var addedByContent: [String: Int]

    public init(
        model: any TokenizerModel, normalizer: (any Normalizer)? = nil, preTokenizer: (any PreTokenizer)? = nil,
        postProcessor: (any PostProcessor)? = nil, decoder: (any Decoder)? = nil, addedTokens: [AddedToken] = [],
        truncation: TruncationParams? = nil, padding: PaddingParams? = nil
    ) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.truncation = truncation
        self.padding = padding
        self.addedTokens = addedTokens
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized }, normalizer: normalizer)
        addedById = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        addedByContent = Dictionary(addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a })
        var size = addedTokens.map { $0.id + 1 }.max() ?? 0
        while model.idToToken(size) != nil { size += 1 }
        size = max(size, model.vocabSize)
        var table = [String](repeating: "", count: size)
        for id in 0..<size { table[id] = model.idToToken(id) ?? "" }
        for t in addedTokens {
            var content = NormalizedString(t.content)
            if t.normalized { normalizer?.normalize(&content) }
            table[t.id] = content.string
        }
        vocabulary = TokenVocabulary(table)
    }

    /// Loads a `tokenizer.json` file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError(.io, path: "", "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(json: data)
    }

    /// Parses the contents of a `tokenizer.json`.
    public init(json data: Data) throws {
        let root = try JSONNode.parse(data)
        _ = try root.members()  // the document must be an object
        let model = try ModelFactory.make(root.required("model"))
        let normalizer = root.has("normalizer") ? try NormalizerFactory.make(root["normalizer"]) : nil
        let preTokenizer = root.has("pre_tokenizer") ? try PreTokenizerFactory.make(root["pre_tokenizer"]) : nil
        let post = root.has("post_processor") ? try PostProcessorFactory.make(root["post_processor"]) : nil
        let decoder = root.has("decoder") ? try DecoderFactory.make(root["decoder"]) : nil
        let added = root.has("added_tokens") ? try root["added_tokens"].array().map(AddedToken.init) : []
        let truncation = root.has("truncation") ? try TruncationParams(root["truncation"]) : nil
        let padding = root.has("padding") ? try PaddingParams(root["padding"]) : nil
        self.init(
            model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: post, decoder: decoder,
            addedTokens: added, truncation: truncation, padding: padding)
    }

    // MARK: Vocabulary

    public func tokenToId(_ token: String) -> Int? { addedByContent[token] ?? model.tokenToId(token) }

    /// Token text; an added token matched on normalized text reads as its normalized form (as in HF).
    public func idToToken(_ id: Int) -> String? {
        if addedById[id] != nil { return vocabulary.token(id) }
        return model.idToToken(id)
    }

    /// Model vocabulary plus added tokens that are not in it.
    public var vocabSize: Int {
        model.vocabSize + addedTokens.filter { model.tokenToId($0.content) == nil }.count
    }

    // MARK: Encoding

    /// Encodes a text, or a pair of texts, like HF `Tokenizer.encode`: added tokens,
    /// normalizer, pre-tokenizer, model, truncation, post-processor, padding.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) throws -> Encoding {
        try encode(text, pair: pair, addSpecialTokens: addSpecialTokens, workspace: Workspace())
    }

    func encode(_ text: String, pair: String?, addSpecialTokens: Bool, workspace: Workspace) throws -> Encoding {
        var a = encodeSequence(text, typeId: 0, sequenceId: 0, workspace: workspace)
        var b = pair.map { encodeSequence($0, typeId: 1, sequenceId: 1, workspace: workspace) }
        var e = try postProcess(&a, &b, addSpecialTokens: addSpecialTokens)
        if let padding {
            let target = padding.targetLength(longest: e.count)
            e.pad(to: target, id: padding.padId, typeId: padding.padTypeId, left: padding.padLeft)
        }
        return e
    }

    /// Encodes many texts on `threads` threads; padding (if set) applies across the batch.
    public func encodeBatch(_ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true, threads: Int = 2)
        throws -> [Encoding]
    {
        if let pairs, pairs.count != texts.count {
            throw TokenizerError(.invalid, path: "", "encodeBatch: \(texts.count) texts but \(pairs.count) pairs")
        }
        var copy = self
        copy.padding = nil
        let unpadded = copy  // a `let`: the closure must not copy the struct (and its references) per call
        let results = try parallelMap(texts.count, threads: threads, makeContext: { Workspace() }) { ws, i in
            try unpadded.encode(texts[i], pair: pairs?[i], addSpecialTokens: addSpecialTokens, workspace: ws)
        }
        var out = results
        padding?.apply(&out)
        return out
    }

    func postProcess(_ a: inout Encoding, _ b: inout Encoding?, addSpecialTokens: Bool) throws -> Encoding {
        if let truncation {
            let added = addSpecialTokens ? (postProcessor?.addedTokens(isPair: b != nil) ?? 0) : 0
            let effective = truncation.maxLength - added
            if truncation.stride > 0 && truncation.stride >= effective {
                throw TokenizerError(
                    .invalid, path: "truncation.stride",
                    "stride \(truncation.stride) must be less than max_length minus the \(added) special tokens (\(effective))"
                )
            }
            try truncation.apply(&a, &b, maxLength: effective)
        }
        let windows = a.overflowing
        a.overflowing = []
        var out: Encoding
        if let postProcessor {
            out = postProcessor.process(a, b, addSpecialTokens: addSpecialTokens)
            out.overflowing = windows.map { postProcessor.process($0, nil, addSpecialTokens: addSpecialTokens) }
        } else {
            out = a
            if let b { out.append(contentsOf: b) }
            out.overflowing = windows
        }
        return out
    }

    /// Everything before truncation and post-processing, for one sequence.
    func encodeSequence(_ text: String, typeId: Int, sequenceId: Int, workspace ws: Workspace = Workspace()) -> Encoding
    {
        Self.scalars(of: text, into: &ws.scalars)
        var encoding = Encoding(vocabulary: vocabulary, capacity: ws.scalars.count / 4 + 4)
        let n = ws.scalars.count
        let parts =
            rawMatcher.isEmpty ? [(nil, 0..<n)] : ws.scalars.withUnsafeBufferPointer { rawMatcher.split($0, 0..<n) }
        var word: Int32 = 0  // the next word index: one per pre-tokenizer piece or added token, as HF's word_ids
        for (id, range) in parts {
            if let id {
                encoding.append(
                    id: id, offset: .init(range.lowerBound, range.upperBound), typeId: typeId, special: false,
                    sequence: sequenceId, word: word)
                word += 1
                continue
            }
            ws.pre.reset(from: ws.scalars, range: range)
            normalizer?.normalize(&ws.pre.text)
            if normalizedMatcher.isEmpty {
                ws.pre.resetPieces(first: range.lowerBound == 0)
                tokenizePieces(ws, typeId: typeId, sequenceId: sequenceId, word: &word, into: &encoding)
            } else {
                let normalized = ws.pre.text
                let sub = normalized.scalars.withUnsafeBufferPointer { normalizedMatcher.split($0, 0..<$0.count) }
                for (sid, r) in sub {
                    if let sid {
                        let (st, en) = normalized.originalRange(r)
                        encoding.append(
                            id: sid, offset: .init(st, en), typeId: typeId, special: false, sequence: sequenceId,
                            word: word)
                        word += 1
                    } else {
                        ws.pre.text.scalars = Array(normalized.scalars[r])
                        ws.pre.text.starts = Array(normalized.starts[r])
                        ws.pre.text.ends = Array(normalized.ends[r])
                        ws.pre.resetPieces(first: range.lowerBound == 0 && r.lowerBound == 0)
                        tokenizePieces(ws, typeId: typeId, sequenceId: sequenceId, word: &word, into: &encoding)
                    }
                }
            }
        }
        return encoding
    }

    /// Pre-tokenizes `ws.pre` and runs the model over its pieces.
    private func tokenizePieces(
        _ ws: Workspace, typeId: Int, sequenceId: Int, word: inout Int32, into encoding: inout Encoding
    ) {
        preTokenizer?.preTokenize(&ws.pre)
        ws.tokens.removeAll(keepingCapacity: true)
        ws.tokenWords.removeAll(keepingCapacity: true)
        ws.pre.text.scalars.withUnsafeBufferPointer { t in
            for piece in ws.pre.pieces {
                model.tokenize(t, piece, into: &ws.tokens, cache: &ws.cache)
                while ws.tokenWords.count < ws.tokens.count { ws.tokenWords.append(word) }
                word += 1
            }
        }
        let tid = Int32(typeId), seq = Int8(sequenceId)
        ws.pre.text.starts.withUnsafeBufferPointer { starts in
            ws.pre.text.ends.withUnsafeBufferPointer { ends in
                for (k, tok) in ws.tokens.enumerated() {
                    let w = ws.tokenWords[k]
                    if tok.end > tok.start {
                        encoding.append(
                            id: tok.id, start: starts[Int(tok.start)], end: ends[Int(tok.end) - 1], typeId: tid,
                            sequence: seq, word: w)
                    } else {
                        let (st, en) = ws.pre.text.originalRange(Int(tok.start)..<Int(tok.end))
                        encoding.append(
                            id: tok.id, start: Int32(st), end: Int32(en), typeId: tid, sequence: seq, word: w)
                    }
                }
            }
        }
    }

    /// Unicode scalar values of `text`, decoding UTF-8 directly (ASCII fast path).
    static func scalars(of text: String) -> [UInt32] {
        var out: [UInt32] = []
        scalars(of: text, into: &out)
        return out
    }

    static func scalars(of text: String, into result: inout [UInt32]) {
        var text = text
        text.withUTF8 { u in
            let n = u.count
            result.removeAll(keepingCapacity: true)
            result.reserveCapacity(n)
            result.append(contentsOf: repeatElement(0, count: n))
            let k = result.withUnsafeMutableBufferPointer { out -> Int in
                var i = 0, k = 0
                while i < n {
                    let b0 = UInt32(u[i])
                    if b0 < 0x80 {
                        out[k] = b0; i += 1
                    } else if b0 < 0xE0 {
                        out[k] = (b0 & 0x1F) << 6 | UInt32(u[i + 1] & 0x3F); i += 2
                    } else if b0 < 0xF0 {
                        out[k] = (b0 & 0x0F) << 12 | UInt32(u[i + 1] & 0x3F) << 6 | UInt32(u[i + 2] & 0x3F); i += 3
                    } else {
                        out[k] =
                            (b0 & 0x07) << 18 | UInt32(u[i + 1] & 0x3F) << 12 | UInt32(u[i + 2] & 0x3F) << 6
                            | UInt32(u[i + 3] & 0x3F)
                        i += 4
                    }
                    k += 1
                }
                return k
            }
            result.removeLast(n - k)
        }
    }

    // MARK: Decoding

    /// Ids back to text through the decoder (HF `Tokenizer.decode`).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let added = addedById[id] {
                if skipSpecialTokens && added.special { continue }
                tokens.append(vocabulary.token(id))
            } else if let t = model.idToToken(id) {
                tokens.append(t)
            }
        }
        if let decoder { return decoder.decode(tokens) }
        return tokens.joined(separator: " ")
    }
}

/// Reusable buffers for one thread's encodes (avoids allocating per text).
final class Workspace {
    var scalars: [UInt32] = []
    var pre = PreTokenizedString(NormalizedString())
    var tokens: [ModelToken] = []
    /// The word index of each of `tokens`.
    var tokenWords: [Int32] = []
    var cache = WordCache()
}

/// Runs `body(context, i)` for i in 0..<n on up to `threads` threads, preserving order; each
/// thread gets its own context. Work is handed out in small chunks so that a thread whose
/// core is busy with something else does not hold the others back.
func parallelMap<C, T>(_ n: Int, threads: Int, makeContext: () -> C, _ body: (C, Int) throws -> T) throws -> [T] {
    let workers = max(1, min(threads, n))
    if workers == 1 {
        let c = makeContext()
        return try (0..<n).map { try body(c, $0) }
    }
    let queue = WorkQueue(count: n, chunk: max(1, min(256, n / (workers * 8))))
    var results = [T?](repeating: nil, count: n)
    // The closures run only during `concurrentPerform`, each index is written by one thread.
    try withoutActuallyEscaping(makeContext) { makeContext in
        try withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let makeContext = makeContext
            nonisolated(unsafe) let body = body
            results.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    let c = makeContext()
                    while let range = queue.take() {
                        for i in range {
                            do { out[i] = try body(c, i) } catch {
                                queue.fail(error)
                                return
                            }
                        }
                    }
                }
            }
            if let e = queue.firstError { throw e }
        }
    }
    return results.map { $0! }
}

/// Hands out index chunks to worker threads; remembers the first error.
final class WorkQueue: @unchecked Sendable {  // all state is guarded by `lock`
    private let lock = NSLock()
    private var next = 0
    private var error: Error?
    let count: Int
    let chunk: Int

    init(count: Int, chunk: Int) {
        self.count = count
        self.chunk = chunk
    }

    func take() -> Range<Int>? {
        lock.lock()
        defer { lock.unlock() }
        if error != nil || next >= count { return nil }
        let lo = next
        next += chunk
        return lo..<min(count, lo + chunk)
    }

    func fail(_ e: Error) {
        lock.lock()
        if error == nil { error = e }
        lock.unlock()
    }

    var firstError: Error? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}
