import Testing

@testable import Tensor

/// One op under a finite-difference gradient check: its inputs and a closure that recomputes it from them.
struct GradCase: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () -> (inputs: [Tensor], f: () -> Tensor)
    var testDescription: String { name }
}

private func r(_ shape: [Int], _ seed: UInt64, scale: Float = 1) -> Tensor {
    GradientCheck.randomTensor(shape, seed: seed, scale: scale)
}

/// Every op of the engine, on tiny shapes (B=2, T=3..4, C=4..8).
let opCases: [GradCase] = [
    GradCase(name: "linear [out,in] + bias") {
        let (x, w, b) = (r([2, 3, 4], 1), r([5, 4], 2), r([5], 3))
        return ([x, w, b], { linear(x, weight: w, bias: b) })
    },
    GradCase(name: "linear [in,out] no bias") {
        let (x, w) = (r([3, 4], 4), r([4, 5], 5))
        return ([x, w], { linear(x, weight: w, layout: .inOut) })
    },
    GradCase(name: "matmul") {
        let (a, b) = (r([3, 4], 6), r([4, 2], 7))
        return ([a, b], { matmul(a, b) })
    },
    GradCase(name: "matmul transposed A and B") {
        let (a, b) = (r([4, 3], 8), r([2, 4], 9))
        return ([a, b], { matmul(a, b, transposeA: true, transposeB: true) })
    },
    GradCase(name: "matmul transposed A") {
        let (a, b) = (r([4, 3], 10), r([4, 2], 11))
        return ([a, b], { matmul(a, b, transposeA: true) })
    },
    GradCase(name: "matmul transposed B") {
        let (a, b) = (r([3, 4], 12), r([2, 4], 13))
        return ([a, b], { matmul(a, b, transposeB: true) })
    },
    GradCase(name: "add, mul, scaled") {
        let (a, b) = (r([2, 5], 14), r([2, 5], 15))
        return ([a, b], { (a + b * a).scaled(by: 0.7) })
    },
    GradCase(name: "addingBias") {
        let (a, b) = (r([3, 4], 16), r([4], 17))
        return ([a, b], { a.addingBias(b) })
    },
    GradCase(name: "tanh") {
        let a = r([2, 6], 18)
        return ([a], { a.tanh() })
    },
    GradCase(name: "relu") {
        // Values kept away from the kink at 0.
        let a = Tensor([-1.5, -0.4, 0.3, 0.9, 2.0, -2.2], shape: [6])
        return ([a], { a.relu() })
    },
    GradCase(name: "gelu erf") {
        let a = r([2, 8], 19, scale: 2)
        return ([a], { a.gelu() })
    },
    GradCase(name: "gelu tanh") {
        let a = r([2, 8], 20, scale: 2)
        return ([a], { a.gelu(approximation: .tanh) })
    },
    GradCase(name: "layerNorm") {
        let (x, w, b) = (r([3, 6], 21), r([6], 22), r([6], 23))
        return ([x, w, b], { layerNorm(x, weight: w, bias: b, eps: 1e-5) })
    },
    GradCase(name: "softmax") {
        let x = r([3, 5], 24)
        return ([x], { x.softmax() })
    },
    GradCase(name: "crossEntropy with ignored rows") {
        let x = r([4, 6], 25)
        return ([x], { crossEntropy(logits: x, targets: [2, -100, 5, 0]) })
    },
    GradCase(name: "embedding with repeated ids") {
        let w = r([5, 3], 26)
        return ([w], { embedding(w, ids: [1, 4, 1, 0]) })
    },
    GradCase(name: "dropout") {
        let x = r([4, 5], 27)
        return ([x], { x.dropout(0.3, rng: CounterRNG(seed: 9, stream: 2)) })
    },
    GradCase(name: "sum and mean") {
        let x = r([2, 3], 28)
        return ([x], { x.sum() + x.mean() })
    },
    GradCase(name: "reshaped") {
        let x = r([2, 6], 29)
        return ([x], { x.reshaped([3, -1]) * r([3, 4], 30) })
    },
    GradCase(name: "permuted [B, T, NH, hs] → [B, NH, T, hs]") {
        let x = r([2, 3, 2, 2], 44)
        return ([x], { x.permuted([0, 2, 1, 3]) })
    },
    GradCase(name: "transposed") {
        let x = r([3, 4], 45)
        return ([x], { x.transposed() })
    },
    GradCase(name: "selectingToken") {
        let x = r([2, 3, 4], 31)
        return ([x], { x.selectingToken(1) })
    },
    GradCase(name: "meanPooled") {
        let x = r([2, 3, 4], 32)
        return ([x], { x.meanPooled(mask: [1, 1, 0, 1, 0, 0]) })
    },
    GradCase(name: "l2Normalized") {
        let x = r([3, 4], 33)
        return ([x], { x.l2Normalized() })
    },
    GradCase(name: "selfAttention q,k,v with padding mask") {
        let (q, k, v) = (r([2, 4, 6], 34), r([2, 4, 6], 35), r([2, 4, 6], 36))
        let mask = AttentionMask(keyMask: [1, 1, 1, 0, 1, 1, 0, 0])
        return ([q, k, v], { selfAttention(query: q, key: k, value: v, heads: 2, mask: mask) })
    },
    GradCase(name: "selfAttention q,k,v with padding mask and dropout") {
        let (q, k, v) = (r([2, 4, 6], 41), r([2, 4, 6], 42), r([2, 4, 6], 43))
        let mask = AttentionMask(keyMask: [1, 1, 0, 1, 1, 1, 1, 0])
        return (
            [q, k, v],
            {
                selfAttention(
                    query: q, key: k, value: v, heads: 3, mask: mask, dropout: 0.3, rng: CounterRNG(seed: 8, stream: 1))
            }
        )
    },
    GradCase(name: "selfAttention fused qkv, causal, dropout") {
        let qkv = r([2, 4, 12], 37)
        return (
            [qkv],
            {
                selfAttention(
                    qkv: qkv, heads: 2, mask: AttentionMask(causal: true), dropout: 0.2,
                    rng: CounterRNG(seed: 3, stream: 4))
            }
        )
    },
]

@Suite struct OpsGradientTests {
    @Test(arguments: opCases)
    func gradientMatchesFiniteDifferences(_ c: GradCase) {
        let (inputs, f) = c.make()
        let failures = GradientCheck.run(inputs, f)
        #expect(failures.isEmpty, "\(c.name): \(failures.prefix(5))")
    }

    @Test func permutedMovesElementsLikeTorch() {
        let x = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let y = x.permuted([2, 0, 1])  // y[k, i, j] = x[i, j, k]
        #expect(y.shape == [4, 2, 3])
        for i in 0..<2 {
            for j in 0..<3 {
                for k in 0..<4 { #expect(y.scalars[k * 6 + i * 3 + j] == x.scalars[i * 12 + j * 4 + k]) }
            }
        }
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).transposed().scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test func gradientCheckCatchesAWrongBackward() {
        // A deliberately wrong op: forward x², backward claims 3x.
        let x = r([4], 40)
        let failures = GradientCheck.run([x]) {
            let out = Tensor(x.scalars.map { $0 * $0 }, shape: [4])
            out.record(parents: [x]) { out in
                let d = x.gradPointer()
                for i in 0..<4 { d[i] += out.grad!.pointer[i] * 3 * x.pointer[i] }
            }
            return out
        }
        #expect(!failures.isEmpty)
    }

    @Test func parallelKernelsMatchSerialOnes() {
        // Attention and layerNorm split work over threads; results must not depend on the split.
        let (q, k, v) = (r([3, 5, 8], 50), r([3, 5, 8], 51), r([3, 5, 8], 52))
        let serial = selfAttention(query: q, key: k, value: v, heads: 4).scalars
        Parallel.threads = 2
        defer { Parallel.threads = 1 }
        let parallel = selfAttention(query: q, key: k, value: v, heads: 4).scalars
        #expect(serial == parallel)
    }
}
