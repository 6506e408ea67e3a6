import Foundation
import PipelineCore
import StageKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Data-root confinement holds at run time, not only when the file was validated, and without a window
/// between the engine's check and the plugin's read (issue 8, item 7): the engine opens every input below its
/// data root and the plugin reads those open files.
@Suite struct EngineConfinementTests {
    /// Runs stages with `inner`, after doing `beforeSpawn` — i.e. after the engine checked, opened and hashed
    /// the stage's inputs, just before the plugin starts: the last moment a swap could slip in.
    struct SwapBeforeSpawn: StageRunner {
        let inner: any StageRunner
        let beforeSpawn: @Sendable (RunRequest) throws -> Void

        func describe(executable: String) async throws -> PluginDescription {
            try await inner.describe(executable: executable)
        }

        func run(
            plugin: PluginInfo, request: RunRequest, timeout: Double?, logFile: String,
            onEvent: @escaping @Sendable (StageEvent) -> Void
        ) async -> StageOutcome {
            do { try beforeSpawn(request) } catch { return .failed("the test's swap failed: \(error)") }
            return await inner.run(
                plugin: plugin, request: request, timeout: timeout, logFile: logFile, onEvent: onEvent)
        }
    }

    /// Replaces `path` with a symbolic link to `target`.
    static func swap(_ path: String, forLinkTo target: String) throws {
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    static func words(in artifact: Artifact?) throws -> String {
        try String(contentsOfFile: try #require(artifact).filesDirectory + "/counts.tsv", encoding: .utf8)
    }

    @Test func aDataFileSwappedForASymlinkOutOfTheRootsFailsTheStage() async throws {
        let ws = try Workspace()
        try ws.write("inside/a.txt", "inside words\n")
        try ws.write("outside/secret.txt", "secret words\n")
        try ws.write(
            "p.yaml",
            "version: 1\nname: swap\ndata:\n  d: inside/a.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        let engine = try ws.engine()
        let registry = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        let pipeline = try PipelineValidator(
            registry: registry, resolver: DataResolver(allowedRoots: [ws.root + "/inside"])
        )
        .validate(file: ws.root + "/p.yaml")
        // After validation, before the (queued) run: the file becomes a link to a file outside the roots.
        try Self.swap(ws.root + "/inside/a.txt", forLinkTo: ws.root + "/outside/secret.txt")
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["count": .failed])
        #expect(record.stages.first?.error?.contains("is no longer a regular file inside the data roots") == true)
    }

    /// The race the run-time check alone left open: the file is swapped after the engine checked it and before
    /// the plugin opens it. The real wordcount plugin still counts the checked file's words, never the
    /// outside file's — for both ways of opening (openat2, and the component walk kernels without it get).
    @Test(arguments: [BeneathOpen.Method.automatic, .componentWalk])
    func aFileSwappedAfterTheCheckIsStillTheCheckedFileForThePlugin(method: BeneathOpen.Method) async throws {
        let ws = try Workspace()
        try ws.write("inside/a.txt", "inside words\n")
        try ws.write("outside/secret.txt", "secret secret secret\n")
        try ws.write(
            "p.yaml",
            "version: 1\nname: race\ndata:\n  d: inside/a.txt\nstages:\n  count: {plugin: wordcount, inputs: [d]}\n")
        let checked = DataResolverTestsPaths.real(ws.root + "/inside/a.txt")  // what the engine used to hand over
        let root = ws.root
        let runner = SwapBeforeSpawn(inner: SubprocessStageRunner(gracePeriod: .seconds(2))) { request in
            #expect(request.data["d"]?.files.allSatisfy { !$0.hasPrefix(root + "/inside") } == true)
            try Self.swap(root + "/inside/a.txt", forLinkTo: root + "/outside/secret.txt")
        }
        let engine = try Engine(stateDirectory: ws.state, runner: runner, openMethod: method)
        let registry = await engine.discoverPlugins(directories: [Workspace.buildDirectory])
        let pipeline = try PipelineValidator(
            registry: registry, resolver: DataResolver(allowedRoots: [ws.root + "/inside"])
        )
        .validate(file: ws.root + "/p.yaml")
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["count": .succeeded])
        let key = try #require(record.stages.first?.key)
        let counts = try Self.words(in: engine.store.lookup(key))
        #expect(counts.contains("inside\t1"))
        #expect(!counts.contains("secret"))
        // Control: a plugin handed the checked path (as before this change) reads the outside file now.
        #expect(try String(contentsOfFile: checked, encoding: .utf8) == "secret secret secret\n")
    }

    /// The same for `path` parameters (a file and a folder) and the model folder, with an in-process runner
    /// that swaps every input for a link out of the roots and then reads what it was handed.
    @Test(arguments: [BeneathOpen.Method.automatic, .componentWalk])
    func pathParametersAndModelFilesAreTheCheckedFilesToo(method: BeneathOpen.Method) async throws {
        let ws = try Workspace()
        try ws.write("data/vocab.txt", "vocab\n")
        try ws.write("data/folder/one.txt", "one\n")
        try ws.write("data/folder/sub/two.txt", "two\n")
        try ws.write("data/model/config.json", "{\"model\": true}\n")
        try ws.write("data/corpus.txt", "corpus\n")
        try ws.write("outside/secret.txt", "secret\n")
        try ws.write(
            "p.yaml",
            "version: 1\nname: all\nmodel: {base: data/model}\ndata:\n  d: data/corpus.txt\n"
                + "stages:\n  s: {plugin: reader, inputs: [d], with: {vocab: data/vocab.txt, folder: data/folder}}\n")
        let root = ws.root
        let secret = root + "/outside/secret.txt"
        let seen = Seen()
        let reader = ReadingRunner(seen: seen) {
            for file in [
                "data/vocab.txt", "data/folder/one.txt", "data/folder/sub/two.txt", "data/model/config.json",
                "data/corpus.txt",
            ] {
                try Self.swap(root + "/" + file, forLinkTo: secret)
            }
        }
        let plugin = PluginInfo(
            description: PluginDescription(
                name: "reader", version: "1", summary: "",
                params: ParamSchema([
                    ParamSpec("vocab", .path, required: true), ParamSpec("folder", .path, required: true),
                ]),
                modelFiles: ["*.json"]),
            executable: "/bin/true", digest: try FileDigester.sha256(ofFile: "/bin/true"))
        let engine = try Engine(stateDirectory: ws.state, runner: reader, openMethod: method)
        let pipeline = try PipelineValidator(
            registry: PluginRegistry(plugins: [plugin]), resolver: DataResolver(allowedRoots: [ws.root + "/data"])
        ).validate(file: ws.root + "/p.yaml")
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["s": .succeeded])
        #expect(
            seen.contents == [
                "corpus.txt": "corpus\n", "config.json": "{\"model\": true}\n", "vocab.txt": "vocab\n",
                "folder/one.txt": "one\n", "folder/sub/two.txt": "two\n",
            ])
        // The links the plugin was shown are gone once the stage ended (nothing of them in the artifact).
        let key = try #require(record.stages.first?.key)
        let artifact = try #require(engine.store.lookup(key))
        #expect(!FileManager.default.fileExists(atPath: artifact.filesDirectory + "/../inputs"))
    }

    @Test func aFolderOfAPathParameterSwappedForALinkOutOfTheRootsFailsTheStage() async throws {
        let ws = try Workspace()
        try ws.write("data/folder/one.txt", "one\n")
        try ws.write("outside/one.txt", "secret\n")
        try ws.write(
            "p.yaml",
            "version: 1\nname: f\nstages:\n  s: {plugin: reader, with: {vocab: data/folder/one.txt, folder: data/folder}}\n"
        )
        let plugin = PluginInfo(
            description: PluginDescription(
                name: "reader", version: "1", summary: "",
                params: ParamSchema([
                    ParamSpec("vocab", .path, required: true), ParamSpec("folder", .path, required: true),
                ])),
            executable: "/bin/true", digest: try FileDigester.sha256(ofFile: "/bin/true"))
        let seen = Seen()
        let engine = try Engine(stateDirectory: ws.state, runner: ReadingRunner(seen: seen) {})
        let pipeline = try PipelineValidator(
            registry: PluginRegistry(plugins: [plugin]), resolver: DataResolver(allowedRoots: [ws.root + "/data"])
        ).validate(file: ws.root + "/p.yaml")
        // A folder on the way becomes a link to a folder outside: every file below it is refused.
        try FileManager.default.moveItem(atPath: ws.root + "/data/folder", toPath: ws.root + "/data/old")
        try FileManager.default.createSymbolicLink(
            atPath: ws.root + "/data/folder", withDestinationPath: ws.root + "/outside")
        let record = try await engine.run(pipeline)
        #expect(record.statuses == ["s": .failed])
        #expect(record.stages.first?.error?.contains("no longer inside the data roots") == true)
        #expect(seen.contents.isEmpty)
    }

    @Test(arguments: [BeneathOpen.Method.automatic, .componentWalk])
    func openingBelowARootRefusesEveryLink(method: BeneathOpen.Method) throws {
        let ws = try Workspace()
        try ws.write("root/dir/file.txt", "x\n")
        try ws.write("outside.txt", "secret\n")
        try FileManager.default.createSymbolicLink(
            atPath: ws.root + "/root/link.txt", withDestinationPath: ws.root + "/outside.txt")
        try FileManager.default.createSymbolicLink(
            atPath: ws.root + "/root/inner.txt", withDestinationPath: "dir/file.txt")
        try FileManager.default.createSymbolicLink(
            atPath: ws.root + "/root/linkdir", withDestinationPath: ws.root + "/root/dir")
        let root = open(ws.root + "/root", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(root >= 0)
        defer { close(root) }
        func outcome(_ path: String, directory: Bool = false) -> String {
            switch BeneathOpen.open(path, beneath: root, directory: directory, method: method) {
            case .success(let fd):
                close(fd)
                return "ok"
            case .failure(let failure): return failure == .escapes ? "escapes" : "\(failure)"
            }
        }
        #expect(outcome("dir/file.txt") == "ok")
        #expect(outcome("dir", directory: true) == "ok")
        #expect(outcome(".", directory: true) == "ok")
        #expect(outcome("link.txt") == "escapes")  // a link out
        #expect(outcome("inner.txt") == "escapes")  // even a link that stays inside: real paths have none
        #expect(outcome("linkdir/file.txt") == "escapes")  // a link on the way
        #expect(outcome("../outside.txt") == "escapes")
        #expect(outcome("dir/../../outside.txt") == "escapes")
        #expect(outcome("missing.txt") == "\(BeneathOpen.Failure.system(ENOENT))")
    }

    /// What an in-process plugin read from each input it was handed, by its name relative to its input.
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var _contents: [String: String] = [:]
        var contents: [String: String] { lock.withLock { _contents } }
        func record(_ name: String, _ text: String) { lock.withLock { _contents[name] = text } }
    }

    /// A runner that runs `beforeRead` (the swap), then reads every file it was handed, as a plugin would.
    struct ReadingRunner: StageRunner {
        let seen: Seen
        let beforeRead: @Sendable () throws -> Void

        func describe(executable: String) async throws -> PluginDescription { throw EngineError("not used") }

        func run(
            plugin: PluginInfo, request: RunRequest, timeout: Double?, logFile: String,
            onEvent: @escaping @Sendable (StageEvent) -> Void
        ) async -> StageOutcome {
            do {
                try beforeRead()
                func read(_ path: String, as name: String) throws {
                    seen.record(name, try String(contentsOfFile: path, encoding: .utf8))
                }
                for file in request.data.values.flatMap(\.files) {
                    try read(file, as: (file as NSString).lastPathComponent)
                }
                if let vocab = request.params["vocab"]?.stringValue {
                    try read(vocab, as: (vocab as NSString).lastPathComponent)
                }
                if let folder = request.params["folder"]?.stringValue {
                    for name in try FileManager.default.subpathsOfDirectory(atPath: folder).sorted() {
                        var isDirectory: ObjCBool = false
                        if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory),
                            !isDirectory.boolValue
                        {
                            try read(folder + "/" + name, as: "folder/" + name)
                        }
                    }
                }
                if let base = request.modelBase { try read(base + "/config.json", as: "config.json") }
                try "done\n".write(toFile: request.outputDir + "/done.txt", atomically: false, encoding: .utf8)
                return .succeeded(summary: .object([:]))
            } catch {
                return .failed("\(error)")
            }
        }
    }
}

enum DataResolverTestsPaths {
    static func real(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
}
