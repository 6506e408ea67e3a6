import Foundation
import NN
import Tensor

/// LoRA adapters in PEFT's format: `adapter_config.json` + `adapter_model.safetensors` (what
/// `PeftModel.from_pretrained` loads and `save_pretrained` writes).
///
/// Weights are keyed `<prefix><module>.lora_A.weight` / `…lora_B.weight` (PEFT drops the adapter name `default`
/// from saved keys), the prefix following the wrapped HF module tree: `base_model.model.` for a bare `BertModel`.
/// Our LoRA parameters carry exactly PEFT's names under the model (see ``LoRALinear``), so the key is the prefix
/// plus our name.
public enum PEFTLoRAFiles {
    public static let configName = "adapter_config.json"
    public static let weightsName = "adapter_model.safetensors"
    /// The key prefix of a bare HF base model (`BertModel`, `GPT2Model`).
    public static let bareModelPrefix = "base_model.model."

    /// Reads `directory/adapter_config.json` into a configuration; throws on options this implementation does
    /// not have (DoRA, per-layer rank or alpha patterns, regex targets, bias training) rather than silently
    /// computing something else.
    public static func readConfiguration(directory: String) throws -> LoRAConfiguration {
        let path = directory + "/" + configName
        guard let data = try ModelFile.read(path, maxBytes: 1 << 20) else {
            throw ModelError(.io, "cannot read the PEFT adapter config", path: path)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError(.malformedFile, "not a JSON object", path: path)
        }
        func fail(_ message: String) -> ModelError { ModelError(.invalidConfig, message, path: path) }
        guard (json["peft_type"] as? String) == "LORA" else {
            throw fail("peft_type is \(json["peft_type"] ?? "missing"), expected LORA")
        }
        guard let r = json["r"] as? Int else { throw fail("r must be an integer") }
        let alpha = (json["lora_alpha"] as? NSNumber)?.floatValue ?? 8
        let dropout = (json["lora_dropout"] as? NSNumber)?.floatValue ?? 0
        let targets: [String]
        if let list = json["target_modules"] as? [String] {
            targets = list.sorted()
        } else if json["target_modules"] is String {
            throw fail("target_modules is a regular expression; only a list of module names is supported")
        } else {
            throw fail("target_modules must be a list of module names")
        }
        if let bias = json["bias"] as? String, bias != "none" {
            throw fail("bias '\(bias)' is not supported, only none")
        }
        if json["use_dora"] as? Bool == true { throw fail("use_dora (DoRA) is not supported") }
        for key in ["rank_pattern", "alpha_pattern"] {
            if let pattern = json[key] as? [String: Any], !pattern.isEmpty { throw fail("\(key) is not supported") }
        }
        if let layers = json["layers_to_transform"], !(layers is NSNull) {
            throw fail("layers_to_transform is not supported")
        }
        let configuration = LoRAConfiguration(
            rank: r, alpha: alpha, dropout: dropout, targetModules: targets,
            rsLoRA: json["use_rslora"] as? Bool ?? false)
        do { try configuration.validate() } catch let e as PEFTError { throw fail(e.description) }
        return configuration
    }

    /// Writes `directory/adapter_config.json` (sorted keys, as PEFT writes it) for `configuration`.
    /// `fanInFanOut` is true for GPT-2's `Conv1D` projections (`[in, out]` weights).
    public static func writeConfiguration(
        _ configuration: LoRAConfiguration, baseModel: String?, taskType: String?, fanInFanOut: Bool = false,
        modulesToSave: [String]? = nil, directory: String
    ) throws {
        // Floats as their shortest decimal (0.1, not 0.10000000149011612), as Python writes them.
        let alpha: Any =
            configuration.alpha == configuration.alpha.rounded() && abs(configuration.alpha) < 1e9
            ? Int(configuration.alpha) : Double(configuration.alpha)
        let json: [String: Any] = [
            "alpha_pattern": [String: Any](), "base_model_name_or_path": baseModel ?? NSNull(), "bias": "none",
            "fan_in_fan_out": fanInFanOut, "inference_mode": true, "init_lora_weights": true,
            "layers_pattern": NSNull(), "layers_to_transform": NSNull(), "lora_alpha": alpha,
            "lora_dropout": Double("\(configuration.dropout)") ?? Double(configuration.dropout),
            "modules_to_save": modulesToSave ?? NSNull(),
            "peft_type": "LORA", "r": configuration.rank, "rank_pattern": [String: Any](), "revision": NSNull(),
            "target_modules": configuration.targetModules.sorted(), "task_type": taskType ?? NSNull(),
            "use_dora": false, "use_rslora": configuration.rsLoRA,
        ]
        let data = try JSONSerialization.data(
            withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: directory + "/" + configName), options: .atomic)
    }

    /// The model's LoRA parameters (`…lora_A.weight`, `…lora_B.weight`) with their names.
    public static func loraParameters(of model: any Module) -> [(name: String, tensor: Tensor)] {
        model.namedParameters.filter { $0.name.hasSuffix(".lora_A.weight") || $0.name.hasSuffix(".lora_B.weight") }
    }

    /// Writes the model's LoRA weights as `directory/adapter_model.safetensors` (metadata `format: pt`), keyed
    /// `prefix + name`. Throws when the model has no LoRA.
    public static func writeWeights(of model: any Module, prefix: String = bareModelPrefix, directory: String) throws {
        let params = loraParameters(of: model)
        guard !params.isEmpty else { throw ModelError(.missingTensor, "the model has no LoRA parameters to save") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafeTensorsFile.write(
            params.map { (prefix + $0.name, $0.tensor) }, metadata: ["format": "pt"],
            to: directory + "/" + weightsName)
    }

    /// The LoRA parameters of task `task` in a model with task-specific LoRA (``TaskLoRALinear``), renamed to
    /// the single-adapter names PEFT saves (`….lora_A.<task>.weight` → `….lora_A.weight`).
    public static func taskLoRAParameters(of model: any Module, task: String) -> [(name: String, tensor: Tensor)] {
        let suffixes = [".lora_A.\(task).weight", ".lora_B.\(task).weight"]
        return model.namedParameters.compactMap { p in
            guard let suffix = suffixes.first(where: { p.name.hasSuffix($0) }) else { return nil }
            let stem = String(p.name.dropLast(suffix.count))
            return (stem + (suffix.hasPrefix(".lora_A") ? ".lora_A.weight" : ".lora_B.weight"), p.tensor)
        }
    }

    /// Writes task `task`'s LoRA of a task-specific-LoRA model as a PEFT adapter folder's weights (PEFT keeps
    /// one folder per adapter). Throws when the model has no LoRA for that task.
    public static func writeWeights(
        of model: any Module, task: String, prefix: String = bareModelPrefix, directory: String
    ) throws {
        let params = taskLoRAParameters(of: model, task: task)
        guard !params.isEmpty else { throw ModelError(.missingTensor, "the model has no LoRA for task '\(task)'") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafeTensorsFile.write(
            params.map { (prefix + $0.name, $0.tensor) }, metadata: ["format": "pt"],
            to: directory + "/" + weightsName)
    }

    /// Loads `directory/adapter_model.safetensors` into a model whose LoRA is already applied (with the file's
    /// configuration); throws when a LoRA weight is missing or mis-shaped, or the file has LoRA weights the
    /// model lacks. Returns the number of tensors loaded.
    @discardableResult
    public static func loadWeights(into model: any Module, prefix: String = bareModelPrefix, directory: String) throws
        -> Int
    {
        let file = try SafeTensorsFile(path: directory + "/" + weightsName)
        let params = loraParameters(of: model)
        var problems: [String] = []
        for (name, t) in params {
            guard let entry = file.entries[prefix + name] else {
                problems.append("missing '\(prefix + name)'")
                continue
            }
            guard entry.shape == t.shape else {
                problems.append("'\(prefix + name)' has shape \(entry.shape), the model expects \(t.shape)")
                continue
            }
            let v = try file.tensor(prefix + name)
            withExtendedLifetime(v) { t.pointer.update(from: v.pointer, count: v.count) }
        }
        let known = Set(params.map { prefix + $0.name })
        let extra = file.names.filter { $0.contains(".lora_") && !known.contains($0) }
        if !extra.isEmpty { problems.append("LoRA weights for modules the model has none for: \(extra.prefix(5))") }
        guard problems.isEmpty else {
            throw ModelError(.shapeMismatch, problems.prefix(10).joined(separator: "; "), path: file.path)
        }
        return params.count
    }
}
