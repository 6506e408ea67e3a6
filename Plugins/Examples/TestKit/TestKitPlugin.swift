import Foundation
import StageKit

#if canImport(Glibc)
    import Glibc
#endif

/// A stage that misbehaves on request, so that tests can prove the engine survives every way a plugin can fail:
/// failing, crashing, hanging, writing garbage, being killed, and resuming from checkpoints.
@main
struct TestKitPlugin: StagePlugin {
    static let description = PluginDescription(
        name: "testkit", version: "1.0.0",
        summary: "Test double with real behaviour: succeed, sleep, count steps with checkpoints, fail, crash, hang.",
        params: ParamSchema([
            ParamSpec(
                "mode", .oneOf(["ok", "sleep", "steps", "fail", "crash", "hang", "garbage", "garbage-hang", "orphan", "exit", "fds"]),
                default: "ok",
                summary: "what to do"),
            ParamSpec("output", .string, default: "ok", summary: "text written to result.txt"),
            ParamSpec("seconds", .number(minimum: 0), default: 0, summary: "sleep per step (or in total for 'sleep')"),
            ParamSpec("steps", .integer(minimum: 0), default: 0, summary: "steps for 'steps' mode"),
            ParamSpec("exit_code", .integer(minimum: 0, maximum: 255), default: 3, summary: "status for 'exit'"),
            ParamSpec("message", .string, default: "requested failure", summary: "error message for 'fail'"),
            ParamSpec("record", .string, default: "", summary: "append a line to this file on each start"),
        ]),
        consumes: "result.txt of upstream stages", produces: "result.txt")

    func run(_ request: RunRequest, context: StageContext) async throws {
        let p = request.params
        let mode = p["mode"]?.stringValue ?? "ok"
        let seconds = p["seconds"]?.doubleValue ?? 0
        if let record = p["record"]?.stringValue, !record.isEmpty {
            let line = "\(request.stage) \(getpid())\n"
            if let handle = FileHandle(forWritingAtPath: record) {
                handle.seekToEndOfFile()
                handle.write(Data(line.utf8))
                try handle.close()
            } else {
                try line.write(toFile: record, atomically: false, encoding: .utf8)
            }
        }
        var output = p["output"]?.stringValue ?? "ok"
        for stage in request.upstream.keys.sorted() {
            let upstream = (try? String(contentsOfFile: request.upstream[stage]! + "/result.txt", encoding: .utf8)) ?? ""
            output += "\n\(stage): \(upstream)"
        }

        switch mode {
        case "sleep":
            try await sleep(seconds, context: context)
        case "steps":
            let total = p["steps"]?.intValue ?? 0
            let checkpoint = request.scratchDir + "/step"
            let start = (try? String(contentsOfFile: checkpoint, encoding: .utf8)).flatMap { Int($0) } ?? 0
            if start > 0 { context.log("resuming from checkpoint at step \(start)") }
            for step in start..<total {
                try await sleep(seconds, context: context)
                try String(step + 1).write(toFile: checkpoint, atomically: true, encoding: .utf8)
                context.checkpointSaved(step: step + 1)
                context.progress(step + 1, of: total)
                context.metric("step", Double(step + 1), step: step + 1)
            }
            output += "\nsteps: \(total)"
        case "fail":
            context.log("about to fail", level: .warning)
            throw StageFailure(p["message"]?.stringValue ?? "requested failure")
        case "crash":
            context.log("about to crash")
            // A real invalid memory access, not a signal sent to itself.
            UnsafeMutablePointer<Int>(bitPattern: 8)!.pointee = 42
        case "hang":
            signal(SIGTERM, SIG_IGN)
            while true { Glibc.sleep(60) }
        case "garbage":
            FileHandle.standardOutput.write(Data("this is not a protocol line\n".utf8))
        case "garbage-hang":  // breaks the protocol, then ignores SIGTERM: only SIGKILL ends it
            signal(SIGTERM, SIG_IGN)
            FileHandle.standardOutput.write(Data("this is not a protocol line\n".utf8))
            while true { Glibc.sleep(60) }
        case "orphan":
            // A worker (as mpirun ranks or Python workers are) that outlives the plugin and keeps its stdout
            // and stderr open; its pid goes to `record` so a test can check it was stopped.
            // posix_spawn, not Foundation's Process (which puts the child in a process group of its own): a
            // worker forked the ordinary way stays in the plugin's group.
            var worker: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("600"), nil]
            defer { for a in argv { free(a) } }
            guard posix_spawn(&worker, "/bin/sleep", nil, nil, argv, environ) == 0 else { throw StageFailure("cannot spawn a worker") }
            if let record = p["record"]?.stringValue, !record.isEmpty {
                try "\(worker)\n".write(toFile: record + ".worker", atomically: true, encoding: .utf8)
            }
        case "exit":
            exit(Int32(p["exit_code"]?.intValue ?? 3))
        case "fds":
            // The descriptors this process inherited, one "fd target" line each (a test checks that no daemon
            // descriptor, such as a control connection, reaches a plugin).
            output += "\n" + Self.openDescriptors().map { "\($0.0) \($0.1)" }.joined(separator: "\n")
        default:
            break
        }
        try output.write(toFile: request.outputDir + "/result.txt", atomically: false, encoding: .utf8)
        context.result(["bytes": .int(output.utf8.count)])
    }

    /// Open descriptors and what they point at, from /proc/self/fd (without the one used to list it).
    static func openDescriptors() -> [(Int32, String)] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        let own = dirfd(dir)
        var out: [(Int32, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw.bindMemory(to: CChar.self).baseAddress.map { String(cString: $0) } ?? ""
            }
            guard let fd = Int32(name), fd != own else { continue }
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
            out.append((fd, n > 0 ? String(cString: buffer) : "?"))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Sleeps in short slices so that a stop request is honoured promptly.
    private func sleep(_ seconds: Double, context: StageContext) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if context.stopRequested { throw StageStopped() }
            try await Task.sleep(nanoseconds: UInt64(min(0.02, max(0, deadline.timeIntervalSinceNow)) * 1e9))
        }
        if context.stopRequested { throw StageStopped() }
    }
}
