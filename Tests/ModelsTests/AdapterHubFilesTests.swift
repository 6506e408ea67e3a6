import Foundation
import Tensor
import Testing

@testable import Models
@testable import NN

/// Our bottleneck adapters against AdapterHub's own files and outputs (fixture from
/// scripts/golden/adapters/generate.sh).
@Suite struct AdapterHubFilesTests {
    func fixture() throws -> String {
        let root = try #require(Bundle.module.resourceURL, "no resource bundle")
        return root.appendingPathComponent("Fixtures/adapters-houlsby").path
    }

    @Test func loadsAdapterHubsHoulsbyAdapterAndMatchesItsOutput() throws {
        let dir = try fixture()
        let expected = try SafeTensorsFile(path: dir + "/expected.safetensors")
        let model = try BertModel(directory: URL(fileURLWithPath: dir), pooler: false)
        #expect(maxDifference(try hidden(model, expected), try expected.tensor("hidden_base")) <= 1e-4)
        let config = try AdapterHubFiles.readConfiguration(directory: dir + "/adapter")
        #expect(config.name == "mt" && config.reductionFactor == 4 && config.afterAttention && config.afterFeedForward)
        #expect(config.nonLinearity == .swish)
        var ini = Initializer(seed: 1)
        try model.addBottleneckAdapters(config, initializer: &ini)
        #expect(try AdapterHubFiles.loadWeights(into: model, directory: dir + "/adapter") == 16)
        let reference = try expected.tensor("hidden_adapter")
        #expect(maxDifference(try hidden(model, expected), reference) <= 1e-4)
        #expect(maxDifference(try expected.tensor("hidden_base"), reference) > 0.1)

        // FINETUNED_EXPORT_DIR keeps the export for scripts/golden/check-exports.py (adapters loads it).
        let keep = ProcessInfo.processInfo.environment["FINETUNED_EXPORT_DIR"].map { $0 + "/adapters-houlsby" }
        let out = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("ah-\(UUID().uuidString)").path
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: out) } }
        try AdapterHubFiles.writeConfiguration(config, hiddenSize: 16, directory: out)
        try AdapterHubFiles.writeWeights(of: model, directory: out)
        let ours = try SafeTensorsFile(path: out + "/adapter.safetensors")
        let theirs = try SafeTensorsFile(path: dir + "/adapter/adapter.safetensors")
        #expect(ours.names.sorted() == theirs.names.sorted())
        for name in theirs.names { #expect(try ours.tensor(name).scalars == theirs.tensor(name).scalars, "\(name)") }
        #expect(try AdapterHubFiles.readConfiguration(directory: out) == config)
        let text = try String(contentsOfFile: out + "/adapter_config.json", encoding: .utf8)
        #expect(text.contains("\"scaling\": 1.0"))  // adapters refuses an integer scaling
    }

    @Test func refusesVariantsItDoesNotCompute() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ah-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = #""name": "x", "hidden_size": 16"#
        for config in [
            #"{"is_parallel": true, "reduction_factor": 4}"#, #"{"original_ln_before": true, "reduction_factor": 4}"#,
            #"{"scaling": 2.0, "reduction_factor": 4}"#, #"{"reduction_factor": {"0": 4}}"#,
            #"{"non_linearity": "tanh", "reduction_factor": 4}"#, #"{"use_gating": true, "reduction_factor": 4}"#,
        ] {
            try "{\(base), \"config\": \(config)}".write(
                toFile: dir + "/adapter_config.json", atomically: true, encoding: .utf8)
            #expect(throws: ModelError.self, "\(config)") { try AdapterHubFiles.readConfiguration(directory: dir) }
        }
    }
}
