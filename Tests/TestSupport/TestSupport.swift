import Foundation

/// Helpers shared by the test targets that run the package's real executables.
public enum BuildProducts {
    /// The folder holding the package's built executables (the test bundle lives in it under `swift test`), found
    /// by looking for `executable` next to the running test binary; `$FINETUNED_BUILD_DIR` overrides.
    public static func directory(containing executable: String) -> String {
        if let dir = ProcessInfo.processInfo.environment["FINETUNED_BUILD_DIR"] { return dir }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<6 {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(executable).path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }
}

/// Runs blocking work (waiting for a process, loading a tokenizer) on a dispatch thread: blocking one of Swift
/// concurrency's few threads (two on a 2-core machine) stalls every other test of the run.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Runs `executable` to its end (blocking: call it through ``offThePool(_:)``); its exit status and its
/// standard output and error together.
public func runToEnd(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// The SHA-256 of a file in hex, from coreutils' `sha256sum` (an implementation independent of the code under test).
public func sha256sum(_ path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    p.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return text.split(separator: " ").first.map(String.init) ?? ""
}

/// A temporary folder, removed when released.
open class TemporaryFolder: @unchecked Sendable {
    public let root: String

    public init(prefix: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes a text file below the folder, creating its parent folders.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Runs a stage plugin executable on one request (written to its stdin, which is then closed), handing each
/// line of its stdout to `onLine` as it arrives; when `onLine` returns true the process is killed with SIGKILL
/// (a crash at that moment). Blocking: call it through ``offThePool(_:)``.
public func runStagePlugin(
    _ executable: String, request: Data, onLine: (Data) -> Bool
) throws -> (status: Int32, reason: Process.TerminationReason) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = FileHandle.nullDevice
    try p.run()
    input.fileHandleForWriting.write(request)
    try input.fileHandleForWriting.close()
    var buffer = Data()
    var killed = false
    let reader = output.fileHandleForReading
    while true {
        let chunk = reader.availableData
        if chunk.isEmpty { break }
        buffer.append(chunk)
        while let nl = buffer.firstIndex(of: 0x0A) {
            let line = Data(buffer[buffer.startIndex..<nl])
            buffer = Data(buffer[(nl + 1)...])
            if onLine(line), !killed {
                kill(p.processIdentifier, SIGKILL)
                killed = true
            }
        }
    }
    p.waitUntilExit()
    return (p.terminationStatus, p.terminationReason)
}
