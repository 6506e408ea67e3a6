import Foundation
import Report
import StageKit

/// What the report takes from a multitask-finetune artifact's `metrics.json` (keys of docs/multitask.md): the
/// validation score of each task at every evaluation (`evaluations[].scores`, named by `metrics`), the metric the
/// stage selected on per task (the report's headline), and the latest cosine of each pair of task gradients
/// (`conflicts`). Absent keys give nothing; a present key of the wrong shape is a located error.
struct MultitaskTrainingRecord {
    var validation: [String: Curve] = [:]
    var selectionMetric: [String: String] = [:]
    /// (first, second) → (step, cosine) of the latest measurement.
    var conflicts: [String: [String: (step: Int, cosine: Double)]] = [:]

    static func read(directory: String) throws -> MultitaskTrainingRecord {
        var record = MultitaskTrainingRecord()
        let path = directory + "/metrics.json"
        guard let data = try TrainingCurves.readBounded(path) else { return record }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw StageFailure("\(path): error: expected a JSON object")
        }
        if let metrics = root["metrics"] {
            guard let m = metrics as? [String: Any] else { throw StageFailure("\(path): metrics: expected an object") }
            for (task, name) in m { if let name = name as? String { record.selectionMetric[task] = name } }
        }
        if let evaluations = root["evaluations"] {
            guard let list = evaluations as? [Any] else {
                throw StageFailure("\(path): evaluations: expected an array")
            }
            var points: [String: [Curve.Point]] = [:]
            for (i, item) in list.prefix(TrainingCurves.maximumPoints).enumerated() {
                guard let e = item as? [String: Any], let step = (e["step"] as? NSNumber)?.intValue else {
                    throw StageFailure("\(path): evaluations[\(i)]: expected {\"step\": integer, \"scores\": {…}}")
                }
                for (task, value) in e["scores"] as? [String: Any] ?? [:] {
                    if let v = (value as? NSNumber)?.doubleValue, v.isFinite {
                        points[task, default: []].append(Curve.Point(step: step, value: v))
                    }
                }
            }
            for (task, p) in points {
                record.validation[task] = Curve(
                    split: "validation", metric: record.selectionMetric[task] ?? "score", points: p)
            }
        }
        if let conflicts = root["conflicts"] {
            guard let list = conflicts as? [Any] else { throw StageFailure("\(path): conflicts: expected an array") }
            for (i, item) in list.prefix(TrainingCurves.maximumPoints).enumerated() {
                guard let c = item as? [String: Any], let a = c["first"] as? String, let b = c["second"] as? String,
                    let cosine = (c["cosine"] as? NSNumber)?.doubleValue, cosine.isFinite
                else {
                    throw StageFailure(
                        "\(path): conflicts[\(i)]: expected {\"first\": task, \"second\": task, \"cosine\": number, \"step\": integer}"
                    )
                }
                let step = (c["step"] as? NSNumber)?.intValue ?? i
                let value = (step, min(1, max(-1, cosine)))
                if (record.conflicts[a]?[b]?.step ?? Int.min) <= step {
                    record.conflicts[a, default: [:]][b] = value
                    record.conflicts[b, default: [:]][a] = value
                }
            }
        }
        return record
    }

    /// The task × task matrix of the latest cosines over `tasks` (1 on the diagonal), when every pair was measured.
    func conflictMatrix(tasks: [String]) -> LabeledMatrix? {
        guard tasks.count >= 2, !conflicts.isEmpty else { return nil }
        var values: [[Double]] = []
        for a in tasks {
            var row: [Double] = []
            for b in tasks {
                if a == b {
                    row.append(1)
                } else if let c = conflicts[a]?[b] {
                    row.append(c.cosine)
                } else {
                    return nil
                }
            }
            values.append(row)
        }
        return LabeledMatrix(rows: tasks, columns: tasks, values: values)
    }
}
