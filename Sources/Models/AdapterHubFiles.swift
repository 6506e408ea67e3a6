import Foundation
import NN
import Tensor

/// Bottleneck adapters in the AdapterHub `adapters` library's format: `adapter_config.json` (`{"config": {…BnConfig…},
/// "hidden_size", "model_class", "model_name", "model_type", "name", "version"}`) and `adapter.safetensors` (what
/// `save_adapter(…, use_safetensors=True)` writes and `load_adapter` reads).
///
/// AdapterHub keys an adapter under the sublayer's output module (`encoder.layer.N.attention.output.adapters.<name>.
/// adapter_down.0.weight`); ours sit under the wrapped projection's slot (`….attention.output.dense.adapters.…`),
/// so the mapping drops `.dense`.
public enum AdapterHubFiles {
    public static let configName = "adapter_config.json"
    public static let weightsName = "adapter.safetensors"

    /// AdapterHub's key for one of our adapter parameter names (nil: not an adapter parameter).
    public static func key(for name: String) -> String? {
        guard name.contains(".adapters.") else { return nil }
        return name.replacingOccurrences(of: ".dense.adapters.", with: ".adapters.")
    }

    /// Reads `directory/adapter_config.json`; throws on options this implementation does not compute (parallel
    /// adapters, extra LayerNorms, gating, PHM layers, scaling other than 1, the original LayerNorm before, a
    /// residual taken after it, left-out layers), rather than computing something else.
    public static func readConfiguration(directory: String) throws -> BottleneckAdapterConfiguration {
        let path = directory + "/" + configName
        guard let data = try ModelFile.read(path, maxBytes: 1 << 20) else {
            throw ModelError(.io, "cannot read the adapter config", path: path)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let config = json["config"] as? [String: Any]
        else { throw ModelError(.malformedFile, "not an AdapterHub adapter config (no \"config\" object)", path: path) }
        func fail(_ message: String) -> ModelError { ModelError(.invalidConfig, message, path: path) }
        guard let name = json["name"] as? String else { throw fail("no adapter name") }
        guard let factor = (config["reduction_factor"] as? NSNumber)?.doubleValue, factor >= 1,
            factor == factor.rounded()
        else { throw fail("reduction_factor must be an integer ≥ 1 (a per-layer mapping is not supported)") }
        let want: [(String, Bool)] = [
            ("is_parallel", false), ("ln_before", false), ("ln_after", false), ("original_ln_before", false),
            ("original_ln_after", true), ("residual_before_ln", true), ("use_gating", false), ("phm_layer", false),
        ]
        for (key, value) in want where (config[key] as? Bool ?? value) != value {
            throw fail("\(key): \(!value) is not supported (the Houlsby/Pfeiffer-style sequential adapter only)")
        }
        if let scaling = (config["scaling"] as? NSNumber)?.doubleValue, scaling != 1 {
            throw fail("scaling \(scaling) is not supported, only 1.0")
        }
        if let leave = config["leave_out"] as? [Any], !leave.isEmpty { throw fail("leave_out is not supported") }
        if let inv = config["inv_adapter"], !(inv is NSNull) { throw fail("inv_adapter is not supported") }
        guard let act = BottleneckAdapter.NonLinearity(rawValue: config["non_linearity"] as? String ?? "relu") else {
            throw fail("non_linearity \(config["non_linearity"] ?? "") is not one of swish, relu, gelu")
        }
        let result = BottleneckAdapterConfiguration(
            name: name, afterAttention: config["mh_adapter"] as? Bool ?? false,
            afterFeedForward: config["output_adapter"] as? Bool ?? true, reductionFactor: Int(factor),
            nonLinearity: act)
        do { try result.validate() } catch let e as PEFTError { throw fail(e.description) }
        return result
    }

    /// Writes `directory/adapter_config.json` as AdapterHub's Houlsby-style sequential bottleneck.
    public static func writeConfiguration(
        _ configuration: BottleneckAdapterConfiguration, hiddenSize: Int, modelClass: String = "BertModel",
        modelType: String = "bert", modelName: String = "", directory: String
    ) throws {
        let config: [String: Any] = [
            "adapter_residual_before_ln": false, "cross_adapter": false, "dropout": 0.0, "init_weights": "bert",
            "is_parallel": false, "leave_out": [Int](), "ln_after": false, "ln_before": false,
            "mh_adapter": configuration.afterAttention, "non_linearity": configuration.nonLinearity.rawValue,
            "original_ln_after": true, "original_ln_before": false, "output_adapter": configuration.afterFeedForward,
            "phm_layer": false, "reduction_factor": configuration.reductionFactor, "residual_before_ln": true,
            "scaling": 1.0, "use_gating": false, "inv_adapter": NSNull(), "inv_adapter_reduction_factor": NSNull(),
            "stochastic_depth": 0.0,
        ]
        let json: [String: Any] = [
            "config": config, "hidden_size": hiddenSize, "model_class": modelClass, "model_name": modelName,
            "model_type": modelType, "name": configuration.name, "version": "adapters.1.3.0",
        ]
        var text = String(
            decoding: try JSONSerialization.data(
                withJSONObject: json, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
            as: UTF8.self)
        // adapters accepts a float `scaling` (or a string), not the integer 1 Foundation writes for 1.0.
        text = text.replacingOccurrences(
            of: #""scaling"\s*:\s*1(?=[,\n}])"#, with: "\"scaling\": 1.0", options: .regularExpression)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (text + "\n").write(toFile: directory + "/" + configName, atomically: true, encoding: .utf8)
    }

    /// The model's adapter parameters under AdapterHub's keys.
    public static func adapterParameters(of model: any Module) -> [(key: String, tensor: Tensor)] {
        model.namedParameters.compactMap { p in key(for: p.name).map { ($0, p.tensor) } }
    }

    /// Writes the model's adapter weights as `directory/adapter.safetensors`; with `name`, only that adapter's
    /// (a model with one adapter per task: ``TaskBottleneckAdapter``), as AdapterHub saves one adapter per folder.
    public static func writeWeights(of model: any Module, name: String? = nil, directory: String) throws {
        let params = adapterParameters(of: model).filter { p in name.map { p.key.contains(".adapters.\($0).") } ?? true }
        guard !params.isEmpty else {
            throw ModelError(.missingTensor, "the model has no bottleneck adapters\(name.map { " named '\($0)'" } ?? "") to save")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafeTensorsFile.write(
            params.map { ($0.key, $0.tensor) }, metadata: ["format": "pt"], to: directory + "/" + weightsName)
    }

    /// Loads `directory/adapter.safetensors` into a model whose adapters are already added; throws on a missing,
    /// mis-shaped or unexpected adapter tensor. Returns the number loaded.
    @discardableResult
    public static func loadWeights(into model: any Module, directory: String) throws -> Int {
        let file = try SafeTensorsFile(path: directory + "/" + weightsName)
        let params = adapterParameters(of: model)
        var problems: [String] = []
        for (key, t) in params {
            guard let entry = file.entries[key] else {
                problems.append("missing '\(key)'")
                continue
            }
            guard entry.shape == t.shape else {
                problems.append("'\(key)' has shape \(entry.shape), the model expects \(t.shape)")
                continue
            }
            let v = try file.tensor(key)
            withExtendedLifetime(v) { t.pointer.update(from: v.pointer, count: v.count) }
        }
        let known = Set(params.map(\.key))
        let extra = file.names.filter { !known.contains($0) }
        if !extra.isEmpty { problems.append("tensors the model has no adapter for: \(extra.prefix(5))") }
        guard problems.isEmpty else {
            throw ModelError(.shapeMismatch, problems.prefix(10).joined(separator: "; "), path: file.path)
        }
        return params.count
    }
}
