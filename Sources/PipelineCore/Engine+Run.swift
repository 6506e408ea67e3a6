import Foundation
import StageKit

extension Engine {
    /// Runs a pipeline: cached stages are reused, stale ones run (independent ones concurrently, up to
    /// ``jobs``). A failed stage leaves no artifact and its dependants are skipped. Cancelling the calling task
    /// stops running stages (they checkpoint) and returns a `cancelled` record.
    public func run(_ pipeline: ValidatedPipeline, observer: (any RunObserver)? = nil) async throws -> RunRecord {
        // Shared with other runs, exclusive with `cache gc`: nothing this run produces or reads is collected
        // under it.
        let cacheUse = try await store.useLock()
        defer { cacheUse.release() }
        store.removeAbandonedStaging()
        let recorder = try RunRecorder(engine: self, pipeline: pipeline, observer: observer)
        observer?.handle(.runStarted(recorder.snapshot))

        var digests: [String: String] = [:]  // stage → output digest of its artifact
        var keys: [String: String] = [:]
        var finished = Set<String>()
        var failed = Set<String>()
        await withTaskGroup(of: (String, RunRecord.Stage.Status, Artifact?).self) { group in
            var running = 0
            func schedule() {
                for stage in pipeline.stages.values where running < jobs {
                    guard recorder.status(of: stage.name) == .pending else { continue }
                    if Task.isCancelled {
                        recorder.finish(stage.name, status: .skipped, reason: "the run was cancelled")
                        finished.insert(stage.name)
                        continue
                    }
                    if let bad = stage.after.first(where: { failed.contains($0) }) {
                        recorder.finish(stage.name, status: .skipped, reason: "upstream stage '\(bad)' did not succeed")
                        failed.insert(stage.name)
                        finished.insert(stage.name)
                        continue
                    }
                    guard stage.after.allSatisfy({ digests[$0] != nil }) else { continue }
                    let upstream = digests.filter { stage.after.contains($0.key) }
                    recorder.mark(stage.name, status: .running)
                    running += 1
                    let upstreamDirectories = stage.after.reduce(into: [String: String]()) {
                        $0[$1] = store.directory(for: keys[$1]!) + "/files"
                    }
                    group.addTask {
                        await self.execute(
                            stage, of: pipeline, upstream: upstream, upstreamDirectories: upstreamDirectories,
                            recorder: recorder)
                    }
                }
            }
            schedule()
            while let (name, status, artifact) = await group.next() {
                running -= 1
                finished.insert(name)
                if let artifact, status == .succeeded || status == .cached {
                    digests[name] = artifact.manifest.outputDigest
                    keys[name] = artifact.key
                } else {
                    failed.insert(name)
                }
                schedule()
            }
        }
        // Anything never scheduled (cancellation before its turn) is skipped.
        for stage in pipeline.stages.values where recorder.status(of: stage.name) == .pending {
            recorder.finish(stage.name, status: .skipped, reason: "the run was cancelled")
        }
        digester.save()
        if !keys.isEmpty {
            var index = PipelineIndex.load(state: stateDirectory, pipeline: pipeline.name)
                ?? PipelineIndex(pipeline: pipeline.name, file: pipeline.spec.file, updated: isoNow(), stages: [:])
            index.file = pipeline.spec.file
            index.updated = isoNow()
            for (stage, key) in keys { index.stages[stage] = key }
            index.stages = index.stages.filter { pipeline.stages[$0.key] != nil }
            try? index.save(state: stateDirectory)
            try? PipelineExports.update(state: stateDirectory, index: index, store: store, modelBase: pipeline.modelBase)
        }
        let record = recorder.close(cancelled: Task.isCancelled)
        observer?.handle(.runFinished(record))
        return record
    }

    /// One stage: reuse its artifact, or take the key's lock and run the plugin.
    private func execute(
        _ stage: ValidatedPipeline.Stage, of pipeline: ValidatedPipeline, upstream: [String: String],
        upstreamDirectories: [String: String], recorder: RunRecorder
    ) async -> (String, RunRecord.Stage.Status, Artifact?) {
        let name = stage.name
        // Validation checked the paths when the file was read; a queued run may start much later, after a
        // file was swapped for a symlink out of the roots. The engine opens every input below its data root
        // now (no symbolic link followed), hashes those descriptors and hands the plugin the same open files.
        let opened: StageInputs
        do {
            opened = try await blockingIO { try StageInputs.open(stage, of: pipeline, method: self.openMethod) }
        } catch {
            recorder.finish(name, status: .failed, error: "\(error)")
            return (name, .failed, nil)
        }
        defer { opened.close() }
        let inputs: JSONValue
        do {
            // Hashing data (possibly gigabytes) is blocking I/O: keep it off Swift concurrency's few threads.
            inputs = try await blockingIO { try self.keyInputs(of: stage, in: pipeline, upstream: upstream, opened: opened) }
        } catch {
            recorder.finish(name, status: .failed, error: "cannot compute its cache key: \(error)")
            return (name, .failed, nil)
        }
        let key = Engine.key(of: inputs)
        if let hit = store.lookup(key) {
            store.touch(hit)
            recorder.cached(name, key: key, summary: hit.manifest.summary)
            return (name, .cached, hit)
        }
        let lock: KeyLock
        do {
            lock = try await store.lock(key)
        } catch {
            recorder.finish(name, status: .skipped, reason: "the run was cancelled")
            return (name, .skipped, nil)
        }
        defer { lock.release() }
        if let hit = store.lookup(key) {  // produced by another run while we waited for the lock
            store.touch(hit)
            recorder.cached(name, key: key, summary: hit.manifest.summary)
            return (name, .cached, hit)
        }

        let staging: String
        let scratch = store.scratchDirectory(for: key)
        do {
            staging = try store.beginStaging(key)
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        } catch {
            recorder.finish(name, status: .failed, error: "\(error)")
            return (name, .failed, nil)
        }
        // The executable must still be the one whose digest is in the key (a plugin replaced since discovery
        // would otherwise produce outputs filed under the old binary's key).
        let plugin = stage.plugin
        let current = try? await blockingIO { try FileDigester.sha256(ofFile: plugin.executable) }
        guard current == plugin.digest else {
            store.discard(staging: staging)
            recorder.finish(
                name, status: .failed,
                error: "plugin '\(plugin.description.name)' at \(plugin.executable) changed since it was discovered "
                    + "(reload the daemon, or run again)")
            return (name, .failed, nil)
        }
        // The plugin's view of its inputs: links to the descriptors opened above (outside files/, and removed
        // before the outputs are committed).
        let viewDirectory = staging + "/inputs"
        let view: (data: [String: DataInput], params: JSONValue, modelBase: String?, names: StageInputs.ViewNames)
        do {
            view = try opened.makeView(in: viewDirectory, stage: stage, of: pipeline)
        } catch {
            store.discard(staging: staging)
            recorder.finish(name, status: .failed, error: "\(error)")
            return (name, .failed, nil)
        }
        let resumed = !((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).isEmpty
        recorder.started(name, key: key, resumed: resumed)
        let request = RunRequest(
            pipeline: pipeline.name, stage: name, runID: recorder.runID, params: view.params,
            upstream: upstreamDirectories, data: view.data, modelBase: view.modelBase,
            outputDir: staging + "/files", scratchDir: scratch, seed: pipeline.spec.seed, threads: threadsPerStage)
        let began = Date()
        let outcome = await runner.run(
            plugin: stage.plugin, request: request, timeout: stage.spec.timeout,
            logFile: recorder.directory + "/\(name).log"
        ) { event in
            // The plugin names its inputs by their view paths; the user knows them by theirs.
            switch event {
            case .log(let level, let message): recorder.pluginEvent(name, .log(level, view.names.restore(message)))
            case .error(let message): recorder.pluginEvent(name, .error(message: view.names.restore(message)))
            default: recorder.pluginEvent(name, event)
            }
        }
        try? FileManager.default.removeItem(atPath: viewDirectory)
        switch outcome {
        case .succeeded(let summary):
            do {
                let manifest = ArtifactManifest(
                    format: ArtifactManifest.formatVersion, key: key, outputDigest: "", pipeline: pipeline.name,
                    stage: name, runID: recorder.runID,
                    producer: .init(
                        plugin: stage.plugin.description.name, version: stage.plugin.description.version,
                        digest: stage.plugin.digest),
                    keyInputs: inputs, files: [], created: isoNow(), seconds: Date().timeIntervalSince(began),
                    summary: summary)
                let store = self.store, digester = self.digester
                let artifact = try await blockingIO {
                    try store.commit(staging: staging, manifest: manifest, digester: digester)
                }
                try? FileManager.default.removeItem(atPath: scratch)
                recorder.finish(name, status: .succeeded, summary: summary)
                return (name, .succeeded, artifact)
            } catch {
                store.discard(staging: staging)
                recorder.finish(name, status: .failed, error: "cannot store its outputs: \(error)")
                return (name, .failed, nil)
            }
        case .failed(let message):
            store.discard(staging: staging)
            recorder.finish(name, status: .failed, error: view.names.restore(message))
            return (name, .failed, nil)
        case .stopped:
            store.discard(staging: staging)
            recorder.finish(name, status: .stopped, reason: "stopped on request; the next run resumes it")
            return (name, .stopped, nil)
        }
    }
}

/// Runs blocking file work (hashing, fsync) on a dispatch thread, so that it does not occupy one of the
/// cooperative threads the daemon's supervisor, control socket and watchdog also need.
func blockingIO<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
