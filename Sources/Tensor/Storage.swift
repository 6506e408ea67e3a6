#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A contiguous, 64-byte aligned buffer of `Float` shared by a tensor and its views.
///
/// Storage is a reference type so that views (`reshaped`) share memory; kernels write into it through `pointer`.
/// Buffers of 64 KiB and more come from ``BufferPool``: a training step allocates the same sizes every step, and
/// returning them to the OS (glibc munmaps large blocks) would make every step page-fault its activations afresh.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let pooledBytes: Int  // 0 when not from the pool

    /// Allocates `count` floats, zero-filled when `zeroed`, otherwise uninitialised.
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative storage size")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw: UnsafeMutableRawPointer
        if bytes >= BufferPool.minimumBytes {
            raw = BufferPool.take(bytes)
            pooledBytes = bytes
        } else {
            var p: UnsafeMutableRawPointer?
            guard posix_memalign(&p, 64, bytes) == 0, let p else {
                fatalError("out of memory allocating \(bytes) bytes")
            }
            raw = p
            pooledBytes = 0
        }
        if zeroed { memset(raw, 0, bytes) }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        if pooledBytes > 0 {
            BufferPool.give(UnsafeMutableRawPointer(pointer), pooledBytes)
        } else {
            free(pointer)
        }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

/// A cache of freed large buffers by exact byte size (like PyTorch's CPU caching allocator, minus splitting).
public enum BufferPool {
    static let minimumBytes = 1 << 16
    /// Upper bound on the bytes kept cached (not in use); beyond it freed buffers go back to the OS.
    nonisolated(unsafe) public static var limitBytes = 3 << 30
    nonisolated(unsafe) static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) public private(set) static var cachedBytes = 0
    nonisolated(unsafe) static var mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    static func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        pthread_mutex_lock(mutex)
        if var list = free[bytes], let p = list.popLast() {
            free[bytes] = list
            cachedBytes -= bytes
            pthread_mutex_unlock(mutex)
            return p
        }
        pthread_mutex_unlock(mutex)
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, bytes) == 0, let p else { fatalError("out of memory allocating \(bytes) bytes") }
        return p
    }

    static func give(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
        pthread_mutex_lock(mutex)
        if cachedBytes + bytes <= limitBytes {
            free[bytes, default: []].append(p)
            cachedBytes += bytes
            pthread_mutex_unlock(mutex)
        } else {
            pthread_mutex_unlock(mutex)
            Glibc.free(p)
        }
    }

    /// Returns every cached buffer to the OS.
    public static func purge() {
        pthread_mutex_lock(mutex)
        let all = free.values.flatMap { $0 }
        free = [:]
        cachedBytes = 0
        pthread_mutex_unlock(mutex)
        for p in all { Glibc.free(p) }
    }
}
