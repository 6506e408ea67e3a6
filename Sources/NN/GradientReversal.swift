import Tensor

extension Tensor {
    /// Identity forward; multiplies the gradient by `-lambda` backward (Ganin & Lempitsky's gradient reversal layer,
    /// for adversarial task/domain heads).
    public func gradientReversed(lambda: Float = 1) -> Tensor {
        let out = Tensor.empty(shape)
        out.pointer.update(from: pointer, count: count)
        out.record(parents: [self]) { out in
            let g = out.grad!.pointer
            let d = self.gradPointer()
            for i in 0..<self.count { d[i] -= lambda * g[i] }
        }
        return out
    }
}
