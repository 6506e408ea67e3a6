import Foundation
import StageKit

/// A stage plugin found on disk.
public struct PluginInfo: Sendable, Codable, Hashable {
    public var description: PluginDescription
    /// Absolute path of the executable.
    public var executable: String
    /// SHA-256 of the executable: a rebuilt plugin invalidates what it produced.
    public var digest: String

    public init(description: PluginDescription, executable: String, digest: String) {
        self.description = description
        self.executable = executable
        self.digest = digest
    }
}

/// The stage plugins available to the engine: executables named `finetuned-stage-<name>` in the configured
/// directories, earlier directories taking precedence, each asked to `describe` itself.
public struct PluginRegistry: Sendable {
    public static let executablePrefix = "finetuned-stage-"

    public private(set) var plugins: [String: PluginInfo] = [:]
    /// Executables that looked like plugins but could not describe themselves, with the reason.
    public private(set) var broken: [(path: String, reason: String)] = []

    public init(plugins: [PluginInfo]) {
        for p in plugins where self.plugins[p.description.name] == nil { self.plugins[p.description.name] = p }
    }

    public subscript(name: String) -> PluginInfo? { plugins[name] }
    public var names: [String] { plugins.keys.sorted() }

    /// Scans `directories` for plugins. Descriptions are memoised in `cachePath` by executable digest, so an
    /// unchanged plugin is not spawned again just to describe itself.
    public static func discover(
        directories: [String], digester: FileDigester, runner: any StageRunner, cachePath: String?
    ) async -> PluginRegistry {
        var memo: [String: PluginInfo] = [:]
        if let cachePath, let data = FileManager.default.contents(atPath: cachePath) {
            memo = (try? JSONDecoder().decode([String: PluginInfo].self, from: data)) ?? [:]
        }
        var found: [PluginInfo] = []
        var broken: [(String, String)] = []
        var seen = Set<String>()
        var memoChanged = false
        for directory in directories {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            for file in names where file.hasPrefix(executablePrefix) && !file.contains(".") {
                let path = URL(fileURLWithPath: directory).appendingPathComponent(file).standardizedFileURL.path
                guard FileManager.default.isExecutableFile(atPath: path), !seen.contains(file) else { continue }
                seen.insert(file)
                do {
                    // Hashed afresh (not through the digest memo): the memo lives in the cache folder, which
                    // must not decide what runs.
                    let digest = try FileDigester.sha256(ofFile: path)
                    let expected = String(file.dropFirst(executablePrefix.count))
                    // The memo supplies only a description, for an executable found here with this digest; the
                    // path executed is always the one found on disk, never one read from the memo.
                    if let hit = memo[path], hit.digest == digest, hit.description.name == expected,
                        hit.description.protocolVersion == StageProtocol.version
                    {
                        found.append(PluginInfo(description: hit.description, executable: path, digest: digest))
                        continue
                    }
                    let description = try await runner.describe(executable: path)
                    guard description.name == expected else {
                        throw EngineError("describes itself as '\(description.name)', but its file name says '\(expected)'")
                    }
                    guard description.protocolVersion == StageProtocol.version else {
                        throw EngineError(
                            "speaks protocol \(description.protocolVersion); this engine speaks \(StageProtocol.version)")
                    }
                    let info = PluginInfo(description: description, executable: path, digest: digest)
                    memo[path] = info
                    memoChanged = true
                    found.append(info)
                } catch {
                    broken.append((path, "\(error)"))
                }
            }
        }
        if memoChanged, let cachePath, let data = try? JSONEncoder().encode(memo) {
            try? AtomicFile.write(data, to: cachePath)
        }
        var registry = PluginRegistry(plugins: found)
        registry.broken = broken
        return registry
    }

    /// The default search path: `$FINETUNED_PLUGIN_PATH` (colon-separated), then the folder of the running
    /// executable (the build folder in development, `/usr/lib/finetuned/plugins` once installed), then
    /// `/usr/lib/finetuned/plugins`.
    public static func defaultDirectories(executable: String = CommandLine.arguments[0]) -> [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["FINETUNED_PLUGIN_PATH"] {
            dirs += env.split(separator: ":").map(String.init)
        }
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        dirs.append(exe.deletingLastPathComponent().path)
        dirs.append(exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib/finetuned/plugins").path)
        dirs.append("/usr/lib/finetuned/plugins")
        var unique: [String] = []
        for d in dirs where !unique.contains(d) { unique.append(d) }
        return unique
    }
}
