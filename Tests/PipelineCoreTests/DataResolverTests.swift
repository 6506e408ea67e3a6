import Foundation
import PipelineCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Data walks are bounded: no descent into directory symlinks, no listing outside the roots, a budget of
/// entries (issue 8, item 4).
@Suite struct DataResolverTests {
    @Test func aDirectorySymlinkLoopIsNotDescended() throws {
        let ws = try Workspace()
        try ws.write("inside/d/a.txt", "a\n")
        try FileManager.default.createSymbolicLink(atPath: ws.root + "/inside/d/loop", withDestinationPath: ws.root + "/inside/d")
        try FileManager.default.createSymbolicLink(atPath: ws.root + "/inside/d/up", withDestinationPath: ws.root + "/inside")
        let resolver = DataResolver(allowedRoots: [ws.root + "/inside"])
        #expect(resolver.resolve("inside/**/*.txt", relativeTo: ws.root) == .success([ws.root + "/inside/d/a.txt"]))
        #expect(resolver.resolve("inside/d", relativeTo: ws.root) == .success([ws.root + "/inside/d/a.txt"]))
    }

    @Test func globsOutsideTheRootsListNothing() throws {
        let ws = try Workspace()
        // A name no file in the folders on the way (/, /tmp) has, so only the one inside can match.
        let marker = "marker-\(UUID().uuidString).txt"
        try ws.write("inside/" + marker, "a\n")
        // A tiny entry budget: listing /proc at all would exceed it.
        let resolver = DataResolver(allowedRoots: [ws.root + "/inside"], maxEntries: 50)
        #expect(resolver.resolve("/proc/**", relativeTo: ws.root) == .failure(.noMatch))
        // From the top, only the folders on the way to the root are listed.
        let wide = DataResolver(allowedRoots: [ws.root + "/inside"])
        #expect(wide.resolve("/**/" + marker, relativeTo: ws.root) == .success([ws.root + "/inside/" + marker]))
    }

    @Test func aWalkOverItsBudgetIsRefused() throws {
        let ws = try Workspace()
        for i in 0..<40 { try ws.write("inside/f\(i).txt", "x\n") }
        let resolver = DataResolver(maxEntries: 20)
        #expect(resolver.resolve("inside/*.txt", relativeTo: ws.root) == .failure(.tooExpensive("the pattern looks at more than 20 directory entries")))
        #expect(DataResolver(maxEntries: 100).resolve("inside/*.txt", relativeTo: ws.root).map(\.count) == .success(40))
    }

    @Test func onlyRegularFilesMatch() throws {
        let ws = try Workspace()
        try ws.write("inside/a.txt", "a\n")
        #expect(mkfifo(ws.root + "/inside/fifo.txt", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: ws.root + "/inside/zero.txt", withDestinationPath: "/dev/zero")
        let resolver = DataResolver()
        #expect(resolver.resolve("inside/*.txt", relativeTo: ws.root) == .success([ws.root + "/inside/a.txt"]))
        #expect(resolver.resolve("inside/fifo.txt", relativeTo: ws.root) == .failure(.noMatch))
        #expect(resolver.resolve("inside", relativeTo: ws.root) == .success([ws.root + "/inside/a.txt"]))
    }
}
