// pipeline-fuzz — runs PipelineFuzzer for a number of inputs or seconds and prints one summary line.
//   pipeline-fuzz --seed N [--count N] [--seconds S] [--hang S] --workspace DIR
// Each input is written to DIR/last-input before it is validated (a crash leaves it there); inputs that break
// the contract are saved as DIR/findings/<seed>-<n>.yaml. Exit 0 with no findings, 1 otherwise.
// scripts/fuzz/pipeline.sh drives it in rounds and counts crashes.
import Foundation
import PipelineFuzzing

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data("usage: pipeline-fuzz --seed N [--count N] [--seconds S] [--hang S] --workspace DIR\n".utf8))
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
let seed = UInt64(options["seed"] ?? "1") ?? 1
let count = Int(options["count"] ?? "") ?? Int.max
let seconds = Double(options["seconds"] ?? "") ?? 60
let hang = Double(options["hang"] ?? "") ?? 2
let workspace = options["workspace"] ?? NSTemporaryDirectory() + "/pipeline-fuzz"
try FileManager.default.createDirectory(atPath: workspace + "/findings", withIntermediateDirectories: true)

let fuzzer = try PipelineFuzzer(seed: seed, workspace: workspace)
let last = workspace + "/last-input"
fuzzer.onInput = { bytes in _ = FileManager.default.createFile(atPath: last, contents: Data(bytes)) }
var report = PipelineFuzzer.Report()
fuzzer.run(count: count, hangLimit: hang, deadline: Date().addingTimeInterval(seconds), into: &report)
for (n, finding) in report.findings.enumerated() {
    _ = FileManager.default.createFile(atPath: "\(workspace)/findings/\(seed)-\(n).yaml", contents: Data(finding.input))
    print("finding: \(finding)")
}
print(
    "seed=\(seed) inputs=\(report.inputs) accepted=\(report.accepted) rejected=\(report.rejected) "
        + "findings=\(report.findings.count) hangs=\(report.hangs) "
        + String(format: "slowest_cpu_s=%.3f slowest_wall_s=%.3f ", report.slowestSeconds, report.slowestWallSeconds)
        + "largest_input=\(report.largestInput) peak_rss_mb=\(PipelineFuzzer.peakResidentBytes() >> 20)")
exit(report.findings.isEmpty ? 0 : 1)
