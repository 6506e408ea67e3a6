/// Dequantization of ggml's storage types to float32, block by block, exactly as ggml (and gguf-py's
/// `gguf.quants`) define them.
///
/// Block layouts (little-endian, `d` and `m` are IEEE half floats):
/// - `Q8_0`: 32 elements in 34 bytes, `{d, qs: int8[32]}`, x = d·q.
/// - `Q4_0`: 32 elements in 18 bytes, `{d, qs: u8[16]}`; element j is the low nibble of `qs[j]`, element j+16
///   the high nibble; x = d·(q − 8).
/// - `Q4_1`: 32 elements in 20 bytes, `{d, m, qs: u8[16]}`, nibbles as Q4_0; x = d·q + m.
enum GGUFQuantization {
    /// Writes `count` floats decoded from `src` (which holds `count / blockSize` whole blocks of `type`).
    /// `type` must be dequantizable (``GGMLType/isDequantizable``); the caller checked the extent.
    static func dequantize(_ type: GGMLType, _ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>)
    {
        switch type {
        case .f32:
            for i in 0..<count {
                dst[i] = Float(
                    bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0..<count { dst[i] = half(src, 2 * i) }
        case .bf16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                dst[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .q8_0:
            for b in 0..<count / 32 {
                let block = src + 34 * b
                let d = half(block, 0)
                let out = dst + 32 * b
                for j in 0..<32 {
                    out[j] = d * Float(Int8(bitPattern: block.load(fromByteOffset: 2 + j, as: UInt8.self)))
                }
            }
        case .q4_0:
            for b in 0..<count / 32 {
                let block = src + 18 * b
                let d = half(block, 0)
                let out = dst + 32 * b
                for j in 0..<16 {
                    let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                    out[j] = d * Float(Int(q & 0x0F) - 8)
                    out[j + 16] = d * Float(Int(q >> 4) - 8)
                }
            }
        case .q4_1:
            for b in 0..<count / 32 {
                let block = src + 20 * b
                let d = half(block, 0), m = half(block, 2)
                let out = dst + 32 * b
                for j in 0..<16 {
                    let q = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                    out[j] = d * Float(q & 0x0F) + m
                    out[j + 16] = d * Float(q >> 4) + m
                }
            }
        default:
            // Not reachable: GGUFFile.rows checks isDequantizable first. Zeros keep the output defined.
            dst.update(repeating: 0, count: count)
        }
    }

    /// The IEEE half float at `offset`, widened.
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }
}
