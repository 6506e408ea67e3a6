// Vectorised reductions. Swift (like C without -ffast-math) will not reassociate a float sum, so a plain
// `s += x[i]` loop runs one add per cycle-latency and blocks vectorisation of everything else in the loop. These
// helpers accumulate in SIMD8 lanes explicitly (two vectors for instruction-level parallelism), then fold.

@usableFromInline typealias F8 = SIMD8<Float>

@inline(__always) @usableFromInline
func load8(_ p: UnsafePointer<Float>) -> F8 {
    UnsafeRawPointer(p).loadUnaligned(as: F8.self)
}

/// Σ p[0..<n].
@inline(__always) @usableFromInline
func vsum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var a = F8(repeating: 0)
    var b = F8(repeating: 0)
    var j = 0
    while j + 16 <= n {
        a += load8(p + j)
        b += load8(p + j + 8)
        j += 16
    }
    if j + 8 <= n {
        a += load8(p + j)
        j += 8
    }
    var s = (a + b).sum()
    while j < n {
        s += p[j]
        j += 1
    }
    return s
}

/// Σ a[i]·b[i].
@inline(__always) @usableFromInline
func vdot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var a = F8(repeating: 0)
    var b = F8(repeating: 0)
    var j = 0
    while j + 16 <= n {
        a += load8(x + j) * load8(y + j)
        b += load8(x + j + 8) * load8(y + j + 8)
        j += 16
    }
    if j + 8 <= n {
        a += load8(x + j) * load8(y + j)
        j += 8
    }
    var s = (a + b).sum()
    while j < n {
        s += x[j] * y[j]
        j += 1
    }
    return s
}

/// Σ (p[i] - m)².
@inline(__always) @usableFromInline
func vsumSquaredDeviation(_ p: UnsafePointer<Float>, _ m: Float, _ n: Int) -> Float {
    var a = F8(repeating: 0)
    let mv = F8(repeating: m)
    var j = 0
    while j + 8 <= n {
        let d = load8(p + j) - mv
        a += d * d
        j += 8
    }
    var s = a.sum()
    while j < n {
        let d = p[j] - m
        s += d * d
        j += 1
    }
    return s
}

/// max p[0..<n] (−∞ for n = 0).
@inline(__always) @usableFromInline
func vmax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var j = 0
    var m = -Float.infinity
    if n >= 8 {
        var a = F8(repeating: -.infinity)
        while j + 8 <= n {
            let v = load8(p + j)
            a.replace(with: v, where: v .> a)
            j += 8
        }
        m = a.max()
    }
    while j < n {
        m = p[j] > m ? p[j] : m
        j += 1
    }
    return m
}
