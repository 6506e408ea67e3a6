import Foundation
import Testing

@testable import Datasets

/// The assets `scripts/fetch-assets` produced, named by `$FINETUNED_ASSETS` (e.g. `FINETUNED_ASSETS=$PWD/assets
/// swift test`). Opt-in: reading all 35k rows takes ~8 s in a debug build.
let fetchedAssets: String? = ProcessInfo.processInfo.environment["FINETUNED_ASSETS"]

/// Checks the fetched task data against MANIFEST.json with this package's readers.
@Suite(.enabled(if: fetchedAssets != nil, "set FINETUNED_ASSETS to the folder scripts/fetch-assets filled"))
struct FetchedAssetsTests {
    struct Manifest: Decodable {
        struct SplitCounts: Decodable {
            let rows: Int
            let label: [String: Int]?
            let coarse: [String: Int]?
        }
        let tasks: [String: [String: SplitCounts]]
    }

    @Test(arguments: ["spam", "trec", "sentiment", "licenses"])
    func splitsReadCleanlyMatchTheManifestAndDoNotOverlap(task: String) throws {
        let assets = fetchedAssets!
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: assets + "/MANIFEST.json")))
        let field = task == "trec" ? "coarse" : "label"
        var textsBySplit: [String: Set<String>] = [:]
        for split in ["train", "validation", "test"] {
            let source = DataSource(
                path: "data/\(task)/\(split).jsonl", format: .jsonl,
                mapping: FieldMapping(text: "text", label: field, labelType: .string), directory: assets)
            let (records, summary) = try source.readAll(policy: .fail)
            let expected = try #require(manifest.tasks[task]?[split])
            #expect(summary.skipped == 0 && records.count == expected.rows, "\(task)/\(split)")
            var counts: [String: Int] = [:]
            for r in records { counts[r.label!.key, default: 0] += 1 }
            #expect(counts == (task == "trec" ? expected.coarse : expected.label), "\(task)/\(split)")
            textsBySplit[split] = Set(records.map { Deduplicator.key($0.text, .whitespaceAndCase) })
            #expect(textsBySplit[split]!.count == records.count, "\(task)/\(split) has duplicates")
        }
        #expect(textsBySplit["train"]!.isDisjoint(with: textsBySplit["test"]!))
        #expect(textsBySplit["train"]!.isDisjoint(with: textsBySplit["validation"]!))
        #expect(textsBySplit["validation"]!.isDisjoint(with: textsBySplit["test"]!))
    }
}
