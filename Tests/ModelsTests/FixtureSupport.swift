import Foundation
import Tensor
import Testing

@testable import Models

/// Opens a fixture shipped with this test target.
func fixturePath(_ name: String, _ ext: String) throws -> String {
    try #require(
        Bundle.module.path(forResource: name, ofType: ext, inDirectory: "Fixtures"),
        "fixture \(name).\(ext) missing; run scripts/golden/tensor/generate.sh")
}

/// The hidden states `model` gives for the `input_ids`/`attention_mask` an export fixture recorded (PEFT,
/// AdapterHub), in inference mode.
func hidden(_ model: BertModel, _ expected: SafeTensorsFile) throws -> Tensor {
    let ids = try expected.integers("input_ids")
    let mask = try expected.integers("attention_mask")
    let input = EncoderInput(batch: ids.shape[0], time: ids.shape[1], inputIds: ids.values, attentionMask: mask.values)
    return GradMode.withoutGrad { model(input, context: .inference) }
}

/// The largest element-wise |a − b| (infinity when either is empty).
func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
}

/// The largest element-wise violation of `|a - b| <= rtol·|b| + atol·max|b|` (≤ 0 when all elements pass), with the
/// index of the worst element.
func closeness(_ a: Tensor, _ b: Tensor, rtol: Float, atol: Float) -> (excess: Float, index: Int, a: Float, b: Float) {
    precondition(a.count == b.count, "sizes differ: \(a.shape) vs \(b.shape)")
    let scale = b.scalars.reduce(0) { max($0, abs($1)) }
    var worst: (Float, Int, Float, Float) = (-.infinity, 0, 0, 0)
    for i in 0..<a.count {
        let (x, y) = (a.pointer[i], b.pointer[i])
        let excess = abs(x - y) - (rtol * abs(y) + atol * scale)
        if excess > worst.0 || excess.isNaN { worst = (excess.isNaN ? .infinity : excess, i, x, y) }
    }
    return worst
}

/// Where the MiniLM model lives: `$FINETUNED_ASSETS/all-MiniLM-L6-v2`, default `<package root>/assets/...`.
/// Returns nil (after printing why) when it is absent, unless `FINETUNED_REQUIRE_ASSETS=1`, which makes the test fail.
func miniLMDirectory() -> URL? {
    let env = ProcessInfo.processInfo.environment
    let root =
        env["FINETUNED_ASSETS"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("assets")
    let dir = root.appendingPathComponent("all-MiniLM-L6-v2")
    if FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.safetensors").path) { return dir }
    let message = "all-MiniLM-L6-v2 not found in \(dir.path); run scripts/fetch-assets or set FINETUNED_ASSETS"
    if env["FINETUNED_REQUIRE_ASSETS"] == "1" {
        Issue.record(Comment(rawValue: message + " (FINETUNED_REQUIRE_ASSETS=1)"))
    } else {
        print("⚠️⚠️⚠️ SKIPPING MiniLM test: \(message) ⚠️⚠️⚠️")
    }
    return nil
}
