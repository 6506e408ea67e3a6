import Foundation

@testable import Datasets

/// The test bundle's Fixtures folder.
let fixtures: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path

/// A fresh temporary directory, removed when the value is deinitialised.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path =
            URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("datasets-tests-" + UUID().uuidString)
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `name` (creating folders) and returns its full path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        try write(name, Data(contents.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
        return full
    }
}

/// Reads all records of a file with a reader's `read` function, collecting errors thrown.
func collect(
    _ read: (BadRowPolicy, (Record) throws -> Void) throws -> ReadSummary, policy: BadRowPolicy = .skip
) throws -> ([Record], ReadSummary) {
    var records: [Record] = []
    let summary = try read(policy) { records.append($0) }
    return (records, summary)
}

/// Runs blocking work (reading and parsing thousands of rows) on a dispatch thread: blocking one of Swift
/// concurrency's few threads (two on a 2-core machine) stalls the other tests of the run.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
