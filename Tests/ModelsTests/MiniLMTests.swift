import Foundation
import NN
import Tensor
import Testing

@testable import Models

/// The real all-MiniLM-L6-v2 (from the assets folder): token ids → sentence embeddings against transformers.
@Suite struct MiniLMTests {
    struct Reference: Decodable {
        var header: String
        var sentences: [String]
        var inputIds: [[Int32]]
        var tokenTypeIds: [[Int32]]
        var attentionMask: [[Int32]]
        var embeddings: [[Float]]
        enum CodingKeys: String, CodingKey {
            case header, sentences, inputIds = "input_ids", tokenTypeIds = "token_type_ids"
            case attentionMask = "attention_mask", embeddings
        }
    }

    @Test func embeddingsMatchTransformers() throws {
        guard let dir = miniLMDirectory() else { return }
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: URL(fileURLWithPath: try fixturePath("minilm-embeddings", "json"))))
        let model = try BertModel(directory: dir)
        #expect(model.config.hiddenSize == 384 && model.layers.count == 6)
        let (nb, nt) = (reference.inputIds.count, reference.inputIds[0].count)
        let input = EncoderInput(
            batch: nb, time: nt, inputIds: reference.inputIds.flatMap { $0 },
            tokenTypeIds: reference.tokenTypeIds.flatMap { $0 }, attentionMask: reference.attentionMask.flatMap { $0 })
        let embeddings = GradMode.withoutGrad { model.sentenceEmbeddings(input) }  // [B, 384]
        #expect(embeddings.shape == [nb, 384])
        func row(_ i: Int) -> [Float] { Array(embeddings.scalars[i * 384..<(i + 1) * 384]) }
        func cos(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        for (i, expected) in reference.embeddings.enumerated() {
            let distance = 1 - cos(row(i), expected)
            #expect(distance < 1e-4, "cosine distance \(distance) for '\(reference.sentences[i])'")
            let maxDiff = zip(row(i), expected).map { abs($0 - $1) }.max()!
            #expect(maxDiff < 1e-4, "max element difference \(maxDiff) for '\(reference.sentences[i])'")
        }
        let similar = cos(row(0), row(1))  // "A man is eating food." / "A man is eating a piece of bread."
        let unrelated = cos(row(0), row(4))
        print("MiniLM: cos(food, bread) = \(similar), cos(food, license) = \(unrelated)")
        #expect(abs(similar - 0.755) < 0.001)
        #expect(abs(unrelated) < 0.1)
    }
}
