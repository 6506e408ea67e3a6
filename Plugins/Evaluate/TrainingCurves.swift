import Foundation
import Models
import Report
import StageKit

/// The training curves of a training stage's artifact, for the report: the per-step training loss of
/// `curve.jsonl` and the held-out perplexity of every evaluation in `metrics.json` (docs/domain-pretrain.md).
enum TrainingCurves {
    /// Largest curve file read, and most points kept per curve (the report's limit).
    static let maximumFileSize = 256 << 20
    static let maximumPoints = 1_000_000

    /// The curves found in `directory` (none when it has neither file, as for the base model). With `task`, the
    /// loss curve keeps only that task's steps (a multitask `curve.jsonl` names each step's task; the learning
    /// rate is the stage's, every step).
    static func read(directory: String, task: String? = nil) throws -> [Curve] {
        var curves: [Curve] = []
        let curvePath = directory + "/curve.jsonl"
        if let data = try readBounded(curvePath) {
            let decoder = JSONDecoder()
            var loss: [Curve.Point] = []
            var lr: [Curve.Point] = []
            for (number, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
            where !line.isEmpty {
                guard number < maximumPoints else {
                    throw StageFailure("\(curvePath):\(number + 1): more than \(maximumPoints) lines")
                }
                guard let p = try? decoder.decode(CurveLine.self, from: Data(line)), p.loss.isFinite else {
                    throw StageFailure(
                        "\(curvePath):\(number + 1): error: expected {\"step\": integer, \"loss\": number, …}")
                }
                if task == nil || p.task == nil || p.task == task {
                    loss.append(Curve.Point(step: p.step, value: p.loss))
                }
                if let rate = p.lr, rate.isFinite { lr.append(Curve.Point(step: p.step, value: rate)) }
            }
            if !loss.isEmpty { curves.append(Curve(split: "train", metric: "loss", points: loss)) }
            if !lr.isEmpty { curves.append(Curve(split: "train", metric: "learning_rate", points: lr)) }
        }
        let metricsPath = directory + "/metrics.json"
        if let data = try readBounded(metricsPath) {
            guard let metrics = try? JSONDecoder().decode(MetricsFile.self, from: data) else {
                throw StageFailure(
                    "\(metricsPath): error: expected an object whose evaluations are {\"step\": integer, \"perplexity\": number}"
                )
            }
            let points = (metrics.evaluations ?? []).prefix(maximumPoints).compactMap { e in
                e.perplexity.flatMap { $0.isFinite ? Curve.Point(step: e.step, value: $0) : nil }
            }
            if !points.isEmpty { curves.append(Curve(split: "validation", metric: "perplexity", points: points)) }
        }
        return curves
    }

    static func readBounded(_ path: String) throws -> Data? {
        do { return try ModelFile.read(path, maxBytes: maximumFileSize) } catch let e as ModelError {
            throw StageFailure("\(path): error: \(e.message)")
        }
    }

    /// One line of `curve.jsonl`.
    struct CurveLine: Decodable {
        var step: Int
        var loss: Double
        var lr: Double?
        var task: String?
    }

    /// What the report reads of `metrics.json`.
    struct MetricsFile: Decodable {
        struct Evaluation: Decodable {
            var step: Int
            var perplexity: Double?
        }
        var evaluations: [Evaluation]?
    }
}
