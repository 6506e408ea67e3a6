import Datasets
import Foundation
import Models
import NN
import StageKit
import Tensor
import TestSupport
import Testing
import Training

/// An ``EvaluateWorkspace`` whose tokenize artifact also holds two labelled task inputs (`sms`: 6 test rows with
/// class labels ham/spam and row ids; `score`: 4 test rows with numeric labels), and tiny multitask artifacts
/// over the workspace's BERT config: heads whose dense weights are zero give the same logits for every row, so
/// every metric can be worked out by hand.
final class MultitaskWorkspace: @unchecked Sendable {
    let ws: EvaluateWorkspace
    var root: String { ws.root }
    var artifact: String { ws.artifact }

    /// Gold classes of the sms test rows (0 ham, 1 spam) and their ids; gold values of the score rows.
    static let smsGold: [Int32] = [1, 1, 1, 1, 0, 0]
    static let smsIDs = ["m1", "m2", "m3", "m4", "m5", "m6"]
    static let scoreGold: [Float] = [0.1, 0.5, 0.9, 0.3]

    init() throws {
        ws = try EvaluateWorkspace()
        let fm = FileManager.default
        for dir in ["sms", "score"] {
            try fm.createDirectory(atPath: artifact + "/tokens/" + dir, withIntermediateDirectories: true)
        }
        let sms = try TokenShardWriter(path: artifact + "/tokens/sms/test.bin", tokenWidth: 2, contents: .classLabels)
        for (r, label) in Self.smsGold.enumerated() {
            try sms.append([101] + (0..<(3 + r)).map { UInt32(2000 + r * 37 + $0 * 11) } + [102], classLabel: label)
        }
        try sms.finish()
        try ws.write("artifact/tokens/sms/test.ids.json", "[\"m1\", \"m2\", \"m3\", \"m4\", \"m5\", \"m6\"]")
        let score = try TokenShardWriter(
            path: artifact + "/tokens/score/test.bin", tokenWidth: 2, contents: .numericLabels)
        for (r, value) in Self.scoreGold.enumerated() {
            try score.append(
                [101] + (0..<(2 + 2 * r)).map { UInt32(3000 + r * 53 + $0 * 7) } + [102], numericLabel: value)
        }
        try score.finish()
        try ws.writeIndex(
            extraInputs: """
                ,
                "sms": {"layout": "rows", "labels": {"kind": "class", "vocabulary": ["ham", "spam"]},
                        "splits": {"test": {"file": "tokens/sms/test.bin"}}},
                "score": {"layout": "rows", "labels": {"kind": "number"}, "splits": {"test": {"file": "tokens/score/test.bin"}}}
                """)
    }

    static let tasks = [
        TaskSpec(name: "sms", kind: .sequenceClassification, labels: 2, labelNames: ["ham", "spam"]),
        TaskSpec(name: "score", kind: .regression, labels: 1),
    ]

    /// Writes a multitask artifact into `name` (a folder below the root): the workspace's BERT trunk (seed
    /// `seed`), the tokenizer, and heads. With `smsBias` / `scoreBias` the head's weight is zero and its bias the
    /// one given (every row gets those logits); without, the head keeps its random initialisation.
    @discardableResult
    func multitask(
        _ name: String, smsBias: [Float]? = nil, scoreBias: Float? = nil, seed: UInt64 = 4,
        experts: CustomizedGateControl.Configuration? = nil, tasks: [TaskSpec] = MultitaskWorkspace.tasks
    ) throws -> (directory: String, model: MultitaskModel) {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: EvaluateWorkspace.tokenizer, toPath: dir + "/tokenizer.json")
        try ws.write(name + "/config.json", EvaluateWorkspace.config)
        let trunk = BertModel(
            config: try BertConfig(contentsOf: URL(fileURLWithPath: dir + "/config.json")), seed: seed)
        try trunk.save(to: dir + "/model.safetensors")
        let reloaded = try BertModel(directory: URL(fileURLWithPath: dir), pooler: false)
        let model = try MultitaskModel(
            trunk: reloaded, tasks: tasks, pooling: .mean, experts: experts, headDropout: 0, seed: seed + 1)
        func fix(_ head: TaskHead, _ bias: [Float]) {
            head.dense.weight.pointer.update(repeating: 0, count: head.dense.weight.count)
            if let b = head.dense.bias { for (i, v) in bias.enumerated() { b.pointer[i] = v } }
        }
        if let smsBias { fix(model.heads[0], smsBias) }
        if let scoreBias, model.heads.count > 1 { fix(model.heads[1], [scoreBias]) }
        try MultitaskArtifact.write(model, directory: dir)
        return (dir, try MultitaskArtifact.loadModel(directory: dir))
    }

    func request(_ name: String, params: StageKit.JSONValue, upstream: [String: String], modelBase: String? = nil)
        throws -> Data
    {
        try ws.request(name, stage: "evaluate", params: params, upstream: upstream, modelBase: modelBase)
    }

    /// The lines of `predictions/<task>.jsonl` of run `name`, decoded.
    func predictions(_ name: String, task: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: ws.output(name) + "/predictions/\(task).jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}
