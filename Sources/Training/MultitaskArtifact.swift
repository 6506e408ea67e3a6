import Foundation
import Models
import NN
import Tensor

/// The multitask model's own parts on disk, beside the trunk's HF files: `multitask.json` (tasks, kinds, label
/// names, pooling, experts, domains) and `multitask.safetensors` (every parameter outside the trunk under its
/// model name: `heads.<task>.dense.*`, `cgc.levels.*`, `domain_classifier.*`, and `loss_weighting.log_vars` when
/// uncertainty weighting trained). Reading rebuilds the model over a loaded trunk.
///
/// Bottleneck adapters and task-specific LoRA cannot be merged into the one trunk's weights: when the model has
/// them, `multitask.json` records their configuration (`adapters`, `task_lora`) and `multitask.safetensors` holds
/// their weights under the model's names (`encoder.layer.N.….adapters.<name>.*`, `….lora_A.<task>.weight`);
/// reading adds them to the trunk (task LoRA first, then adapters, as the stage does) before loading. Task-specific
/// adapters (`task_adapters`) are kept the same way, under `….adapters.<task>.*`.
public enum MultitaskArtifact {
    public static let configName = "multitask.json"
    public static let weightsName = "multitask.safetensors"
    public static let formatVersion = 1

    struct Config: Codable {
        var formatVersion: Int
        var tasks: [TaskSpec]
        var pooling: Pooling
        var hiddenSize: Int
        var experts: CustomizedGateControl.Configuration?
        var domains: Int
        var headDropout: Float
        /// The trunk's bottleneck adapters (absent: none).
        var adapters: BottleneckAdapterConfiguration?
        /// The trunk's task-specific LoRA, one per task (absent: none).
        var taskLoRA: LoRAConfiguration?
        /// The trunk's task-specific bottleneck adapters, one set per task (absent: none).
        var taskAdapters: BottleneckAdapterConfiguration?

        enum CodingKeys: String, CodingKey {
            case formatVersion = "format_version", tasks, pooling, hiddenSize = "hidden_size", experts, domains
            case headDropout = "head_dropout", adapters, taskLoRA = "task_lora", taskAdapters = "task_adapters"
        }
    }

    /// Writes both files into `directory` (created if needed). `extra` adds tensors such as the uncertainty
    /// log-variances; `adapters` and `taskLoRA` are the configurations of the trunk's bottleneck adapters and
    /// task-specific LoRA, whose weights are then written too.
    public static func write(
        _ model: MultitaskModel, extra: [(name: String, tensor: Tensor)] = [],
        adapters: BottleneckAdapterConfiguration? = nil, taskLoRA: LoRAConfiguration? = nil,
        taskAdapters: BottleneckAdapterConfiguration? = nil, directory: String
    ) throws {
        let config = Config(
            formatVersion: formatVersion, tasks: model.tasks, pooling: model.pooling,
            hiddenSize: model.trunk.hiddenSize, experts: model.experts?.configuration,
            domains: model.domainClassifier?.outProjection.outputDimensions ?? 0, headDropout: model.headDropout,
            adapters: adapters, taskLoRA: taskLoRA, taskAdapters: taskAdapters)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try (encoder.encode(config) + Data("\n".utf8))
            .write(to: URL(fileURLWithPath: directory + "/" + configName), options: .atomic)
        let unmerged =
            adapters == nil && taskLoRA == nil && taskAdapters == nil ? [] : unmergedParameters(of: model.trunk)
        try SafeTensorsFile.write(ownParameters(of: model) + unmerged + extra, to: directory + "/" + weightsName)
    }

    /// The trunk's parameters that stay outside its HF weights: bottleneck adapters (`….adapters.<name>.…`) and
    /// task-specific LoRA (`….lora_A.<task>.weight`, `….lora_B.<task>.weight`).
    public static func unmergedParameters(of trunk: any MultitaskTrunk) -> [(name: String, tensor: Tensor)] {
        trunk.namedParameters.filter { isUnmerged($0.name) }
    }

    static func isUnmerged(_ name: String) -> Bool { name.contains(".adapters.") || name.contains(".lora_") }

    /// Writes the trunk in HF layout — `BertModel` (`config.json` the base's, `architectures: [BertModel]`) or
    /// `LlamaForCausalLM` (its own `config.json`) — and `model.safetensors` (HF names, no prefix, metadata
    /// `format: pt`) without adapter weights. Merge LoRA into the base weights first (``Module/mergeLoRA()``): a
    /// LoRA still wrapped would be written under its own names.
    public static func writeTrunk(_ trunk: any MultitaskTrunk, baseConfig: String, directory: String) throws {
        if let name = trunk.namedParameters.first(where: { $0.name.hasSuffix(".lora_A.weight") })?.name {
            throw TrainingError(
                .invalidInput, file: directory, message: "'\(name)': a shared LoRA is not merged",
                hint: "call mergeLoRA() on the trunk before writing it")
        }
        try trunk.writeHF(
            weights: trunk.namedParameters.filter { !isUnmerged($0.name) }, baseConfig: baseConfig,
            directory: directory)
    }

    /// The JSON object of the capped `config.json` at `path` (empty when absent or not an object), for copying a
    /// base's configuration into an export.
    static func jsonObject(_ path: String) throws -> [String: Any] {
        let data: Data?
        do { data = try ModelFile.read(path, maxBytes: ModelFile.configLimit) } catch let e as ModelError {
            throw TrainingError(.invalidInput, file: path, message: e.message)
        }
        return data.flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any] ?? [:]
    }

    /// The parameters outside the trunk.
    public static func ownParameters(of model: MultitaskModel) -> [(name: String, tensor: Tensor)] {
        let trunk = Set(model.trunk.parameters.map(ObjectIdentifier.init))
        return model.namedParameters.filter { !trunk.contains(ObjectIdentifier($0.tensor)) }
    }

    /// The one entry point for consumers (the evaluate stage, `finetunectl predict`): the trunk from the folder's
    /// HF files (`config.json` with `model_type` bert or llama, `model.safetensors`; LoRA merged into the base
    /// weights on export) and the multitask parts over it. The multitask-finetune stage writes exactly what this
    /// reads.
    public static func loadModel(directory: String) throws -> MultitaskModel {
        try read(directory: directory, trunk: try MultitaskTrunkLoader.load(directory: directory))
    }

    /// Rebuilds the model over `trunk` from `directory`; throws a ``TrainingError`` naming the file on a bad or
    /// mismatched configuration, or a missing or mis-shaped tensor.
    public static func read(directory: String, trunk: any MultitaskTrunk) throws -> MultitaskModel {
        let path = directory + "/" + configName
        let read: Data?
        do { read = try ModelFile.read(path, maxBytes: 4 << 20) } catch let e as ModelError {
            throw TrainingError(.invalidInput, file: path, message: e.message)
        }
        guard let data = read else {
            throw TrainingError(.invalidInput, file: path, message: "cannot read the multitask configuration")
        }
        let config: Config
        do { config = try JSONDecoder().decode(Config.self, from: data) } catch {
            throw TrainingError(.invalidInput, file: path, message: "not a multitask configuration: \(error)")
        }
        guard config.formatVersion == formatVersion else {
            throw TrainingError(
                .invalidInput, file: path, message: "format_version \(config.formatVersion), expected 1")
        }
        guard config.hiddenSize == trunk.hiddenSize else {
            throw TrainingError(
                .invalidInput, file: path,
                message: "hidden_size \(config.hiddenSize) does not match the trunk's \(trunk.hiddenSize)")
        }
        guard (0...64).contains(config.domains), config.tasks.count <= 1024,
            config.headDropout >= 0 && config.headDropout < 1
        else {
            throw TrainingError(.invalidInput, file: path, message: "domains, task count or head_dropout out of range")
        }
        if let task = config.tasks.first(where: { !(0...65_536).contains($0.labels) }) {
            throw TrainingError(
                .invalidInput, file: path, message: "task '\(task.name)' has \(task.labels) labels; expected 0 (regression) to 65536")
        }
        let model: MultitaskModel
        do {
            var ini = Initializer(seed: 0)
            let context = ContextSource()
            let selector = TaskSelector()
            if let lora = config.taskLoRA {
                try trunk.applyTaskLoRA(
                    lora, tasks: config.tasks.map(\.name), initializer: &ini, context: context, selector: selector)
            }
            if let adapters = config.adapters { try trunk.addBottleneckAdapters(adapters, initializer: &ini) }
            if let adapters = config.taskAdapters {
                try trunk.addTaskBottleneckAdapters(
                    adapters, tasks: config.tasks.map(\.name), initializer: &ini, selector: selector)
            }
            model = try MultitaskModel(
                trunk: trunk, tasks: config.tasks, pooling: config.pooling, experts: config.experts,
                domains: config.domains, headDropout: config.headDropout, seed: 0)
            if config.taskLoRA != nil || config.taskAdapters != nil {
                model.contextSource = context
                model.taskSelector = selector
            }
        } catch let e as PEFTError {
            throw TrainingError(.invalidInput, file: path, message: e.description)
        } catch var e as TrainingError {
            e.file = path
            throw e
        }
        let weights = directory + "/" + weightsName
        do {
            let file = try SafeTensorsFile(path: weights)
            let unmerged =
                config.adapters == nil && config.taskLoRA == nil && config.taskAdapters == nil
                ? [] : unmergedParameters(of: trunk)
            for (name, t) in ownParameters(of: model) + unmerged {
                guard let entry = file.entries[name] else {
                    throw TrainingError(.invalidInput, file: weights, message: "missing tensor '\(name)'")
                }
                guard entry.shape == t.shape else {
                    throw TrainingError(
                        .invalidInput, file: weights, message: "'\(name)' has shape \(entry.shape), expected \(t.shape)"
                    )
                }
                let v = try file.tensor(name)
                withExtendedLifetime(v) { t.pointer.update(from: v.pointer, count: v.count) }
            }
        } catch let e as ModelError {
            throw TrainingError(.invalidInput, file: weights, message: e.description)
        }
        return model
    }
}
