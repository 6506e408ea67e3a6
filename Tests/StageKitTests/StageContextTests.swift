import Foundation
import Testing

@testable import StageKit

/// The plugin side of a broken connection: an engine that went away is a stop request, not a SIGPIPE death
/// (issue 8, item 10).
@Suite struct StageContextTests {
    @Test func aWriteToAGoneEngineIsAStopRequestNotACrash() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        close(fds[0])  // the engine is gone
        defer { close(fds[1]) }
        let context = StageContext(output: FileHandle(fileDescriptor: fds[1], closeOnDealloc: false))
        context.ignoreBrokenPipes()
        #expect(!context.stopRequested)
        context.progress(1, of: 10)  // FileHandle.write trapped here before issue 8
        #expect(context.stopRequested)
        context.log("later events are dropped quietly")
        #expect(context.stopRequested)
    }

    @Test func eventsStillReachALiveEngine() throws {
        let pipe = Pipe()
        let context = StageContext(output: pipe.fileHandleForWriting)
        context.progress(3, of: 10)
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        #expect(try JSONDecoder().decode(StageEvent.self, from: Data(text.utf8)) == .progress(done: 3, total: 10, unit: "step", message: nil))
        #expect(!context.stopRequested)
    }
}
