import Datasets
import Foundation
import Metrics
import Report
import StageKit
import Training

extension MultitaskEvaluation {
    /// What the task part adds to the report and the result.
    struct Outcome {
        var tasks: [TaskReport] = []
        var gateWeights: LabeledMatrix?
        var gradientConflict: LabeledMatrix?
        var notes: [String] = []
        var summary: [String: StageKit.JSONValue] = [:]
    }

    /// Scores every task on every split with the evaluated model and the baselines, writes
    /// `predictions/<task>.jsonl` into `request.outputDir`, and returns the report parts.
    func run(options: EvaluateOptions, request: RunRequest, context: StageContext, bootstrap: Bootstrap) throws
        -> Outcome
    {
        let (jobs, jobNotes) = try self.jobs(options: options, request: request)
        var outcome = Outcome(notes: jobNotes)
        let record = try MultitaskTrainingRecord.read(directory: evaluated.directory)
        let passes = jobs.reduce(0) { $0 + 1 + $1.baselines.count }
        var done = 0
        context.progress(0, of: passes, unit: "pass")
        var files: [String: Data] = [:]
        var gates: [(task: String, weights: [Double])] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let stop = { context.stopRequested }

        for job in jobs {
            let spec = job.spec
            let pad = try job.artifact.padID(
                vocabularies: ([evaluated] + baselines).map(\.model.trunk.vocabularySize))
            func predict(_ c: MultitaskCandidate, _ task: Int) throws -> (
                predictions: [TaskPrediction], classes: [Int32], values: [Float], gateSum: [Double]?
            ) {
                let began = Date()
                let out = try Self.predict(
                    c.model, task: task, shard: job.shard, padID: pad, batchSize: options.batchSize, shouldStop: stop)
                done += 1
                context.progress(done, of: passes, unit: "pass", message: "\(spec.name) \(job.split): \(c.name)")
                context.log(
                    String(
                        format: "%@ on %@/%@: %d rows (%.1f s)", c.name, spec.name, job.split, job.shard.count,
                        Date().timeIntervalSince(began)))
                return out
            }
            let mine = try predict(evaluated, job.task)
            let others = try job.baselines.map {
                (baselines[$0.candidate].name, try predict(baselines[$0.candidate], $0.task))
            }

            // Scored rows: every row of a regression, the rows with a gold class of a classifier.
            let n = job.shard.count
            let scored = spec.kind == .regression ? Array(0..<n) : (0..<n).filter { mine.classes[$0] >= 0 }
            let labels =
                spec.labelNames.flatMap { $0.count == spec.labels ? $0 : nil } ?? (0..<spec.labels).map(String.init)
            let scores = TaskScores(
                kind: spec.kind, classCount: spec.labels, labels: labels,
                gold: spec.kind == .regression ? [] : scored.map { Int(mine.classes[$0]) },
                targets: spec.kind == .regression ? scored.map { Double(mine.values[$0]) } : [])
            guard scores.rowCount > 0 else {
                throw StageFailure(
                    "\(job.shard.path): error: no row with a label in split '\(job.split)' of task '\(spec.name)'")
            }
            let name = options.splits.count > 1 ? "\(spec.name)/\(job.split)" : spec.name
            var curves = try TrainingCurves.read(directory: evaluated.directory, task: spec.name)
                .filter { $0.split == "train" }
            if let v = record.validation[spec.name] { curves.append(v) }
            let (task, notes) = try scores.report(
                name: name, split: job.split, headline: record.selectionMetric[spec.name],
                predictions: scored.map { mine.predictions[$0] },
                baselines: others.map { other in (other.0, scored.map { other.1.predictions[$0] }) },
                bootstrap: bootstrap,
                curves: curves)
            outcome.tasks.append(task)
            outcome.notes += notes
            if job.split == options.splits[0], let g = mine.gateSum {
                gates.append((spec.name, g.map { $0 / Double(max(1, n)) }))
            }

            // predictions/<task>.jsonl: every row of the split, in shard order.
            let ids = try Self.rowIDs(shard: job.shard)
            var data = files[spec.name] ?? Data()
            for r in 0..<n {
                let p = mine.predictions[r]
                var line: [String: StageKit.JSONValue] = ["id": .string(ids[r]), "split": .string(job.split)]
                if spec.kind == .regression {
                    line["gold"] = .double(Double(mine.values[r]))
                    line["predicted"] = .double(p.value)
                } else {
                    let gold = Int(mine.classes[r])
                    line["gold"] = gold >= 0 && gold < labels.count ? .string(labels[gold]) : .null
                    line["predicted"] = .string(labels[p.predicted])
                    line["probabilities"] = .object(
                        Dictionary(uniqueKeysWithValues: zip(labels, p.probabilities.map { .double($0) })))
                }
                data += try encoder.encode(StageKit.JSONValue.object(line)) + Data("\n".utf8)
            }
            files[spec.name] = data

            if let h = task.headlineResult {
                context.metric(h.name, h.value, task: name)
                var entry: [String: StageKit.JSONValue] = [
                    "split": .string(job.split), "rows": .int(task.rows), "headline": .string(h.name),
                    "value": .double(h.value),
                ]
                if let i = h.interval {
                    entry["lower"] = .double(i.lower)
                    entry["upper"] = .double(i.upper)
                }
                var deltas: [String: StageKit.JSONValue] = [:]
                for b in task.baselines where b.metric == h.name {
                    deltas[b.baseline] = .object([
                        "delta": .double(b.delta), "p_value": b.pValue.map { .double($0) } ?? .null,
                    ])
                }
                if !deltas.isEmpty { entry["baselines"] = .object(deltas) }
                outcome.summary[name] = .object(entry)
            }
        }

        let dir = request.outputDir + "/predictions"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (task, data) in files { try data.write(to: URL(fileURLWithPath: "\(dir)/\(task).jsonl")) }
        outcome.gateWeights = gateMatrix(gates)
        outcome.gradientConflict = record.conflictMatrix(tasks: evaluated.model.tasks.map(\.name))
        return outcome
    }

    /// Mean gate weight per task (rows) and expert (columns: the task's own experts, then the shared ones, the
    /// order of the CGC gate), on the first split's rows.
    func gateMatrix(_ gates: [(task: String, weights: [Double])]) -> LabeledMatrix? {
        guard let e = gates.first?.weights.count, e > 0, gates.allSatisfy({ $0.weights.count == e }) else { return nil }
        let own = evaluated.model.experts?.configuration.taskExperts ?? 0
        let shared = evaluated.model.experts?.configuration.sharedExperts ?? 0
        let columns =
            own + shared == e
            ? (0..<own).map { "task-specific \($0 + 1)" } + (0..<shared).map { "shared \($0 + 1)" }
            : (0..<e).map { "expert \($0 + 1)" }
        return LabeledMatrix(rows: gates.map(\.task), columns: columns, values: gates.map(\.weights))
    }
}
