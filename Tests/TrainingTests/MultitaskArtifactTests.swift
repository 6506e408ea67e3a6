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
}
