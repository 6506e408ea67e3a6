import Foundation

extension Engine {
    /// Keys of the latest artifacts of every stage of every pipeline whose file still exists.
    public func referencedKeys() -> Set<String> {
        var keys = Set<String>()
        for index in PipelineIndex.all(state: stateDirectory) where FileManager.default.fileExists(atPath: index.file) {
            keys.formUnion(index.stages.values)
        }
        return keys
    }

    public struct GarbagePlan: Sendable {
        public var removed: [Artifact]
        public var freedBytes: Int64
        public var kept: Int
    }

    /// Removes unreferenced artifacts beyond `budget` bytes, least recently used first. Referenced artifacts
    /// are never removed, whatever the budget. Refuses (throws) while any run in any process uses the cache:
    /// a running pipeline's fresh upstream artifacts are not referenced by an index yet.
    public func collectGarbage(keepingUnreferencedBytes budget: Int64, dryRun: Bool) throws -> GarbagePlan {
        var exclusive: KeyLock?
        if !dryRun {
            exclusive = try store.exclusiveLock()
            if exclusive == nil {
                throw EngineError(
                    "a pipeline run is using the cache; gc removes nothing while one runs",
                    hint: "try again when it has finished (--dry-run works meanwhile)")
            }
        }
        defer { exclusive?.release() }
        let referenced = referencedKeys()
        let unreferenced = store.all().filter { !referenced.contains($0.key) }
            .sorted { store.lastUsed($0) > store.lastUsed($1) }
        var kept = store.all().count - unreferenced.count
        var used: Int64 = 0
        var removed: [Artifact] = []
        var freed: Int64 = 0
        for artifact in unreferenced {
            let size = store.size(of: artifact)
            if used + size <= budget {
                used += size
                kept += 1
                continue
            }
            if !dryRun {
                do { try store.remove(artifact) } catch {
                    kept += 1
                    continue
                }
            }
            removed.append(artifact)
            freed += size
        }
        if !dryRun {
            for index in PipelineIndex.all(state: stateDirectory) where !FileManager.default.fileExists(atPath: index.file) {
                try? FileManager.default.removeItem(atPath: PipelineIndex.path(state: stateDirectory, pipeline: index.pipeline))
            }
        }
        return GarbagePlan(removed: removed, freedBytes: freed, kept: kept)
    }
}
