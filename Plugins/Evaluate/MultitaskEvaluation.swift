import Datasets
import Foundation
import Metrics
import Report
import StageKit
import Training

/// One multitask artifact the stage scores: the evaluated one or a baseline.
struct MultitaskCandidate {
    /// Its name in the report: the stage that produced it, or `base`.
    let name: String
    let directory: String
    let model: MultitaskModel
}

/// The task part of the evaluate stage (docs/evaluate.md, "Task metrics"): every sequence-level task of a
/// multitask artifact on the named splits of its tokenize input — metrics with bootstrap intervals, per-row
/// predictions, and paired comparisons with baseline artifacts on the same rows.
struct MultitaskEvaluation {
    let evaluated: MultitaskCandidate
    let baselines: [MultitaskCandidate]

    static func hasArtifact(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + MultitaskArtifact.configName)
    }

    /// The models the options name, loaded; nil when there is no multitask artifact to evaluate.
    static func load(options: EvaluateOptions, request: RunRequest) throws -> MultitaskEvaluation? {
        let upstream = request.upstream
        let withArtifact = upstream.keys.sorted().filter { hasArtifact(upstream[$0] ?? "") }
        let list = withArtifact.isEmpty ? "none" : withArtifact.joined(separator: ", ")
        func resolve(_ name: String, parameter: String) throws -> String {
            if name == "base" {
                guard let base = request.modelBase else {
                    throw StageFailure("\(parameter): base, but the pipeline has no model.base")
                }
                guard hasArtifact(base) else {
                    throw StageFailure(
                        "\(parameter): model.base (\(base)) has no \(MultitaskArtifact.configName): not a multitask artifact"
                    )
                }
                return base
            }
            guard let dir = upstream[name] else {
                throw StageFailure(
                    "\(parameter): '\(name)' is not an upstream stage of this stage (hint: add it to 'after:'; "
                        + "upstream stages with a multitask artifact: \(list))")
            }
            guard hasArtifact(dir) else {
                throw StageFailure(
                    "\(parameter): stage '\(name)' has no multitask artifact (\(MultitaskArtifact.configName)) in \(dir)"
                )
            }
            return dir
        }
        var name = options.multitask
        if name.isEmpty {
            let candidates = withArtifact.filter { !options.baselines.contains($0) }
            guard let first = candidates.first else {
                if !options.baselines.isEmpty {
                    throw StageFailure(
                        "baselines: there is no evaluated multitask artifact (hint: name it with 'multitask:')")
                }
                return nil
            }
            guard candidates.count == 1 else {
                throw StageFailure(
                    "multitask: several upstream stages have a multitask artifact (\(candidates.joined(separator: ", "))); "
                        + "name the one to evaluate, and the others as baselines")
            }
            name = first
        }
        func load(_ name: String, _ parameter: String) throws -> MultitaskCandidate {
            let dir = try resolve(name, parameter: parameter)
            return MultitaskCandidate(
                name: name, directory: dir, model: try MultitaskArtifact.loadModel(directory: dir))
        }
        return MultitaskEvaluation(
            evaluated: try load(name, "multitask"), baselines: try options.baselines.map { try load($0, "baselines") })
    }

    /// One task on one split, opened and checked.
    struct Job {
        let task: Int
        let spec: TaskSpec
        let artifact: CorpusArtifact
        let split: String
        let shard: TokenShardReader
        /// The baselines that have the task (same name, kind and classes): candidate index and their task index.
        let baselines: [(candidate: Int, task: Int)]
    }

    /// Opens and checks every task's shards against every model before any kernel runs; `notes` says which
    /// tasks or baselines are left out and why.
    func jobs(options: EvaluateOptions, request: RunRequest) throws -> (jobs: [Job], notes: [String]) {
        var jobs: [Job] = []
        var notes: [String] = []
        let model = evaluated.model
        for (t, spec) in model.tasks.enumerated() {
            guard spec.kind.isSequenceLevel else {
                notes.append("\(spec.name): token classification is not evaluated (token shards hold no token labels)")
                continue
            }
            guard Self.isFileName(spec.name) else {
                throw StageFailure(
                    "\(evaluated.directory)/\(MultitaskArtifact.configName): task name '\(spec.name)' cannot name a "
                        + "predictions file (letters, digits, '_', '-', '.')")
            }
            if let names = spec.labelNames, Set(names).count != names.count {
                throw StageFailure(
                    "\(evaluated.directory)/\(MultitaskArtifact.configName): task '\(spec.name)' repeats a label name")
            }
            let input = options.taskInputs[spec.name] ?? spec.name
            let artifact = try CorpusArtifact.load(
                input: input, upstream: request.upstream, parameter: "tasks.\(spec.name)", requireTrain: false)
            var matching: [(candidate: Int, task: Int)] = []
            for (b, baseline) in baselines.enumerated() {
                if let bt = baseline.model.tasks.firstIndex(where: { $0.name == spec.name }),
                    baseline.model.tasks[bt].kind == spec.kind,
                    spec.kind == .regression || baseline.model.tasks[bt].labels == spec.labels
                {
                    matching.append((b, bt))
                } else {
                    notes.append(
                        "\(spec.name): baseline '\(baseline.name)' has no task '\(spec.name)' of the same kind and classes"
                    )
                }
            }
            for candidate in [evaluated] + matching.map({ baselines[$0.candidate] }) {
                try EvaluationModels.checkTokenizer(directory: candidate.directory, corpus: artifact)
            }
            for split in options.splits {
                guard let shard = artifact.splits[split] else {
                    throw StageFailure(
                        "splits: input '\(input)' (task '\(spec.name)') has no '\(split)' split (splits: "
                            + "\(artifact.splits.keys.sorted().joined(separator: ", ")))")
                }
                try TaskBatcher(task: t, spec: spec, padID: 0).check(shard)
                for candidate in [evaluated] + matching.map({ baselines[$0.candidate] }) {
                    let trunk = candidate.model.trunk
                    try InputValidation(
                        vocabularySize: trunk.vocabularySize, maxPositions: trunk.maxPositions,
                        classes: spec.kind == .regression ? nil : spec.labels
                    ).check(shard)
                }
                jobs.append(
                    Job(task: t, spec: spec, artifact: artifact, split: split, shard: shard, baselines: matching))
            }
        }
        return (jobs, notes)
    }

    /// Predictions of `model`'s task `task` on every row of `shard` (gold from the shard), and the task's gate
    /// weights summed over the rows (models with experts).
    static func predict(
        _ model: MultitaskModel, task: Int, shard: TokenShardReader, padID: Int32, batchSize: Int,
        shouldStop: () -> Bool
    ) throws -> (predictions: [TaskPrediction], classes: [Int32], values: [Float], gateSum: [Double]?) {
        let batcher = TaskBatcher(task: task, spec: model.tasks[task], padID: padID)
        var predictions: [TaskPrediction] = []
        var classes: [Int32] = []
        var values: [Float] = []
        var gateSum: [Double]?
        var start = 0
        while start < shard.count {
            if shouldStop() { throw TrainingStopped() }
            let rows = Array(start..<min(shard.count, start + batchSize))
            start += rows.count
            let batch = try batcher.batch(shard, rows: rows)
            let (out, gates) = try MultitaskInference.predict(model, input: batch.input, tasks: [task])
            predictions += out.map { $0[0] }
            classes += batch.classes
            values += batch.values
            if let g = gates[0] {
                var sum = gateSum ?? [Double](repeating: 0, count: g.first?.count ?? 0)
                for row in g { for (j, w) in row.enumerated() where j < sum.count { sum[j] += w } }
                gateSum = sum
            }
        }
        return (predictions, classes, values, gateSum)
    }

    /// A name usable as a file name as it is.
    static func isFileName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 200 && s != "." && s != ".."
            && s.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)
            }
    }

    /// The rows' ids (`tokens/<input>/<split>.ids.json` beside the shard), else their indices.
    static func rowIDs(shard: TokenShardReader) throws -> [String] {
        let path =
            shard.path.hasSuffix(".bin") ? String(shard.path.dropLast(4)) + ".ids.json" : shard.path + ".ids.json"
        guard let data = try TrainingCurves.readBounded(path) else { return (0..<shard.count).map(String.init) }
        guard let items = (try? JSONSerialization.jsonObject(with: data)) as? [Any], items.count == shard.count else {
            throw StageFailure("\(path): error: expected a JSON array of \(shard.count) ids (one per row of the shard)")
        }
        return items.map { item in
            if let s = item as? String { return s }
            if let n = item as? NSNumber { return n.stringValue }
            return "\(item)"
        }
    }
}
