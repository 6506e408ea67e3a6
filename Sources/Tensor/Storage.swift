#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A contiguous, 64-byte aligned buffer of `Float` shared by a tensor and its views.
///
/// Storage is a reference type so that views (`reshaped`) share memory; kernels write into it through `pointer`.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` floats, zero-filled when `zeroed` (large zeroed buffers come from fresh pages, so this is
    /// cheap), otherwise uninitialised.
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative storage size")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        var raw: UnsafeMutableRawPointer?
        if zeroed && bytes >= 1 << 16 {
            raw = calloc(bytes, 1)
        } else {
            if posix_memalign(&raw, 64, bytes) != 0 { raw = nil }
            if zeroed, let raw { memset(raw, 0, bytes) }
        }
        guard let raw else { fatalError("out of memory allocating \(bytes) bytes") }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}
