import Foundation

/// Reads a regular file in fixed-size chunks, so that no reader holds more than a chunk (plus the current
/// row) in memory however large the file is.
final class ChunkedFile {
    static let defaultChunkSize = 1 << 16

    let displayName: String
    private let handle: FileHandle
    private let chunkSize: Int

    /// Opens `path`; errors name `displayName` (the path as the user wrote it or as a glob produced it).
    init(path: String, displayName: String, chunkSize: Int = ChunkedFile.defaultChunkSize) throws {
        self.displayName = displayName
        self.chunkSize = max(1, chunkSize)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(
                .fileNotFound, file: displayName, message: "no such file",
                hint: "paths are relative to the pipeline file's folder")
        }
        if isDirectory.boolValue {
            throw DatasetError(
                .unreadable, file: displayName, message: "is a directory, not a file",
                hint: "use a glob such as '\(displayName)/*.txt' or '\(displayName)/**/*.txt'")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetError(
                .unreadable, file: displayName, message: "cannot open the file for reading",
                hint: "check its permissions")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The next chunk, or nil at the end of the file.
    func read() throws -> [UInt8]? {
        do {
            guard let data = try handle.read(upToCount: chunkSize), !data.isEmpty else { return nil }
            return [UInt8](data)
        } catch {
            throw DatasetError(.unreadable, file: displayName, message: "read failed: \(error)")
        }
    }
}

/// Byte-at-a-time access over a `ChunkedFile`.
struct ByteReader {
    private let file: ChunkedFile
    private var buffer: [UInt8] = []
    private var index = 0
    private var atEnd = false

    init(_ file: ChunkedFile) { self.file = file }

    mutating func next() throws -> UInt8? {
        if index == buffer.count {
            if atEnd { return nil }
            guard let chunk = try file.read() else {
                atEnd = true
                return nil
            }
            buffer = chunk
            index = 0
        }
        defer { index += 1 }
        return buffer[index]
    }
}

/// Splits a `ChunkedFile` into lines (without `\n` or `\r\n`), numbering them from 1 and dropping a UTF-8
/// byte order mark at the start of the file.
struct LineReader {
    private let file: ChunkedFile
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private(set) var lineNumber = 0

    init(_ file: ChunkedFile) { self.file = file }

    /// The next line's number and bytes, or nil at the end of the file.
    mutating func next() throws -> (line: Int, bytes: ArraySlice<UInt8>)? {
        var searchFrom = start
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = buffer[start..<end]
                start = newline + 1
                return emit(line)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = buffer[start..<end]
                start = buffer.count
                return emit(line)
            }
            // Keep the unfinished line, append the next chunk, and search only the new bytes.
            buffer.removeSubrange(0..<start)
            start = 0
            searchFrom = buffer.count
            if let chunk = try file.read() { buffer += chunk } else { atEnd = true }
        }
    }

    private mutating func emit(_ line: ArraySlice<UInt8>) -> (line: Int, bytes: ArraySlice<UInt8>) {
        lineNumber += 1
        if lineNumber == 1, line.starts(with: utf8BOM) { return (1, line.dropFirst(3)) }
        return (lineNumber, line)
    }
}

let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

/// Decodes UTF-8, reporting the first invalid byte's column.
func decodeUTF8<C: Collection>(_ bytes: C, file: String, line: Int, column: Int = 1) throws -> String
where C.Element == UInt8 {
    if let s = String(validating: bytes, as: UTF8.self) { return s }
    var offset = 0
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    loop: while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar): offset += UTF8.width(scalar)
        case .emptyInput, .error: break loop
        }
    }
    throw DatasetError(
        .invalidEncoding, file: file, line: line, column: column + offset, message: "invalid UTF-8",
        hint: "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)")
}
