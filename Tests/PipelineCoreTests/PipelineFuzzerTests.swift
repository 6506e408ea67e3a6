import Foundation
import PipelineCore
import PipelineFuzzing
import TestSupport
import Testing

/// A fixed budget of the parser/validator fuzzer (scripts/fuzz/pipeline.sh runs it for longer): generated and
/// mutated pipelines, alias bombs, deep nesting, huge scalars, tags and invalid UTF-8 — every one validates or
/// is rejected with located diagnostics, and memory stays bounded.
@Suite struct PipelineFuzzerTests {
    @Test func aFixedBudgetOfHostileInputsKeepsTheContract() throws {
        let folder = try TemporaryFolder(prefix: "fuzz")
        let fuzzer = try PipelineFuzzer(seed: 20_261_202, workspace: folder.root)
        let before = PipelineFuzzer.peakResidentBytes()
        var report = PipelineFuzzer.Report()
        fuzzer.run(count: 1200, hangLimit: .infinity, into: &report)
        #expect(report.inputs == 1200)
        #expect(report.findings.isEmpty, "\(report.findings.prefix(3))")
        #expect(report.rejected > 100 && report.accepted > 0, "both outcomes are exercised")
        // A single expanded bomb would take gigabytes; the whole run stays within a few hundred MiB.
        #expect(PipelineFuzzer.peakResidentBytes() - before < 512 << 20)
    }

    @Test func theGeneratorIsReproducibleFromItsSeed() throws {
        let folder = try TemporaryFolder(prefix: "fuzz")
        let a = try PipelineFuzzer(seed: 7, workspace: folder.root)
        let b = try PipelineFuzzer(seed: 7, workspace: folder.root)
        for _ in 0..<50 { #expect(a.next() == b.next()) }
    }
}
