import Foundation

/// A tokenizer loaded from (or built like) a Hugging Face `tokenizer.json`.
///
/// Value type; safe to share across threads. `encode` is the hot path.
public struct Tokenizer: Sendable {
    public var normalizer: (any Normalizer)?
    public var preTokenizer: (any PreTokenizer)?
    public var model: any TokenizerModel
    public var postProcessor: (any PostProcessor)?
    public var decoder: (any Decoder)?
    public var truncation: TruncationParams?
    public var padding: PaddingParams?
    public private(set) var addedTokens: [AddedToken]

    private var rawMatcher: AddedTokenMatcher
    private var normalizedMatcher: AddedTokenMatcher
    private var addedById: [Int: AddedToken]
    private var addedByContent: [String: Int]

    public init(model: any TokenizerModel, normalizer: (any Normalizer)? = nil, preTokenizer: (any PreTokenizer)? = nil,
                postProcessor: (any PostProcessor)? = nil, decoder: (any Decoder)? = nil, addedTokens: [AddedToken] = [],
                truncation: TruncationParams? = nil, padding: PaddingParams? = nil) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.truncation = truncation
        self.padding = padding
        self.addedTokens = addedTokens
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized })
        addedById = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        addedByContent = Dictionary(addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a })
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
        self.init(model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: post, decoder: decoder,
                  addedTokens: added, truncation: truncation, padding: padding)
    }

    // MARK: Vocabulary

    public func tokenToId(_ token: String) -> Int? { addedByContent[token] ?? model.tokenToId(token) }

    public func idToToken(_ id: Int) -> String? { addedById[id]?.content ?? model.idToToken(id) }

    /// Model vocabulary plus added tokens that are not in it.
    public var vocabSize: Int {
        model.vocabSize + addedTokens.filter { model.tokenToId($0.content) == nil }.count
    }

    // MARK: Encoding

    /// Encodes a text, or a pair of texts, like HF `Tokenizer.encode`: added tokens,
    /// normalizer, pre-tokenizer, model, truncation, post-processor, padding.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) throws -> Encoding {
        var a = encodeSequence(text, typeId: 0, sequenceId: 0)
        var b = pair.map { encodeSequence($0, typeId: 1, sequenceId: 1) }
        var e = try postProcess(&a, &b, addSpecialTokens: addSpecialTokens)
        if let padding {
            let target = padding.targetLength(longest: e.count)
            e.pad(to: target, id: padding.padId, typeId: padding.padTypeId, token: padding.padToken, left: padding.padLeft)
        }
        return e
    }

    /// Encodes many texts on `threads` threads; padding (if set) applies across the batch.
    public func encodeBatch(_ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true, threads: Int = 2) throws -> [Encoding] {
        if let pairs, pairs.count != texts.count {
            throw TokenizerError(.invalid, path: "", "encodeBatch: \(texts.count) texts but \(pairs.count) pairs")
        }
        var unpadded = self
        unpadded.padding = nil
        let results = try parallelMap(texts.count, threads: threads) { i in
            try unpadded.encode(texts[i], pair: pairs?[i], addSpecialTokens: addSpecialTokens)
        }
        var out = results
        padding?.apply(&out)
        return out
    }

    /// Token ids only (no strings, no offsets kept) for throughput-bound callers.
    public func encodeIds(_ text: String, addSpecialTokens: Bool = true) throws -> [Int] {
        try encode(text, addSpecialTokens: addSpecialTokens).ids
    }

    func postProcess(_ a: inout Encoding, _ b: inout Encoding?, addSpecialTokens: Bool) throws -> Encoding {
        if let truncation {
            let added = addSpecialTokens ? (postProcessor?.addedTokens(isPair: b != nil) ?? 0) : 0
            try truncation.apply(&a, &b, maxLength: truncation.maxLength - added)
        }
        if let postProcessor {
            return postProcessor.process(a, b, addSpecialTokens: addSpecialTokens)
        }
        var out = a
        if let b { out.append(contentsOf: b) }
        return out
    }

    /// Everything before truncation and post-processing, for one sequence.
    func encodeSequence(_ text: String, typeId: Int, sequenceId: Int) -> Encoding {
        let scalars = Self.scalars(of: text)
        var encoding = Encoding()
        encoding.ids.reserveCapacity(scalars.count / 3 + 4)
        var tokens: [ModelToken] = []
        tokens.reserveCapacity(scalars.count / 3 + 4)
        scalars.withUnsafeBufferPointer { s in
            let parts = rawMatcher.isEmpty ? [(nil, 0..<s.count)] : rawMatcher.split(s, 0..<s.count)
            for (id, range) in parts {
                if let id {
                    encoding.append(id: id, token: idToToken(id) ?? "", offset: .init(range.lowerBound, range.upperBound),
                                    typeId: typeId, special: false, sequence: sequenceId)
                    continue
                }
                var normalized = NormalizedString(s, range: range)
                normalizer?.normalize(&normalized)
                if normalizedMatcher.isEmpty {
                    tokenizeNormalized(normalized, first: range.lowerBound == 0, typeId: typeId, sequenceId: sequenceId,
                                       scratch: &tokens, into: &encoding)
                } else {
                    let sub = normalized.scalars.withUnsafeBufferPointer { normalizedMatcher.split($0, 0..<$0.count) }
                    for (sid, r) in sub {
                        if let sid {
                            let (st, en) = normalized.originalRange(r)
                            encoding.append(id: sid, token: idToToken(sid) ?? "", offset: .init(st, en), typeId: typeId,
                                            special: false, sequence: sequenceId)
                        } else {
                            var piece = NormalizedString()
                            piece.scalars = Array(normalized.scalars[r])
                            piece.starts = Array(normalized.starts[r])
                            piece.ends = Array(normalized.ends[r])
                            tokenizeNormalized(piece, first: range.lowerBound == 0 && r.lowerBound == 0, typeId: typeId,
                                               sequenceId: sequenceId, scratch: &tokens, into: &encoding)
                        }
                    }
                }
            }
        }
        return encoding
    }

    private func tokenizeNormalized(_ normalized: NormalizedString, first: Bool, typeId: Int, sequenceId: Int,
                                    scratch tokens: inout [ModelToken], into encoding: inout Encoding) {
        var pre = PreTokenizedString(normalized)
        pre.isFirstSegment = first
        preTokenizer?.preTokenize(&pre)
        tokens.removeAll(keepingCapacity: true)
        pre.text.scalars.withUnsafeBufferPointer { t in
            for piece in pre.pieces { model.tokenize(t, piece, into: &tokens) }
        }
        let starts = pre.text.starts, ends = pre.text.ends
        for tok in tokens {
            let st: Int, en: Int
            if tok.end > tok.start {
                st = Int(starts[Int(tok.start)])
                en = Int(ends[Int(tok.end) - 1])
            } else {
                (st, en) = pre.text.originalRange(Int(tok.start)..<Int(tok.end))
            }
            encoding.append(id: Int(tok.id), token: model.idToToken(Int(tok.id)) ?? "", offset: .init(st, en),
                            typeId: typeId, special: false, sequence: sequenceId)
        }
    }

    /// Unicode scalar values of `text`, decoding UTF-8 directly (ASCII fast path).
    static func scalars(of text: String) -> [UInt32] {
        var text = text
        return text.withUTF8 { u in
            let n = u.count
            return [UInt32](unsafeUninitializedCapacity: n) { out, count in
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
                        out[k] = (b0 & 0x07) << 18 | UInt32(u[i + 1] & 0x3F) << 12 | UInt32(u[i + 2] & 0x3F) << 6
                            | UInt32(u[i + 3] & 0x3F)
                        i += 4
                    }
                    k += 1
                }
                count = k
            }
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
                tokens.append(added.content)
            } else if let t = model.idToToken(id) {
                tokens.append(t)
            }
        }
        if let decoder { return decoder.decode(tokens) }
        return tokens.joined(separator: " ")
    }
}

/// Runs `body(0..<n)` on up to `threads` threads, in contiguous chunks, preserving order.
func parallelMap<T>(_ n: Int, threads: Int, _ body: (Int) throws -> T) throws -> [T] {
    let workers = max(1, min(threads, n))
    if workers == 1 { return try (0..<n).map(body) }
    var results = [T?](repeating: nil, count: n)
    var firstError: Error?
    let lock = NSLock()
    results.withUnsafeMutableBufferPointer { out in
        nonisolated(unsafe) let out = out
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = n * w / workers, hi = n * (w + 1) / workers
            for i in lo..<hi {
                do { out[i] = try body(i) } catch {
                    lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                    return
                }
            }
        }
    }
    if let firstError { throw firstError }
    return results.map { $0! }
}
