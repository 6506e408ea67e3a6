import Foundation
import Testing

@testable import Datasets

/// The assets `scripts/fetch-assets` produced: `$FINETUNED_ASSETS`, or `<repo>/assets` when
/// `FINETUNED_REQUIRE_ASSETS=1` (as `scripts/test` sets; then missing assets fail the tests). Otherwise the suite
/// is skipped: it reads all 35k rows (~3 s in a debug build).
let fetchedAssets: String? = {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["FINETUNED_ASSETS"] { return path }
    guard environment["FINETUNED_REQUIRE_ASSETS"] == "1" else { return nil }
    return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("assets").path
}()

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
    func splitsReadCleanlyMatchTheManifestAndDoNotOverlap(task: String) async throws {
        let assets = fetchedAssets!
        let manifest = try JSONDecoder().decode(
            Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: assets + "/MANIFEST.json")))
        let field = task == "trec" ? "coarse" : "label"
        var textsBySplit: [String: Set<String>] = [:]
        for split in ["train", "validation", "test"] {
            let source = DataSource(
                path: "data/\(task)/\(split).jsonl", format: .jsonl,
                mapping: FieldMapping(text: "text", label: field, labelType: .string), directory: assets)
            // Reading thousands of rows on a dispatch thread, not one of the few cooperative ones.
            let (records, summary) = try await offPool { try source.readAll(policy: .fail) }
            let expected = try #require(manifest.tasks[task]?[split])
            #expect(summary.skipped == 0 && records.count == expected.rows, "\(task)/\(split)")
            var counts: [String: Int] = [:]
            for r in records { counts[r.label!.key, default: 0] += 1 }
            #expect(counts == (task == "trec" ? expected.coarse : expected.label), "\(task)/\(split)")
            textsBySplit[split] = Set(records.map(\.text))
            #expect(textsBySplit[split]!.count == records.count, "\(task)/\(split) has duplicates")
        }
        #expect(textsBySplit["train"]!.isDisjoint(with: textsBySplit["test"]!))
        #expect(textsBySplit["train"]!.isDisjoint(with: textsBySplit["validation"]!))
        #expect(textsBySplit["validation"]!.isDisjoint(with: textsBySplit["test"]!))
    }
}
