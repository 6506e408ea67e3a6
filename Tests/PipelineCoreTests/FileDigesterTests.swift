import Foundation
import PipelineCore
import Testing

/// The digest memo stays bounded however many files pass through it (issue 8, item 10).
@Suite struct FileDigesterTests {
    @Test func theMemoKeepsAtMostItsLimitDroppingVanishedFilesFirst() throws {
        let ws = try Workspace()
        let memo = ws.root + "/digests.json"
        let old = Date().addingTimeInterval(-3600)
        var paths: [String] = []
        for i in 0..<30 {
            let path = try ws.write("f\(i).txt", "file \(i)\n")
            try FileManager.default.setAttributes([.modificationDate: old.addingTimeInterval(Double(i))], ofItemAtPath: path)
            paths.append(path)
        }
        let digester = FileDigester(memoPath: memo, maxEntries: 10)
        for path in paths { _ = try digester.digest(ofFile: path) }
        // Files 0-4 vanish: they are dropped before any live entry.
        for path in paths.prefix(5) { try FileManager.default.removeItem(atPath: path) }
        digester.save()
        let reloaded = FileDigester(memoPath: memo, maxEntries: 10)
        #expect(reloaded.count == 10)
        // The newest ten are the ones kept: hashing them again reads no byte.
        for path in paths.suffix(10) { _ = try reloaded.digest(ofFile: path) }
        #expect(reloaded.bytesHashed == 0)
    }
}
