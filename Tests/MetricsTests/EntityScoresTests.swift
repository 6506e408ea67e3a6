import Testing

@testable import Metrics

@Suite struct EntityScoresTests {
    @Test(arguments: Golden.shared.tagging.map(\.name))
    func matchesSeqeval(_ name: String) throws {
        let c = try #require(Golden.shared.tagging.first { $0.name == name })
        let s = try EntityScores(gold: c.gold, predicted: c.predicted)
        #expect(close(s.precision, c.precision) && close(s.recall, c.recall) && close(s.f1, c.f1))
        #expect(close(s.macroF1, c.macroF1))
        #expect(s.perType.map(\.type) == c.perType.keys.sorted())
        for row in s.perType {
            let expected = try #require(c.perType[row.type])
            #expect(close(row.precision, expected.precision) && close(row.recall, expected.recall))
            #expect(close(row.f1, expected.f1) && row.support == expected.support)
        }
        // seqeval flattens sentences with an `O` between them: compare its spans sentence by sentence.
        for (i, tags) in c.gold.enumerated() {
            let expected = c.goldEntities[i].map { e -> EntitySpan in
                guard case .string(let t) = e[0], case .int(let a) = e[1], case .int(let b) = e[2] else {
                    return EntitySpan(type: "?", start: -1, end: -1)
                }
                return EntitySpan(type: t, start: a, end: b)
            }
            #expect(try EntitySpan.parse(tags) == expected, "sentence \(i)")
        }
    }

    /// conlleval reading: `I-` after `O` opens an entity; a type change inside `I-` splits; `B-` always opens.
    @Test(arguments: [
        (
            ["B-PER", "I-PER", "O", "B-LOC"],
            [EntitySpan(type: "PER", start: 0, end: 1), EntitySpan(type: "LOC", start: 3, end: 3)]
        ),
        (["I-PER", "I-PER"], [EntitySpan(type: "PER", start: 0, end: 1)]),
        (["B-PER", "I-LOC"], [EntitySpan(type: "PER", start: 0, end: 0), EntitySpan(type: "LOC", start: 1, end: 1)]),
        (["B-PER", "B-PER"], [EntitySpan(type: "PER", start: 0, end: 0), EntitySpan(type: "PER", start: 1, end: 1)]),
        (["O", "O"], []),
        ([], []),
        (["B-A-B", "I-A-B"], [EntitySpan(type: "A-B", start: 0, end: 1)]),
    ])
    func parsesSpans(tags: [String], expected: [EntitySpan]) throws {
        #expect(try EntitySpan.parse(tags) == expected)
    }

    /// gold: PER(0-1), LOC(3); predicted: PER(0-1), LOC(2-3) → 1 hit of 2 gold, 2 predicted: P = R = F1 = 1/2.
    @Test func handComputed() throws {
        let s = try EntityScores(
            gold: [["B-PER", "I-PER", "O", "B-LOC"]], predicted: [["B-PER", "I-PER", "B-LOC", "I-LOC"]])
        #expect(s.precision == 0.5 && s.recall == 0.5 && s.f1 == 0.5)
        #expect(s.perType.map(\.type) == ["LOC", "PER"] && s.perType[0].f1 == 0 && s.perType[1].f1 == 1)
        #expect(s.macroF1 == 0.5 && s.goldEntities == 2 && s.predictedEntities == 2)
    }

    @Test func noEntitiesAnywhereScoresZero() throws {
        let s = try EntityScores(gold: [["O", "O"]], predicted: [["O", "O"]])
        #expect(s.f1 == 0 && s.perType.isEmpty && s.macroF1 == 0)
    }

    @Test func badInputThrows() {
        func kind(_ gold: [[String]], _ predicted: [[String]]) -> MetricsError.Kind? {
            do {
                _ = try EntityScores(gold: gold, predicted: predicted)
                return nil
            } catch { return (error as? MetricsError)?.kind }
        }
        #expect(kind([], []) == .empty)
        #expect(kind([["O"]], []) == .lengthMismatch)
        #expect(kind([["O", "O"]], [["O"]]) == .lengthMismatch)
        for bad in ["PER", "B-", "E-PER", "S-PER", "b-PER", "", "BPER"] {
            #expect(kind([["O", bad]], [["O", "O"]]) == .invalidTag, "\(bad)")
        }
    }
}
