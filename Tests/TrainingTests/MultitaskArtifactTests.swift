import Foundation
import Models
import NN
import Tensor
import Testing

@testable import Training

@Suite struct MultitaskArtifactTests {
    func temporary() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("multitask-\(UUID().uuidString)").path
    }

    @Test func roundTripReproducesEveryTasksOutputAndGates() throws {
        let m = try TinyMultitask.model(
            experts: .init(sharedExperts: 2, taskExperts: 1, expertHidden: 6, expertOutput: 5, levels: 2), domains: 2)
        for (k, p) in MultitaskArtifact.ownParameters(of: m).enumerated() {
            let r = GradientCheck.randomTensor(p.tensor.shape, seed: UInt64(k), scale: 0.4)
            withExtendedLifetime(r) { p.tensor.pointer.update(from: r.pointer, count: r.count) }
        }
        let dir = temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try MultitaskArtifact.write(m, directory: dir)
        let names = MultitaskArtifact.ownParameters(of: m).map(\.name)
        #expect(
            names.allSatisfy { $0.hasPrefix("heads.") || $0.hasPrefix("cgc.") || $0.hasPrefix("domain_classifier.") })
        #expect(try SafeTensorsFile(path: dir + "/multitask.safetensors").names.sorted() == names.sorted())

        let back = try MultitaskArtifact.read(directory: dir, trunk: m.trunk)
        #expect(back.tasks == m.tasks && back.pooling == m.pooling)
        for b in TinyMultitask.batches {
            let (x, y) = GradMode.withoutGrad { (m(b, context: .inference), back(b, context: .inference)) }
            #expect(x.output.scalars == y.output.scalars)
            #expect(x.gates?.scalars == y.gates?.scalars)
        }
    }

    @Test func badFilesFailWithTheirPath() throws {
        let m = try TinyMultitask.model()
        let dir = temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try MultitaskArtifact.write(m, directory: dir)
        let other = BertModel(
            config: {
                var c = TinyMultitask.config
                c.hiddenSize = 12
                c.intermediateSize = 24
                return c
            }(), pooler: false)
        #expect(throws: TrainingError.self) { try MultitaskArtifact.read(directory: dir, trunk: other) }
        try Data("{\"format_version\": 2}".utf8).write(to: URL(fileURLWithPath: dir + "/multitask.json"))
        do {
            _ = try MultitaskArtifact.read(directory: dir, trunk: m.trunk)
            Issue.record("read a bad configuration")
        } catch let e as TrainingError {
            #expect(e.file.hasSuffix("multitask.json"))
        }
        try MultitaskArtifact.write(m, directory: dir)
        try SafeTensorsFile.write(
            [("heads.spam.dense.weight", Tensor(zeros: [2, 8]))], to: dir + "/multitask.safetensors")
        #expect(throws: TrainingError.self) { try MultitaskArtifact.read(directory: dir, trunk: m.trunk) }
    }

    /// `multitask.json` and the trunk's `config.json` are read capped: a FIFO (which blocked the whole-file read
    /// forever), a device (read until memory ran out) or a file past the cap is a located error, not a read.
    @Test func theConfigurationFilesAreReadCapped() throws {
        let m = try TinyMultitask.model()
        let dir = temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try MultitaskArtifact.write(m, directory: dir)
        let path = dir + "/multitask.json"
        try FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o600) == 0)
        let fifo = try #require(throws: TrainingError.self) { try MultitaskArtifact.read(directory: dir, trunk: m.trunk) }
        #expect(fifo.file == path && fifo.message.contains("not a regular file (a FIFO)"), "\(fifo)")
        try FileManager.default.removeItem(atPath: path)
        try Data(count: (4 << 20) + 1).write(to: URL(fileURLWithPath: path))
        let large = try #require(throws: TrainingError.self) { try MultitaskArtifact.read(directory: dir, trunk: m.trunk) }
        #expect(large.file == path && large.message.contains("at most \(4 << 20)"), "\(large)")

        let config = dir + "/config.json"
        try FileManager.default.createSymbolicLink(atPath: config, withDestinationPath: "/dev/zero")
        let device = try #require(throws: ModelError.self) { try BertConfig(contentsOf: URL(fileURLWithPath: config)) }
        #expect(device.path == config && device.message.contains("a character device"), "\(device)")
        #expect(throws: TrainingError.self) { try MultitaskArtifact.loadModel(directory: dir) }
        #expect(throws: TrainingError.self) { try MultitaskArtifact.writeTrunk(m.trunk, baseConfig: config, directory: dir + "/out") }
    }
}

/// What the multitask-finetune stage writes — the trunk in HF layout (LoRA merged) beside the multitask files —
/// loads through `MultitaskArtifact.loadModel` into a model with the in-memory model's outputs, for each PEFT
/// method: a merged shared LoRA, bottleneck adapters and per-task LoRA (both rebuilt from multitask.json).
@Suite struct MultitaskArtifactLoadModelTests {
    enum Method: CaseIterable { case full, lora, adapters, taskLoRA, taskAdapters }

    /// A trained-looking model: every parameter randomised, so a part that is not written or read back shows.
    func model(_ method: Method) throws -> MultitaskModel {
        let trunk = BertModel(config: TinyMultitask.config, pooler: false, seed: 3)
        var ini = Initializer(seed: 5)
        let context = ContextSource()
        let selector = TaskSelector()
        let lora = LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["query", "value", "output.dense"])
        switch method {
        case .full: break
        case .lora: try trunk.applyLoRA(lora, initializer: &ini, context: context)
        case .adapters: try trunk.addBottleneckAdapters(.init(reductionFactor: 2), initializer: &ini)
        case .taskLoRA:
            try trunk.applyTaskLoRA(
                lora, tasks: TinyMultitask.tasks.map(\.name), initializer: &ini, context: context, selector: selector)
        case .taskAdapters:
            try trunk.addTaskBottleneckAdapters(
                .init(reductionFactor: 2), tasks: TinyMultitask.tasks.map(\.name), initializer: &ini, selector: selector)
        }
        let m = try MultitaskModel(
            trunk: trunk, tasks: TinyMultitask.tasks, pooling: .mean,
            experts: .init(sharedExperts: 2, taskExperts: 1, expertHidden: 6, expertOutput: 5), headDropout: 0,
            seed: 4)
        m.contextSource = context
        if method == .taskLoRA || method == .taskAdapters { m.taskSelector = selector }
        for (k, (_, p)) in m.namedParameters.enumerated() {
            let r = GradientCheck.randomTensor(p.shape, seed: UInt64(100 + k), scale: 0.3)
            withExtendedLifetime(r) { p.pointer.update(from: r.pointer, count: r.count) }
        }
        return m
    }

    @Test(arguments: Method.allCases) func theWrittenArtifactGivesTheInMemoryOutputs(method: Method) throws {
        let m = try model(method)
        let before = GradMode.withoutGrad { TinyMultitask.batches.map { m($0, context: .inference).output.scalars } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mt-load-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let base = dir + "/base-config.json"
        try Data(#"{"model_type": "bert", "vocab_size": 21, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 12}"#.utf8)
            .write(to: URL(fileURLWithPath: base))
        if method == .lora {
            // A shared LoRA must be merged first: writing it unmerged is refused.
            #expect(throws: TrainingError.self) { try MultitaskArtifact.writeTrunk(m.trunk, baseConfig: base, directory: dir) }
            try m.trunk.mergeLoRA()
        }
        try MultitaskArtifact.writeTrunk(m.trunk, baseConfig: base, directory: dir)
        try MultitaskArtifact.write(
            m, adapters: method == .adapters ? .init(reductionFactor: 2) : nil,
            taskLoRA: method == .taskLoRA
                ? LoRAConfiguration(rank: 2, alpha: 4, targetModules: ["query", "value", "output.dense"]) : nil,
            taskAdapters: method == .taskAdapters ? .init(reductionFactor: 2) : nil, directory: dir)
        let trunkNames = try SafeTensorsFile(path: dir + "/model.safetensors").names
        #expect(!trunkNames.contains { $0.contains("lora_") || $0.contains("adapters") })

        let back = try MultitaskArtifact.loadModel(directory: dir)
        let after = GradMode.withoutGrad { TinyMultitask.batches.map { back($0, context: .inference).output.scalars } }
        for (x, y) in zip(before, after) {
            let diff = zip(x, y).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff < 1e-5, "\(method): max |difference| \(diff)")
        }
        // Without its per-task LoRA or adapters the trunk computes something else: they were really rebuilt.
        if method == .adapters || method == .taskLoRA || method == .taskAdapters {
            let bare = try MultitaskModel(
                trunk: BertModel(directory: URL(fileURLWithPath: dir), pooler: false), tasks: TinyMultitask.tasks,
                pooling: .mean, experts: back.experts?.configuration, headDropout: 0, seed: 4)
            for (name, t) in MultitaskArtifact.ownParameters(of: bare) {
                let v = try SafeTensorsFile(path: dir + "/multitask.safetensors").tensor(name)
                withExtendedLifetime(v) { t.pointer.update(from: v.pointer, count: v.count) }
            }
            let plain = GradMode.withoutGrad { bare(TinyMultitask.batches[0], context: .inference).output.scalars }
            #expect(zip(plain, after[0]).map { abs($0 - $1) }.max() ?? 0 > 1e-4)
        }
    }
}
