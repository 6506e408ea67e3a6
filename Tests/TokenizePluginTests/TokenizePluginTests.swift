import Datasets
import Foundation
import PipelineCore
import StageKit
import TestSupport
import Testing
import Tokenizers

/// The tokenize stage plugin, run as a real executable by the engine over small real samples. Serialized: each
/// test runs plugin processes on a 2-core machine, and the engine tests next door measure time.
@Suite(.serialized) struct TokenizePluginTests {
    static let twoTasks = """
        version: 1
        seed: 13
        model: { base: model }
        data:
          spam:     { path: data/spam.jsonl, format: jsonl, text: text, label: label }
          question: { path: data/trec.jsonl, format: jsonl, text: text, label: coarse }
        stages:
          tokenize:
            plugin: tokenize
            inputs: [spam, question]
            with: { max_length: 24 }
        """

    func twoTaskWorkspace() throws -> TokenizeWorkspace {
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        try ws.copy(Fixture.spam, to: "data/spam.jsonl")
        try ws.copy(Fixture.trec, to: "data/trec.jsonl")
        try ws.write("p.yaml", Self.twoTasks)
        return ws
    }

    @Test func shardsHoldTheLibrarysIdsLabelsAndSeededSplits() async throws {
        let ws = try twoTaskWorkspace()
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let index = try outcome.index()
        let tokenizer = try await Fixture.loadMinilm(maxLength: 24)
        let untruncated = try await Fixture.loadMinilm(maxLength: nil)
        for (input, path, field) in [("spam", Fixture.spam, "label"), ("question", Fixture.trec, "coarse")] {
            let records = try Fixture.records(path, label: field)
            let vocabulary = Set(records.map { $0.label!.key }).sorted()
            #expect(index["inputs", input, "labels", "vocabulary"] == .array(vocabulary.map { .string($0) }))
            #expect(index["inputs", input, "split_source"] == "fractions")
            let split = StratifiedSplitter.split(records: records, fractions: .standard, seed: 13)
            for (name, rows) in [("train", split.train), ("validation", split.validation), ("test", split.test)] {
                let shard = try outcome.shard(input, name)
                #expect(shard.count == rows.count, "\(input)/\(name)")
                #expect(shard.contents == [.classLabels, .specialTokensMask, .wordIds])
                #expect(index["inputs", input, "splits", name, "sequences"] == .int(rows.count))
                let texts = rows.map { records[$0].text }
                let expected = try await Fixture.ids(tokenizer, texts)
                let lengths = try await Fixture.encodings(untruncated, texts).map(\.count)
                for (i, row) in rows.enumerated() where i < shard.count {
                    #expect(shard.tokens(at: i) == expected[i], "\(input)/\(name)[\(i)]: \(records[row].text)")
                    #expect(shard.classLabel(at: i) == Int32(vocabulary.firstIndex(of: records[row].label!.key)!))
                }
                let truncated = lengths.filter { $0 > 24 }.count
                #expect(index["inputs", input, "splits", name, "truncated"] == .int(truncated))
                let longest = rows[lengths.firstIndex(of: lengths.max()!)!]
                #expect(
                    index["inputs", input, "splits", name, "lengths", "longest"]
                        == .string("\(input == "spam" ? "spam" : "trec").jsonl:\(records[longest].location.line)"))
                #expect(index["inputs", input, "splits", name, "lengths", "max"] == .int(lengths.max()!))
                var counts: [String: StageKit.JSONValue] = [:]
                for row in rows {
                    counts[records[row].label!.key] = .int((counts[records[row].label!.key]?.intValue ?? 0) + 1)
                }
                #expect(index["inputs", input, "splits", name, "label_counts"] == .object(counts))
            }
        }
        // Some spam rows are longer than 24 tokens: truncation is exercised, and counted.
        #expect((outcome.stage.summary?["truncated"]?.intValue ?? 0) > 0)
        // The tokenizer is identified by the SHA-256 of its bytes, as the engine digests model files.
        let engineDigest = outcome.artifact?.manifest.keyInputs["model"]?["tokenizer.json"]
        #expect(engineDigest != nil && index["tokenizer", "sha256"] == engineDigest)
        let copied = try Data(contentsOf: URL(fileURLWithPath: outcome.files + "/tokenizer.json"))
        #expect(copied == (try Data(contentsOf: URL(fileURLWithPath: Fixture.minilmTokenizer))))
        #expect(index["token_width"] == 2)
    }

    /// Against HF `tokenizers` itself: the 1,560 varied lines (CJK, accents, emoji, URLs, whitespace runs, pairs)
    /// whose all-MiniLM-L6-v2 ids scripts/golden/tokenizers/generate.sh recorded, fed through the plugin as two
    /// JSONL inputs (singles and pairs) with the golden line number as the row id.
    @Test func shardsEqualHFTokenizersOnTheGoldenLines() async throws {
        let fixtures = repositoryRoot + "/Tests/TokenizersTests/Fixtures"
        let (singles, pairs, golden) = try await offThePool { () -> (String, String, [Int: [UInt32]]) in
            let lines = try String(contentsOfFile: fixtures + "/golden-lines.jsonl", encoding: .utf8)
                .split(separator: "\n").dropFirst()
            var singles = "", pairs = ""
            for (i, line) in lines.enumerated() {
                let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let withID = #"{"i": \#(i), "# + line.dropFirst()
                if row["pair"] is NSNull { singles += withID + "\n" } else { pairs += withID + "\n" }
            }
            var golden: [Int: [UInt32]] = [:]
            let records = try String(contentsOfFile: fixtures + "/minilm-golden.jsonl", encoding: .utf8)
                .split(separator: "\n").dropFirst()
            for line in records {
                let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                golden[row["i"] as! Int] = (row["ids"] as! String).split(separator: " ").map { UInt32($0)! }
            }
            return (singles, pairs, golden)
        }
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        try ws.write("data/singles.jsonl", singles)
        try ws.write("data/pairs.jsonl", pairs)
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              singles: { path: data/singles.jsonl, id: i, on_error: skip }
              pairs:   { path: data/pairs.jsonl, text_pair: pair, id: i, on_error: skip }
            stages:
              tokenize:
                plugin: tokenize
                inputs: [singles, pairs]
                with: { max_length: 128, splits: { train: 1, validation: 0, test: 0 } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        var compared = 0
        for input in ["singles", "pairs"] {
            let shard = try outcome.shard(input, "train")
            let ids = try JSONDecoder().decode(
                [String].self,
                from: Data(contentsOf: URL(fileURLWithPath: outcome.files + "/tokens/\(input)/train.ids.json")))
            #expect(ids.count == shard.count)
            for (k, id) in ids.enumerated() {
                let expected = try #require(golden[Int(id)!])
                #expect(shard.tokens(at: k) == expected, "\(input) golden line \(id)")
                compared += 1
            }
        }
        // Only rows with an empty text are left out (the readers reject them as bad rows).
        let skipped = try outcome.index()["inputs", "singles", "bad_rows", "skipped"]?.intValue ?? 0
        #expect(
            compared + skipped + (try outcome.index()["inputs", "pairs", "bad_rows", "skipped"]?.intValue ?? 0) == 1560)
        #expect(compared > 1500)
    }

    @Test func secondRunIsCachedAndOnlyTheTokenizersContentJoinsTheKey() async throws {
        let ws = try twoTaskWorkspace()
        let first = try await ws.run()
        #expect(first.record.executed == ["tokenize"])
        #expect(try await ws.run().record.executed.isEmpty)
        // Model weights and configuration do not matter to the tokenize stage (tokenizer_config.json does).
        try ws.write("model/config.json", "{\"hidden_size\": 384}\n")
        try ws.write("model/model.safetensors", "not read by this stage")
        #expect(try await ws.run().record.executed.isEmpty)
        // Neither does where the tokenizer lives, only its content.
        try ws.addModel(at: "elsewhere")
        try ws.write("p.yaml", Self.twoTasks.replacingOccurrences(of: "base: model", with: "base: elsewhere"))
        #expect(try await ws.run().record.executed.isEmpty)
        // Changed tokenizer content re-runs.
        let original = try String(contentsOfFile: Fixture.minilmTokenizer, encoding: .utf8)
        let cased = original.replacingOccurrences(of: "\"lowercase\":true", with: "\"lowercase\":false")
        #expect(cased != original)
        try ws.write("elsewhere/tokenizer.json", cased)
        #expect(try await ws.run().record.executed == ["tokenize"])
    }

    @Test func aTokenizerThatTruncatesFromTheLeftKeepsTheEndOfLongRows() async throws {
        let ws = try twoTaskWorkspace()
        let original = try String(contentsOfFile: Fixture.minilmTokenizer, encoding: .utf8)
        let left = original.replacingOccurrences(
            of: #""strategy":"LongestFirst","stride":0}"#,
            with: #""strategy":"LongestFirst","stride":0,"direction":"Left"}"#)
        #expect(left != original)
        try ws.write("model/tokenizer.json", left)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let tokenizer = try await offThePool {
            var tokenizer = try Tokenizer(json: Data(left.utf8))
            tokenizer.padding = nil
            tokenizer.truncation = TruncationParams(maxLength: 24, direction: .left)
            return tokenizer
        }
        let records = try Fixture.records(Fixture.spam, label: "label")
        let split = StratifiedSplitter.split(records: records, fractions: .standard, seed: 13)
        let shard = try outcome.shard("spam", "train")
        let expected = try await Fixture.ids(tokenizer, split.train.map { records[$0].text })
        #expect(shard.allTokens == expected)
        #expect(expected.filter { $0.count == 24 }.count > 3)
    }

    @Test func aMaxLengthBeyondTheModelsIsFlagged() async throws {
        let ws = try twoTaskWorkspace()
        try ws.write("model/tokenizer_config.json", #"{"do_lower_case": true, "model_max_length": 16}"#)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded)
        #expect(try outcome.index()["tokenizer", "model_max_length"] == 16)
        let events = try String(contentsOfFile: ws.state + "/runs/p/latest/events.jsonl", encoding: .utf8)
        #expect(events.contains("max_length 24 exceeds the model's model_max_length 16"))
    }

    @Test func changingMaxLengthReruns() async throws {
        let ws = try twoTaskWorkspace()
        _ = try await ws.run()
        try ws.write("p.yaml", Self.twoTasks.replacingOccurrences(of: "max_length: 24", with: "max_length: 16"))
        let rerun = try await ws.run()
        #expect(rerun.record.executed == ["tokenize"])
        let shard = try rerun.shard("spam", "train")
        #expect((0..<shard.count).allSatisfy { shard.length(at: $0) <= 16 })
        #expect((0..<shard.count).contains { shard.length(at: $0) == 16 })
        #expect(try rerun.index()["max_length"] == 16)
    }

    @Test func twoThreadsWriteTheSameBytesAsOne() async throws {
        let one = try twoTaskWorkspace(), two = try twoTaskWorkspace()
        let a = try await one.run(threads: 1), b = try await two.run(threads: 2)
        #expect(a.stage.summary?["threads"] == 1 && b.stage.summary?["threads"] == 2)
        #expect(a.artifact?.manifest.outputDigest == b.artifact?.manifest.outputDigest)
    }

    static let badRows = """
        {"text": "fine row", "label": "ham"}
        {"text": "another fine row", "label": "spam"}
        {"text": "unterminated, "label": "ham"}
        {"text": "a third fine row", "label": "ham"}
        {"label": "spam"}
        {"text": "the last fine row", "label": "spam"}

        """

    func badRowWorkspace(onError: String) throws -> TokenizeWorkspace {
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        try ws.write("data/train.jsonl", Self.badRows)
        try ws.write("data/test.jsonl", "{\"text\": \"a test row\", \"label\": \"ham\"}\n")
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              sms: { path: data/*.jsonl, label: label, on_error: \(onError) }
            stages:
              tokenize: { plugin: tokenize, inputs: [sms] }
            """)
        return ws
    }

    @Test func badRowsAreSkippedAndCountedWithTheirLocation() async throws {
        let ws = try badRowWorkspace(onError: "skip")
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let index = try outcome.index()
        #expect(index["inputs", "sms", "bad_rows", "skipped"] == 2)
        let first = index["inputs", "sms", "bad_rows", "first"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(first.count == 2)
        #expect(first.first?.hasPrefix("train.jsonl:3") == true, "\(first)")
        #expect(first.last?.hasPrefix("train.jsonl:5") == true && first.last?.contains("missing text field") == true)
        // Files named train/test keep their split; there is no validation file, so no validation split.
        #expect(index["inputs", "sms", "split_source"] == "files")
        #expect(index["inputs", "sms", "split_order"] == ["train", "test"])
        #expect(try outcome.shard("sms", "train").count == 4)
        #expect(try outcome.shard("sms", "test").count == 1)
        #expect(outcome.stage.summary?["inputs"]?["sms"]?["skipped"] == 2)
        #expect(outcome.stage.metrics["sms/skipped"] == 2)
        #expect(outcome.stage.metrics["sms/rows"] == 5 && outcome.stage.metrics["rows"] == 5)
    }

    @Test func aBadRowIsFatalUnlessSkipped() async throws {
        let ws = try badRowWorkspace(onError: "fail")
        let outcome = try await ws.run()
        #expect(outcome.record.status == .failed)
        let error = outcome.stage.error ?? ""
        #expect(error.contains("/data/train.jsonl:3"), "\(error)")
        #expect(error.contains("on_error: skip"), "\(error)")
        #expect(outcome.artifact == nil)
    }

    @Test func aTextCorpusIsPackedIntoFullBlocks() async throws {
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        try ws.copy(Fixture.emma, to: "data/emma.txt")
        try ws.write(
            "p.yaml",
            """
            version: 1
            seed: 5
            model: { base: model }
            data:
              emma: { path: data/emma.txt, format: text }
            stages:
              tokenize:
                plugin: tokenize
                inputs: [emma]
                with: { max_length: 64, splits: { train: 0.5, validation: 0.5, test: 0 } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let index = try outcome.index()
        #expect(index["inputs", "emma", "layout"] == "packed")
        #expect(index["inputs", "emma", "split_order"] == ["train", "validation"])
        // Documents are runs of non-blank lines; each is encoded with [CLS] … [SEP] and the stream is cut in 64s.
        var documents: [Record] = []
        try TextReader(unit: .byParagraph).read(path: Fixture.emma, policy: .fail) { documents.append($0) }
        let split = StratifiedSplitter.split(
            records: documents, fractions: try SplitFractions(train: 0.5, validation: 0.5, test: 0), seed: 5)
        let tokenizer = try await Fixture.loadMinilm(maxLength: nil)
        for (name, rows) in [("train", split.train), ("validation", split.validation)] {
            let stream = try await Fixture.ids(tokenizer, rows.map { documents[$0].text }).flatMap { $0 }
            let shard = try outcome.shard("emma", name)
            #expect(shard.contents == [.specialTokensMask, .wordIds])
            #expect(shard.allTokens.flatMap { $0 } == stream, "\(name)")
            #expect((0..<shard.count).dropLast().allSatisfy { shard.length(at: $0) == 64 })
            #expect(shard.count == (stream.count + 63) / 64)
            #expect(index["inputs", "emma", "splits", name, "documents"] == .int(rows.count))
        }
    }

    @Test func aTrainedBPETokenizerIsStoredAndItsIdsAreInTheShards() async throws {
        let ws = try TokenizeWorkspace()
        try ws.copy(Fixture.trec, to: "data/trec.jsonl")
        try ws.write(
            "p.yaml",
            """
            version: 1
            data:
              question: { path: data/trec.jsonl, label: fine }
            stages:
              tokenize:
                plugin: tokenize
                inputs: [question]
                with: { tokenizer: { source: train-bpe, vocab_size: 400, min_frequency: 2 } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let index = try outcome.index()
        #expect(index["tokenizer", "source"] == "train-bpe")
        #expect(index["tokenizer", "special_tokens", "<pad>"] == 1)
        let stored = outcome.files + "/tokenizer.json"
        let tokenizer = try await offThePool { try Tokenizer(contentsOf: URL(fileURLWithPath: stored)) }
        #expect(tokenizer.vocabSize <= 400 && tokenizer.vocabSize > 261)
        let records = try Fixture.records(Fixture.trec, label: "fine")
        let split = StratifiedSplitter.split(records: records, fractions: .standard, seed: 0)
        let shard = try outcome.shard("question", "test")
        #expect(shard.count == split.test.count)
        let expected = try await Fixture.ids(tokenizer, split.test.map { records[$0].text })
        for i in split.test.indices {
            let ids = shard.tokens(at: i)
            #expect(ids == expected[i])
            // The trained tokenizer frames rows as <s> … </s> (ids 0 and 2 with the default special tokens).
            #expect(ids.first == 0 && ids.last == 2 && ids.dropFirst().dropLast().allSatisfy { $0 > 4 })
        }
    }

    @Test func labelsAreClassIndicesOrNumbersInJSONLCSVAndTSV() async throws {
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        let raw = repositoryRoot + "/Tests/DatasetsTests/Fixtures"
        try ws.copy(raw + "/tasks/sentiment.jsonl", to: "data/sentiment.jsonl")
        try ws.copy(raw + "/raw/sms-spam.csv", to: "data/sms.csv")
        try ws.copy(raw + "/raw/tweets_GroundTruth.txt", to: "data/tweets.txt")
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              score:  { path: data/sentiment.jsonl, label: score }
              sms:    { path: data/sms.csv, label: spam }
              tweets: { path: data/tweets.txt, format: tsv, label: sentiment, id: id }
            stages:
              tokenize:
                plugin: tokenize
                inputs: [score, sms, tweets]
                with: { splits: { train: 1, validation: 0, test: 0 }, labels: { tweets: number } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        let index = try outcome.index()
        // JSON numbers with fractions: numeric labels without being asked.
        #expect(index["inputs", "score", "labels"] == ["kind": "number"])
        let scores = try Fixture.records(raw + "/tasks/sentiment.jsonl", label: "score")
        let scoreShard = try outcome.shard("score", "train")
        #expect(scoreShard.contents == [.numericLabels, .specialTokensMask, .wordIds] && scoreShard.count == scores.count)
        for (i, record) in scores.enumerated() {
            guard case .number(let x) = record.label else { Issue.record("not a number"); continue }
            #expect(scoreShard.numericLabel(at: i) == Float(x))
        }
        // CSV fields are strings: class labels "0" and "1".
        #expect(index["inputs", "sms", "labels", "vocabulary"] == ["0", "1"])
        var sms: [Record] = []
        try CSVReader(mapping: FieldMapping(text: "text", label: "spam")).read(
            path: raw + "/raw/sms-spam.csv", policy: .fail
        ) { sms.append($0) }
        let smsShard = try outcome.shard("sms", "train")
        #expect(smsShard.count == sms.count)
        let tokenizer = try await Fixture.loadMinilm(maxLength: 128)
        let expected = try await Fixture.ids(tokenizer, sms.map(\.text))
        for (i, record) in sms.enumerated() {
            #expect(smsShard.tokens(at: i) == expected[i])
            #expect(smsShard.classLabel(at: i) == (record.label?.key == "1" ? 1 : 0))
        }
        // TSV strings read as numbers on request.
        let tweets = try outcome.shard("tweets", "train")
        #expect(tweets.contents == [.numericLabels, .specialTokensMask, .wordIds] && tweets.count == 39)
        #expect(tweets.numericLabel(at: 0) == Float(2.726315789))
        // The id column, in shard order.
        #expect(index["inputs", "tweets", "splits", "train", "ids"] == "tokens/tweets/train.ids.json")
        #expect(index["inputs", "tweets", "duplicate_ids"] == 0 && index["inputs", "sms", "duplicate_ids"] == .null)
        let ids = try JSONDecoder().decode(
            [String].self, from: Data(contentsOf: URL(fileURLWithPath: outcome.files + "/tokens/tweets/train.ids.json"))
        )
        #expect(ids == (1...39).map { String($0) })
    }

    @Test func sentencePairsKeepTheirFirstSegmentLength() async throws {
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        // Questions paired with spam messages: real texts, long enough for LongestFirst truncation at 24.
        let questions = try Fixture.records(Fixture.trec, label: "coarse")
        let messages = try Fixture.records(Fixture.spam, label: "label")
        var lines = ""
        for (q, m) in zip(questions, messages) {
            let row: [String: String] = ["question": q.text, "message": m.text, "label": q.label!.key]
            lines +=
                String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self)
                + "\n"
        }
        try ws.write("data/train.jsonl", lines)
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              pairs: { path: data/train.jsonl, text: question, text_pair: message, label: label }
            stages:
              tokenize: { plugin: tokenize, inputs: [pairs], with: { max_length: 24 } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .succeeded, "\(outcome.stage.error ?? "")")
        #expect(try outcome.index()["inputs", "pairs", "pairs"] == true)
        let shard = try outcome.shard("pairs", "train")
        #expect(shard.contents == [.classLabels, .pairs, .specialTokensMask, .wordIds] && shard.count == 40)
        let tokenizer = try await Fixture.loadMinilm(maxLength: 24)
        let n = min(questions.count, messages.count)
        let encodings = try await Fixture.encodings(
            tokenizer, questions.prefix(n).map(\.text), pairs: messages.prefix(n).map(\.text))
        var truncated = 0
        for (i, expected) in encodings.enumerated() {
            #expect(shard.tokens(at: i) == expected.ids.map { UInt32($0) })
            #expect(shard.firstSegmentLength(at: i) == expected.typeIds.firstIndex(of: 1) ?? expected.count)
            if expected.count == 24 { truncated += 1 }
        }
        #expect(truncated > 10)
    }

    @Test func cancellingStopsTheStageAtTheNextBatchWithoutAnArtifact() async throws {
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        // 20 files of 1,500 rows: seconds of work in a debug build, so the stop lands mid-stage.
        let questions = try Fixture.records(Fixture.trec, label: "coarse")
        try await offThePool {
            for f in 0..<20 {
                var lines = ""
                for r in 0..<1500 {
                    let q = questions[(f * 1500 + r) % questions.count]
                    let text = q.text.replacingOccurrences(of: "\"", with: "'")
                    lines += #"{"text": "\#(text) (\#(f)-\#(r))", "label": "\#(q.label!.key)"}"# + "\n"
                }
                try ws.write("data/part\(f).jsonl", lines)
            }
        }
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              many: { path: data/*.jsonl, label: label }
            stages:
              tokenize: { plugin: tokenize, inputs: [many] }
            """)
        let engine = try Engine(
            stateDirectory: ws.state, runner: SubprocessStageRunner(gracePeriod: .seconds(10)), jobs: 1)
        let registry = await engine.discoverPlugins(directories: [TokenizeWorkspace.buildDirectory])
        let pipeline = try PipelineValidator(registry: registry).validate(file: ws.root + "/p.yaml")
        let began = Date()
        let task = Task { try await engine.run(pipeline) }
        try await Task.sleep(for: .milliseconds(700))
        task.cancel()
        let record = try await task.value
        #expect(record.stage("tokenize")?.status == .stopped, "\(record.stage("tokenize")?.error ?? "")")
        // It noticed the request and exited by itself: being killed would take the 10 s grace period.
        #expect(Date().timeIntervalSince(began) < 8)
        #expect(engine.store.all().isEmpty)
    }

    @Test func anUnsupportedTokenizerFailsWithItsPathAndTheComponent() async throws {
        let ws = try TokenizeWorkspace()
        try ws.copy(Fixture.trec, to: "data/trec.jsonl")
        try ws.write("model/tokenizer.json", #"{"model": {"type": "NoSuchModel", "vocab": {}}}"#)
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              question: { path: data/trec.jsonl, label: coarse }
            stages:
              tokenize: { plugin: tokenize, inputs: [question] }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .failed)
        let error = outcome.stage.error ?? ""
        #expect(error.contains("/model/tokenizer.json: model") && error.contains("NoSuchModel"), "\(error)")
    }

    @Test(arguments: [
        ("labels: { question: number, nope: class }", "labels.nope: 'nope' is not a data input"),
        ("labels: { emma: class }", "labels.emma: data input 'emma' names no label field"),
        ("tokenizer: { vocab_size: 500 }", "tokenizer.vocab_size applies to 'source: train-bpe' only"),
        ("splits: { from: files }", "needs files named train, validation or test"),
    ])
    func parameterMistakesAreExplained(with: String, message: String) async throws {
        let ws = try TokenizeWorkspace()
        try ws.addModel()
        try ws.copy(Fixture.trec, to: "data/trec.jsonl")
        try ws.write("data/emma.txt", "A short corpus.\n")
        try ws.write(
            "p.yaml",
            """
            version: 1
            model: { base: model }
            data:
              question: { path: data/trec.jsonl, label: coarse }
              emma: { path: data/emma.txt }
            stages:
              tokenize: { plugin: tokenize, inputs: [question, emma], with: { \(with) } }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .failed)
        #expect(outcome.stage.error?.contains(message) == true, "\(outcome.stage.error ?? "")")
    }

    @Test func aMissingModelTokenizerSaysWhatToDo() async throws {
        let ws = try TokenizeWorkspace()
        try ws.copy(Fixture.trec, to: "data/trec.jsonl")
        try ws.write(
            "p.yaml",
            """
            version: 1
            data:
              question: { path: data/trec.jsonl, label: coarse }
            stages:
              tokenize: { plugin: tokenize, inputs: [question] }
            """)
        let outcome = try await ws.run()
        #expect(outcome.record.status == .failed)
        #expect(outcome.stage.error?.contains("source: train-bpe") == true, "\(outcome.stage.error ?? "")")
    }
}
