import Foundation
import PipelineCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Reading a file a user controls: never blocks, never reads more than the limit (issue 8, item 4).
@Suite struct BoundedFileTests {
    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let ws = try Workspace()
        let path = ws.root + "/p.yaml"
        #expect(mkfifo(path, 0o600) == 0)
        #expect(throws: BoundedFile.Failure.notRegular("a FIFO")) {
            try BoundedFile.read(path, maxBytes: 1024, followSymlinks: false)
        }
    }

    @Test func aSymlinkIsRefusedWhenNotFollowedAndADeviceAlways() throws {
        let ws = try Workspace()
        let path = ws.root + "/p.yaml"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
        #expect(throws: BoundedFile.Failure.notRegular("a symbolic link")) {
            try BoundedFile.read(path, maxBytes: 1024, followSymlinks: false)
        }
        #expect(throws: BoundedFile.Failure.notRegular("a character device")) {
            try BoundedFile.read(path, maxBytes: 1024, followSymlinks: true)
        }
    }

    @Test func aFileOverTheLimitIsRefusedAndOneWithinIsRead() throws {
        let ws = try Workspace()
        let path = try ws.write("p.yaml", String(repeating: "x", count: 2000))
        #expect(throws: BoundedFile.Failure.tooLarge(2000, limit: 1000)) {
            try BoundedFile.read(path, maxBytes: 1000, followSymlinks: false)
        }
        #expect(try BoundedFile.read(path, maxBytes: 2000, followSymlinks: false).count == 2000)
        #expect(throws: BoundedFile.Failure.notRegular("a directory")) {
            try BoundedFile.read(ws.root, maxBytes: 1000, followSymlinks: false)
        }
    }

    @Test func theValidatorReportsAFIFOAsALocatedError() async throws {
        let ws = try Workspace()
        let path = ws.root + "/p.yaml"
        #expect(mkfifo(path, 0o600) == 0)
        do {
            _ = try PipelineValidator(registry: MalformedPipelineTests.registry).validate(file: path)
            Issue.record("a FIFO validated")
        } catch let invalid as PipelineInvalid {
            #expect(invalid.description.contains("p.yaml:1:1: error: not a regular file (a FIFO)"))
        }
    }
}
