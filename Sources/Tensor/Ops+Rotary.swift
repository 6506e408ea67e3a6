import Foundation

extension Tensor {
    /// Rotary position embedding (HF Llama's "rotate half" form) of `self` `[B, T, NH·hs]`, per head.
    ///
    /// For position p = `positionOffset + t` and i < hs/2, with θ_i = base^(−2i/hs) and a = p·θ_i:
    /// `y[i] = x[i]·cos a − x[i + hs/2]·sin a`, `y[i + hs/2] = x[i + hs/2]·cos a + x[i]·sin a`.
    /// Angles are computed in float32 as transformers does. Backward applies the inverse rotation.
    public func rotaryEmbedded(heads nh: Int, base: Float, positionOffset: Int = 0) -> Tensor {
        precondition(rank == 3 && nh > 0 && shape[2] % nh == 0, "rotaryEmbedded: \(shape) is not [B, T, NH·hs]")
        let (nb, nt, c) = (shape[0], shape[1], shape[2])
        let hs = c / nh, half = hs / 2
        precondition(hs % 2 == 0, "rotaryEmbedded: head size \(hs) must be even")
        // cos/sin tables [T, hs/2].
        var cosTable = [Float](repeating: 0, count: nt * half), sinTable = cosTable
        for t in 0..<nt {
            for i in 0..<half {
                let invFreq = 1 / Float(pow(Double(base), Double(2 * i) / Double(hs)))
                let a = Float(positionOffset + t) * invFreq
                cosTable[t * half + i] = Foundation.cos(a)
                sinTable[t * half + i] = Foundation.sin(a)
            }
        }
        let out = Tensor.empty(shape)
        func rotate(
            _ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, sign: Float, accumulate: Bool
        ) {
            for b in 0..<nb {
                for t in 0..<nt {
                    let cs = t * half
                    for h in 0..<nh {
                        let x = src + (b * nt + t) * c + h * hs
                        let y = dst + (b * nt + t) * c + h * hs
                        for i in 0..<half {
                            let (co, si) = (cosTable[cs + i], sign * sinTable[cs + i])
                            let (x1, x2) = (x[i], x[i + half])
                            let (y1, y2) = (x1 * co - x2 * si, x2 * co + x1 * si)
                            if accumulate {
                                y[i] += y1
                                y[i + half] += y2
                            } else {
                                y[i] = y1
                                y[i + half] = y2
                            }
                        }
                    }
                }
            }
        }
        rotate(pointer, out.pointer, sign: 1, accumulate: false)
        out.record(parents: [self]) { out in
            // The rotation is orthogonal: its transpose is the rotation by −a.
            rotate(out.grad!.pointer, self.gradPointer(), sign: -1, accumulate: true)
        }
        return out
    }
}
