/// A float32 tensor: a shape over contiguous row-major storage, plus what reverse-mode autodiff needs.
///
/// Tensors are reference types. Ops build new tensors; when an input requires a gradient (and gradient recording
/// is on, see ``GradMode``), the result remembers its inputs and a backward closure, forming a tape that
/// ``backward()`` walks in reverse. Views made by ``reshaped(_:)`` share storage.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: Storage
    /// Whether gradients flow to this tensor. Parameters set it; op results inherit it from their inputs.
    public var requiresGrad: Bool
    /// The accumulated gradient, same shape as the tensor; `nil` until backward reaches it.
    public var grad: Tensor?
    /// A name for diagnostics (parameters carry their HF name).
    public var name: String?

    // Tape node: the inputs of the op that produced this tensor and its backward, which reads `self.grad`.
    var parents: [Tensor] = []
    var backwardFn: ((Tensor) -> Void)?
    var opName: String?

    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A zero-filled tensor.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(count: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    /// An uninitialised tensor, for kernels that overwrite every element.
    public static func empty(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(count: shape.reduce(1, *), zeroed: false))
    }

    /// A tensor holding `values` (row-major).
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let storage = Storage(count: values.count, zeroed: false)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: values.count) }
        }
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        let storage = Storage(count: shape.reduce(1, *), zeroed: false)
        storage.pointer.update(repeating: value, count: storage.count)
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer }
    public var buffer: UnsafeMutableBufferPointer<Float> { storage.buffer }
    /// The elements, row-major (a copy).
    public var scalars: [Float] { Array(buffer) }
    /// The value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor with \(count) elements")
        return pointer[0]
    }

    /// A view with another shape over the same storage (and, for autodiff, the same gradient flow).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot infer dimension for \(newShape) from \(shape)")
            newShape[inferred] = count / known
        }
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let out = Tensor(shape: newShape, storage: storage)
        out.record(parents: [self]) { out in
            guard self.requiresGrad, let g = out.grad else { return }
            let dst = self.gradPointer()
            let src = g.pointer
            for i in 0..<self.count { dst[i] += src[i] }
        }
        return out
    }

    /// A copy that does not require a gradient and is not on the tape.
    public func detached() -> Tensor {
        let out = Tensor.empty(shape)
        out.pointer.update(from: pointer, count: count)
        return out
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(\(name.map { "\($0), " } ?? "")shape: \(shape), [\(head)\(count > 8 ? ", …" : "")])"
    }
}
