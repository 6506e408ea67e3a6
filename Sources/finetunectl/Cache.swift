import ArgumentParser
import Foundation
import PipelineCore

struct Cache: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, verify and garbage-collect cached artifacts.",
        subcommands: [List.self, Verify.self, GC.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cached artifacts.")
        @OptionGroup var options: EngineOptions
        @Flag(help: "Print as JSON.") var json = false

        struct Row: Encodable {
            var key: String, pipeline: String, stage: String, plugin: String, bytes: Int64, files: Int
            var created: String, referenced: Bool
        }

        func run() async throws {
            let engine = try options.engine()
            let referenced = engine.referencedKeys()
            let rows = engine.store.all().map {
                Row(
                    key: $0.key, pipeline: $0.manifest.pipeline, stage: $0.manifest.stage,
                    plugin: "\($0.manifest.producer.plugin) \($0.manifest.producer.version)",
                    bytes: engine.store.size(of: $0), files: $0.manifest.files.count, created: $0.manifest.created,
                    referenced: referenced.contains($0.key))
            }
            if json { return try printJSON(rows) }
            for r in rows.sorted(by: { ($0.pipeline, $0.stage, $0.created) < ($1.pipeline, $1.stage, $1.created) }) {
                print(
                    "\(r.key.prefix(12))  \(r.pipeline)/\(r.stage)  \(r.plugin)  \(r.files) files  \(formatBytes(r.bytes))  \(r.created)\(r.referenced ? "" : "  (unreferenced)")")
            }
            print("\(rows.count) artifacts, \(formatBytes(rows.reduce(0) { $0 + $1.bytes }))")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every artifact and report those whose files no longer match their manifest.")
        @OptionGroup var options: EngineOptions
        @Flag(help: "Remove corrupt artifacts (the next run rebuilds them).") var delete = false

        func run() async throws {
            let engine = try options.engine()
            // Deleting needs what gc needs: no run may be using the cache.
            let exclusive = delete ? try engine.store.exclusiveLock() : nil
            if delete && exclusive == nil {
                throw failure("a pipeline run is using the cache; try --delete again when it has finished", code: Exit.stageFailed)
            }
            defer { exclusive?.release() }
            var corrupt = 0
            let all = engine.store.all()
            for artifact in all {
                let problems = engine.store.verify(artifact)
                guard !problems.isEmpty else { continue }
                corrupt += 1
                print("corrupt \(artifact.key.prefix(12)) (\(artifact.manifest.pipeline)/\(artifact.manifest.stage)):")
                for p in problems { print("  \(p)") }
                if delete {
                    try engine.store.remove(artifact)
                    print("  removed")
                }
            }
            print("\(all.count) artifacts checked, \(corrupt) corrupt")
            if corrupt > 0 && !delete { throw Exit.stageFailed }
        }
    }

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove artifacts no current pipeline references, least recently used first.",
            discussion: """
                An artifact is referenced when it is the latest output of a stage of a pipeline whose file still \
                exists. Unreferenced artifacts are kept, most recently used first, up to --keep-size.
                """)
        @OptionGroup var options: EngineOptions
        @Flag(help: "Only print what would be removed.") var dryRun = false
        @Option(help: "Bytes of unreferenced artifacts to keep (e.g. 0, 500M, 2G).") var keepSize = "0"

        func run() async throws {
            guard let budget = parseBytes(keepSize) else {
                throw ValidationError("--keep-size: expected a size such as 0, 500M or 2G, got '\(keepSize)'")
            }
            let engine = try options.engine()
            let plan: Engine.GarbagePlan
            do {
                plan = try engine.collectGarbage(keepingUnreferencedBytes: budget, dryRun: dryRun)
            } catch {
                throw failure("\(error)", code: Exit.stageFailed)
            }
            for a in plan.removed {
                print("\(dryRun ? "would remove" : "removed") \(a.key.prefix(12)) \(a.manifest.pipeline)/\(a.manifest.stage) \(formatBytes(engine.store.size(of: a)))")
            }
            print("\(dryRun ? "would free" : "freed") \(formatBytes(plan.freedBytes)); kept \(plan.kept) artifacts")
        }
    }
}

struct Plugins: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the stage plugins found and their parameters.")
    @OptionGroup var options: EngineOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() async throws {
        let engine = try options.engine()
        let registry = await options.registry(engine)
        if json { return try printJSON(registry.names.map { registry[$0]! }) }
        for name in registry.names {
            let p = registry[name]!
            print("\(name) \(p.description.version)  \(p.executable)")
            print("  \(p.description.summary)")
            if !p.description.consumes.isEmpty { print("  reads:  \(p.description.consumes)") }
            if !p.description.produces.isEmpty { print("  writes: \(p.description.produces)") }
            for param in p.description.params.params {
                let def = param.defaultValue.map { " = \($0.canonicalJSON)" } ?? (param.required ? " (required)" : "")
                print("    \(param.name): \(param.type.summary)\(def)\(param.summary.isEmpty ? "" : "  — \(param.summary)")")
            }
        }
        for (path, reason) in registry.broken { printError("warning: \(path): not usable: \(reason)") }
        if registry.names.isEmpty { printError("no plugins found in: \((options.pluginDirs + PluginRegistry.defaultDirectories()).joined(separator: ", "))") }
    }
}

func formatBytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
}

func parseBytes(_ text: String) -> Int64? {
    let multipliers: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    if let last = text.uppercased().last, let m = multipliers[last], let n = Double(text.dropLast()) {
        let bytes = n * Double(m)
        // Int64(_:) traps outside its range: a size of "1e300G" is refused, not a crash.
        return bytes.isFinite && bytes >= 0 && bytes < 9e18 ? Int64(bytes) : nil
    }
    return Int64(text)
}
