/// The storage type of a GGUF tensor (`ggml_type`): a float type, an integer type or a block quantization.
///
/// Every type ggml defines is known here by name and layout (elements per block, bytes per block), so the reader
/// can check any tensor's extent against the file; only some can be dequantized (``isDequantizable``).
public struct GGMLType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2)
    public static let q4_1 = GGMLType(rawValue: 3)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let bf16 = GGMLType(rawValue: 30)

    /// name, elements per block, bytes per block — from ggml's `type_traits` (as gguf-py's `GGML_QUANT_SIZES`).
    private static let layouts: [UInt32: (name: String, blockSize: Int, typeSize: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
        7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
        12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
        16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
        20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
        24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
        29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
        39: ("MXFP4", 32, 17),
    ]

    /// False for a number ggml does not define (the file cannot be laid out).
    public var isKnown: Bool { Self.layouts[rawValue] != nil }
    public var name: String { Self.layouts[rawValue]?.name ?? "type \(rawValue)" }
    /// Elements per block (1 for plain float and integer types).
    public var blockSize: Int { Self.layouts[rawValue]?.blockSize ?? 0 }
    /// Bytes per block.
    public var typeSize: Int { Self.layouts[rawValue]?.typeSize ?? 0 }
    /// Whether ``GGUFFile/tensor(_:)`` can turn this type into float32.
    public var isDequantizable: Bool { [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1].contains(self) }

    public var description: String { name }
}
