import COpenBLAS

/// Thin wrappers over the OpenBLAS calls the engine uses. This is the only file that imports `COpenBLAS`.
public enum BLAS {
    /// Whether a matrix operand is read as stored or transposed.
    public enum Transpose: Sendable {
        case none
        case transposed

        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// Computes `C = alpha * op(A) * op(B) + beta * C` on row-major single-precision matrices.
    ///
    /// `op(A)` is `[m, k]` and `op(B)` is `[k, n]`; `C` is `[m, n]`. `lda`, `ldb` and `ldc` are the row strides (in
    /// elements) of the matrices as stored, so a head's slice of a `[B, T, C]` activation can be passed without a copy.
    /// With `beta == 0`, `C` is not read (it may hold garbage or NaN).
    ///
    /// The corresponding C function is `cblas_sgemm`.
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
        if m == 0 || n == 0 { return }
        FlopCounter.current?.add(2 * m * n * k)
        _ = defaultThreadCount
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b,
            Int32(ldb), beta, c, Int32(ldc))
    }

    /// On first use, OpenBLAS gets the engine's thread count (``Parallel/threads``, default 1) instead of its own
    /// default of one thread per core: the machine is shared, and kernels parallelise across heads themselves.
    static let defaultThreadCount: Void = { openblas_set_num_threads(Int32(Parallel.threads)) }()

    /// The number of threads OpenBLAS uses for one call.
    ///
    /// The corresponding C function is `openblas_get_num_threads`.
    public static var threads: Int {
        _ = defaultThreadCount
        return Int(openblas_get_num_threads())
    }

    /// Sets the number of threads OpenBLAS uses for one call (process-wide).
    ///
    /// The corresponding C function is `openblas_set_num_threads`.
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1")
        _ = defaultThreadCount
        openblas_set_num_threads(Int32(count))
    }

    /// The name of the kernel family OpenBLAS picked for this CPU (e.g. `Haswell`, `Cooperlake`).
    ///
    /// The corresponding C function is `openblas_get_corename`.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}

/// Counts the floating-point operations of the ``BLAS/sgemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` calls made
/// by the task that runs ``count(_:)`` (not by worker threads it starts, e.g. attention's per-head products): tests
/// use it to prove that a frozen weight costs no weight-gradient product, without timing anything.
public final class FlopCounter: @unchecked Sendable {
    @TaskLocal static var current: FlopCounter?
    public private(set) var flops = 0

    func add(_ n: Int) { flops += n }

    /// Runs `body` and returns its result and the GEMM FLOPs it issued from this task.
    public static func count<R>(_ body: () throws -> R) rethrows -> (result: R, flops: Int) {
        let counter = FlopCounter()
        let r = try $current.withValue(counter) { try body() }
        return (r, counter.flops)
    }
}
