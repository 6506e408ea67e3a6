import COpenat2
import Foundation
import StageKit

#if canImport(Glibc)
    import Glibc
#endif

/// Every file a stage reads from the data roots — its data inputs, its `path` parameters and the model
/// folder's files — opened by the engine itself, below a descriptor of its data root, before the stage's key
/// is computed (docs/plugin-protocol.md, "Confined inputs").
///
/// The key hashes these descriptors, and the plugin reads these same open files: each is shown to it as a
/// symbolic link `inputs/…` in the attempt's staging folder pointing at `/proc/<engine pid>/fd/<n>`, which the
/// kernel resolves to the open file, not to a path. A file swapped for a symbolic link after validation is
/// therefore refused ("no longer inside the data roots") or, if it was swapped after it was opened, read as
/// the file that was checked — never the link's target.
public final class StageInputs: @unchecked Sendable {
    /// One opened regular file.
    public struct File: Sendable {
        /// The path validation produced (the digest memo's key).
        public var path: String
        /// Its name in the stage's view: relative to the input's base, the `path` parameter's folder or the
        /// model folder (the same names the key uses).
        public var name: String
        public var descriptor: Int32
    }

    public struct PathParameter: Sendable {
        public var resolved: ValidatedPipeline.ResolvedPath
        public var isDirectory: Bool
        public var files: [File]
    }

    public private(set) var data: [String: (input: DataInput, files: [File])] = [:]
    public private(set) var paths: [PathParameter] = []
    /// The model folder's files the plugin declares (`modelFiles`), or `nil` without a model base.
    public private(set) var model: [File]?
    private var byPath: [String: Int32] = [:]
    private let lock = NSLock()
    private var closed = false

    /// Folder levels and entries the model folder's walk may look at.
    static let maxModelDepth = 32
    static let maxModelEntries = 200_000

    private init() {}

    /// Opens the stage's inputs, checking each is still a regular file inside the pipeline's data roots.
    public static func open(
        _ stage: ValidatedPipeline.Stage, of pipeline: ValidatedPipeline, method: BeneathOpen.Method = .automatic
    ) throws -> StageInputs {
        let inputs = StageInputs()
        do {
            var roots = RootDescriptors(roots: pipeline.dataRoots ?? ["/"], method: method)
            defer { roots.closeAll() }
            for name in stage.data {
                guard let input = pipeline.data[name] else { continue }
                let base = pipeline.dataBase[name] ?? "/"
                inputs.data[name] = (input, [])
                for file in input.files {
                    let fd = try roots.openRegular(file) {
                        EngineError(
                            "data file '\(file)' of input '\(name)' is no longer a regular file inside the data roots (\($0))",
                            hint:
                                "it changed after the pipeline was validated; restore it, or drop the pipeline file again"
                        )
                    }
                    // Recorded at once, so that a later failure closes it.
                    inputs.data[name, default: (input, [])].files.append(
                        File(path: file, name: Engine.keyName(ofDataFile: file, base: base), descriptor: fd))
                }
            }
            for path in stage.paths {
                let label = "parameter \(renderParamPath(path.parameter)) ('\(path.written)')"
                let kind = try roots.kind(of: path.resolved) {
                    EngineError("\(label) is no longer inside the data roots (\($0))")
                }
                let index = inputs.paths.count
                inputs.paths.append(PathParameter(resolved: path, isDirectory: kind == S_IFDIR, files: []))
                for file in path.files {
                    let fd = try roots.openRegular(file) {
                        EngineError("\(label): '\(file)' is no longer a regular file inside the data roots (\($0))")
                    }
                    inputs.paths[index].files.append(
                        File(path: file, name: Engine.keyName(ofPathFile: file, in: path.resolved), descriptor: fd))
                }
            }
            if let base = pipeline.modelBase, !stage.plugin.description.modelFiles.isEmpty {
                let directory = try roots.openDirectory(base) {
                    EngineError("model base '\(base)' is no longer inside the data roots (\($0))")
                }
                inputs.model = []
                defer { Glibc.close(directory) }
                var walk = ModelWalk(patterns: stage.plugin.description.modelFiles, base: base)
                try walk.collect(directory, relative: "", depth: 0) { inputs.model?.append($0) }
            }
        } catch {
            inputs.close()
            throw error
        }
        for file in inputs.data.values.flatMap(\.files) + inputs.paths.flatMap(\.files) + (inputs.model ?? []) {
            inputs.byPath[file.path] = file.descriptor
        }
        return inputs
    }

    /// The open descriptor for a path validation produced, if it is one of these inputs.
    func descriptor(for path: String) -> Int32? { byPath[path] }

    /// What the plugin is handed, with its view of the inputs laid out in `directory` (created; the caller
    /// removes it): data files, `path` parameters (in `params`) and the model folder, each a link to an open
    /// descriptor of this process.
    public func makeView(in directory: String, stage: ValidatedPipeline.Stage, of pipeline: ValidatedPipeline) throws
        -> (data: [String: DataInput], params: JSONValue, modelBase: String?, names: ViewNames)
    {
        let pid = getpid()
        var names = ViewNames()
        func link(_ file: File, into folder: String) throws -> String {
            // Key names are relative paths without `..`; anything else (or a name taken) falls back to the
            // file's own name, numbered, so that the view stays inside its folder.
            var name = file.name
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            if name.hasPrefix("/") || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                name = (file.path as NSString).lastPathComponent
            }
            var target = folder + "/" + name
            var st = stat()
            var n = 1
            while lstat(target, &st) == 0 {
                target = folder + "/\(n)-" + (file.path as NSString).lastPathComponent
                n += 1
            }
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard symlink("/proc/\(pid)/fd/\(file.descriptor)", target) == 0 else {
                throw EngineError(
                    "cannot lay out the stage's inputs at '\(target)': \(String(cString: strerror(errno)))")
            }
            return target
        }
        var data: [String: DataInput] = [:]
        for (index, name) in self.data.keys.sorted().enumerated() {
            guard let entry = self.data[name] else { continue }
            var input = entry.input
            let folder = "\(directory)/data/\(index)-\(Self.safe(name))"
            input.files = try entry.files.map { try link($0, into: folder) }
            data[name] = input
            names.add(folder, pipeline.dataBase[name] ?? "/")
        }
        var params = stage.params
        for (index, parameter) in paths.enumerated() {
            let folder = "\(directory)/paths/\(index)"
            var shown = folder
            for file in parameter.files {
                let linked = try link(file, into: folder)
                if !parameter.isDirectory { shown = linked }
            }
            if parameter.isDirectory {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            params = params.replacing(at: parameter.resolved.parameter, with: .string(shown))
            if parameter.isDirectory {
                names.add(folder, parameter.resolved.resolved)
            } else {
                names.add(shown, parameter.resolved.resolved, folder: false)
            }
        }
        var modelBase: String?
        if let model {
            // The view keeps the model folder's own name: plugins show it as the base model's name.
            let own = pipeline.modelBase.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent } ?? ""
            let folder = directory + "/model/" + (["", ".", "..", "/"].contains(own) ? "model" : own)
            modelBase = folder
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for file in model { _ = try link(file, into: folder) }
            if let base = pipeline.modelBase { names.add(folder, base) }
        }
        return (data, params, modelBase, names)
    }

    /// Turns the view's paths in a plugin's messages back into the user's (an error about
    /// `…/inputs/data/0-sms/train.jsonl:3` is shown as `…/data/train.jsonl:3`).
    public struct ViewNames: Sendable {
        private var prefixes: [(view: String, original: String)] = []

        mutating func add(_ view: String, _ original: String, folder: Bool = true) {
            if folder {
                prefixes.append((view + "/", original.hasSuffix("/") ? original : original + "/"))
            } else {
                prefixes.append((view, original))
            }
            prefixes.sort { $0.view.count > $1.view.count }
        }

        public func restore(_ text: String) -> String {
            guard text.contains("/inputs/") else { return text }
            var out = text
            for (view, original) in prefixes where out.contains(view) {
                out = out.replacingOccurrences(of: view, with: original)
            }
            return out
        }
    }

    /// A data input's name as one folder name.
    static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    /// Closes every descriptor (once).
    public func close() {
        let all: [Int32] = lock.withLock {
            guard !closed else { return [] }
            closed = true
            return data.values.flatMap { $0.files.map(\.descriptor) } + paths.flatMap { $0.files.map(\.descriptor) }
                + (model ?? []).map(\.descriptor)
        }
        for fd in all { Glibc.close(fd) }
    }

    deinit { close() }

    /// Descriptors of the data roots, opened on first use; each path is opened below the root it is in.
    struct RootDescriptors {
        let roots: [String]
        let method: BeneathOpen.Method
        var open: [String: Int32] = [:]

        init(roots: [String], method: BeneathOpen.Method) {
            self.roots = roots.map { DataResolver.realPath($0) ?? $0 }.sorted { $0.count > $1.count }
            self.method = method
        }

        mutating func closeAll() {
            for fd in open.values { Glibc.close(fd) }
            open = [:]
        }

        /// The root `path` resolves into, its descriptor, and the path relative to it.
        mutating func locate(_ path: String) -> Result<(Int32, String), Reason> {
            guard let real = DataResolver.realPath(path) else {
                return .failure(Reason(String(cString: strerror(errno))))
            }
            guard let root = roots.first(where: { DataResolver.isBelow(real, $0) }) else {
                return .failure(Reason("it resolves to '\(real)'"))
            }
            let fd: Int32
            if let known = open[root] {
                fd = known
            } else {
                fd = Glibc.open(root, copenat2_o_path | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else {
                    return .failure(Reason("cannot open the data root '\(root)': \(String(cString: strerror(errno)))"))
                }
                open[root] = fd
            }
            let relative =
                real == root ? "." : String(real.dropFirst(root.hasSuffix("/") ? root.count : root.count + 1))
            return .success((fd, relative))
        }

        mutating func openRegular(_ path: String, _ error: (String) -> EngineError) throws -> Int32 {
            let fd = try openBelow(path, directory: false, error)
            guard StageInputs.fileType(fd) == S_IFREG else {
                Glibc.close(fd)
                throw error("not a regular file")
            }
            return fd
        }

        mutating func openDirectory(_ path: String, _ error: (String) -> EngineError) throws -> Int32 {
            try openBelow(path, directory: true, error)
        }

        /// The file type (`S_IFREG`, `S_IFDIR`) of a path inside the roots, checked below the root.
        mutating func kind(of path: String, _ error: (String) -> EngineError) throws -> mode_t {
            var st = stat()
            guard stat(path, &st) == 0 else { throw error(String(cString: strerror(errno))) }
            let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
            let fd = try openBelow(path, directory: isDirectory, error)
            defer { Glibc.close(fd) }
            return StageInputs.fileType(fd)
        }

        private mutating func openBelow(_ path: String, directory: Bool, _ error: (String) -> EngineError) throws
            -> Int32
        {
            switch locate(path) {
            case .failure(let reason): throw error(reason.text)
            case .success(let (root, relative)):
                switch BeneathOpen.open(relative, beneath: root, directory: directory, method: method) {
                case .success(let fd): return fd
                case .failure(.system(let code)) where code == EMFILE || code == ENFILE:
                    throw EngineError(
                        "too many files open for the stage's inputs",
                        hint: "raise the open-file limit (LimitNOFILE=) or read fewer, larger files")
                case .failure(let failure): throw error("\(failure)")
                }
            }
        }
    }

    /// Why a path could not be placed below a root.
    struct Reason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    static func fileType(_ fd: Int32) -> mode_t {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return 0 }
        return st.st_mode & S_IFMT
    }

    /// The model folder's regular files that match the plugin's `modelFiles`, walked by descriptor (never
    /// through a symbolic link), bounded in depth and entries.
    struct ModelWalk {
        let patterns: [String]
        let base: String
        var entries = 0

        mutating func collect(_ directory: Int32, relative: String, depth: Int, _ found: (File) -> Void) throws {
            let listing = openat(directory, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard listing >= 0, let dir = fdopendir(listing) else {
                if listing >= 0 { Glibc.close(listing) }
                throw EngineError(
                    "cannot list the model folder '\(base)/\(relative)': \(String(cString: strerror(errno)))")
            }
            defer { closedir(dir) }
            var names: [String] = []
            while let entry = readdir(dir) {
                entries += 1
                guard entries <= StageInputs.maxModelEntries else {
                    throw EngineError("the model folder '\(base)' has more than \(StageInputs.maxModelEntries) entries")
                }
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    raw.bindMemory(to: CChar.self).baseAddress.map { String(cString: $0) } ?? ""
                }
                if name != "." && name != ".." && !name.isEmpty { names.append(name) }
            }
            for name in names.sorted() {
                let rel = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                let wanted = patterns.contains { fnmatch($0, rel, 0) == 0 }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    guard depth < StageInputs.maxModelDepth else {
                        throw EngineError(
                            "the model folder '\(base)' goes deeper than \(StageInputs.maxModelDepth) levels")
                    }
                    let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard child >= 0 else {
                        throw EngineError("cannot open '\(base)/\(rel)': \(String(cString: strerror(errno)))")
                    }
                    defer { Glibc.close(child) }
                    try collect(child, relative: rel, depth: depth + 1, found)
                case S_IFREG where wanted:
                    let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                    guard fd >= 0, StageInputs.fileType(fd) == S_IFREG else {
                        if fd >= 0 { Glibc.close(fd) }
                        throw EngineError("model file '\(base)/\(rel)' is no longer a regular file")
                    }
                    found(File(path: base + "/" + rel, name: rel, descriptor: fd))
                case _ where wanted:
                    throw EngineError(
                        "model file '\(base)/\(rel)' is not a regular file",
                        hint: "the model folder must hold plain files (copy the file a symbolic link points to)")
                default:
                    break
                }
            }
        }
    }
}
