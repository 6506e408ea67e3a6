import StageKit

/// The description of a cached artifact, written last (by atomic rename of the whole directory) so that a
/// directory with a valid manifest is always complete. Documented in docs/cache.md.
public struct ArtifactManifest: Codable, Sendable {
    public static let formatVersion = 1

    public struct File: Codable, Sendable, Hashable {
        /// Relative to the artifact's `files/` directory.
        public var path: String
        public var size: Int64
        public var sha256: String
    }

    public struct Producer: Codable, Sendable {
        public var plugin: String
        public var version: String
        public var digest: String
    }

    public var format: Int
    public var key: String
    /// Digest over the output files (paths and contents): what downstream keys use, for early cutoff.
    public var outputDigest: String
    public var pipeline: String
    public var stage: String
    public var runID: String
    public var producer: Producer
    /// Everything the key was computed from, for `finetunectl explain`.
    public var keyInputs: JSONValue
    public var files: [File]
    public var created: String
    public var seconds: Double
    public var summary: JSONValue

    /// The output digest of a file list: SHA-256 over `path NUL sha256 LF` lines in path order.
    static func outputDigest(of files: [File]) -> String {
        sha256Hex(files.sorted { $0.path < $1.path }.map { "\($0.path)\u{0}\($0.sha256)\n" }.joined())
    }
}

/// A complete artifact in the store.
public struct Artifact: Sendable {
    public var key: String
    /// `STATE/cache/<k[0:2]>/<k>`.
    public var directory: String
    public var manifest: ArtifactManifest
    /// Where the stage's outputs are: what downstream stages receive.
    public var filesDirectory: String { directory + "/files" }
}
