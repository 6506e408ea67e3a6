import Foundation
import PipelineCore
import StageKit
import Testing

/// Every way a pipeline file can be wrong, each with the exact location and message the user sees.
@Suite struct MalformedPipelineTests {
    static let registry = PluginRegistry(plugins: [
        PluginInfo(
            description: PluginDescription(
                name: "train", version: "1", summary: "",
                params: ParamSchema([
                    ParamSpec("steps", .integer(minimum: 1), default: 10),
                    ParamSpec("lr", .number(minimum: 0), default: 0.001),
                    ParamSpec("corpus", .dataRef),
                    ParamSpec("objective", .oneOf(["mlm", "clm"]), default: "mlm"),
                    ParamSpec("tasks", .map(.object([ParamSpec("kind", .oneOf(["classification", "regression"]), required: true)]))),
                ])), executable: "/bin/true", digest: "0"),
        PluginInfo(
            description: PluginDescription(name: "tokenize", version: "1", summary: "", params: ParamSchema([])),
            executable: "/bin/true", digest: "0"),
    ])

    /// (pipeline text, expected diagnostics as "line:column: message").
    static let cases: [(String, [String])] = [
        // 1. YAML syntax error.
        ("version: 1\nstages:\n  a: [plugin: train\n", ["4:1: YAML syntax: did not find expected ',' or ']'"]),
        // 2. Tab indentation (a scanner error).
        ("version: 1\nstages:\n\ta: {plugin: train}\n", ["3:1: YAML syntax: found character that cannot start any token"]),
        // 3. Not a mapping at the top.
        ("- version: 1\n", ["1:1: the pipeline must be a mapping, found a sequence"]),
        // 4. Missing version and stages.
        ("name: x\n", ["1:1: missing required key 'version' in the pipeline", "1:1: missing required key 'stages' in the pipeline"]),
        // 5. Unsupported version.
        ("version: 2\nstages:\n  a: {plugin: train}\n", ["1:10: unsupported pipeline format version 2"]),
        // 6. Version of the wrong type.
        ("version: one\nstages:\n  a: {plugin: train}\n", ["1:10: 'version' must be an integer, found a string"]),
        // 7. Unknown top-level key with a suggestion.
        ("version: 1\nstgaes: {}\nstages:\n  a: {plugin: train}\n", ["2:1: unknown key 'stgaes' in the pipeline"]),
        // 8. Duplicate key, located at the second occurrence.
        ("version: 1\nstages:\n  a: {plugin: train}\n  b: {plugin: train}\n  a: {plugin: tokenize}\n", ["5:3: duplicate key 'a'"]),
        // 9. Unknown plugin.
        ("version: 1\nstages:\n  a: {plugin: tokenise}\n", ["3:15: unknown plugin 'tokenise'"]),
        // 10. Missing plugin.
        ("version: 1\nstages:\n  a: {after: []}\n", ["3:6: missing required key 'plugin' in stage 'a'"]),
        // 11. Unknown stage in `after`.
        ("version: 1\nstages:\n  a: {plugin: train}\n  b: {plugin: train, after: [c]}\n", ["4:30: unknown stage 'c' in 'after' of stage 'b'"]),
        // 12. A cycle of three, reported once, at the edge that closes it.
        ("version: 1\nstages:\n  a: {plugin: train, after: [c]}\n  b: {plugin: train, after: [a]}\n  c: {plugin: train, after: [b]}\n",
         ["3:30: stages form a cycle: a → b → c → a"]),
        // 13. A stage after itself.
        ("version: 1\nstages:\n  a: {plugin: train, after: [a]}\n", ["3:30: stage 'a' cannot run after itself"]),
        // 14. Parameter of the wrong type.
        ("version: 1\nstages:\n  a:\n    plugin: train\n    with:\n      steps: many\n", ["6:14: stage 'a' (train): steps: expected an integer, found a string"]),
        // 15. Parameter out of range.
        ("version: 1\nstages:\n  a:\n    plugin: train\n    with:\n      steps: 0\n", ["6:14: stage 'a' (train): steps: must be at least 1, found 0"]),
        // 16. Unknown parameter.
        ("version: 1\nstages:\n  a:\n    plugin: train\n    with:\n      step: 3\n",
         ["6:7: stage 'a' (train): step: unknown parameter 'step' (did you mean 'steps'?); expected one of: steps, lr, corpus, objective, tasks"]),
        // 17. Enum value with a typo, nested in a map.
        ("version: 1\nstages:\n  a:\n    plugin: train\n    with:\n      tasks:\n        spam: {kind: clasification}\n",
         ["7:22: stage 'a' (train): tasks.spam.kind: 'clasification' is not one of classification, regression (did you mean 'classification'?)"]),
        // 18. A data reference parameter naming no data input.
        ("version: 1\ndata:\n  legal: {path: data/a.txt}\nstages:\n  a:\n    plugin: train\n    with: {corpus: legl}\n",
         ["7:20: unknown data input 'legl'"]),
        // 19. Data path matching nothing.
        ("version: 1\ndata:\n  legal: {path: data/missing/*.txt}\nstages:\n  a: {plugin: train}\n",
         ["3:17: data input 'legal': no file matches 'data/missing/*.txt'"]),
        // 20. Unknown data format.
        ("version: 1\ndata:\n  legal: {path: data/a.txt, format: jsonlines}\nstages:\n  a: {plugin: train}\n",
         ["3:37: unknown data format 'jsonlines'"]),
        // 21. Unknown input in `inputs`.
        ("version: 1\ndata:\n  legal: {path: data/a.txt}\nstages:\n  a: {plugin: tokenize, inputs: [legal, spam]}\n",
         ["5:41: unknown data input 'spam' in 'inputs' of stage 'a'"]),
        // 22. `with` that is not a mapping.
        ("version: 1\nstages:\n  a: {plugin: train, with: 3}\n", ["3:28: 'with' must be a mapping of parameters, found an integer"]),
        // 23. A bad timeout.
        ("version: 1\nstages:\n  a: {plugin: train, timeout: soon}\n", ["3:31: 'timeout' must be a duration such as 90, 30s, 15m or 2h"]),
        // 24. Invalid stage name.
        ("version: 1\nstages:\n  a b: {plugin: train}\n", ["3:3: invalid stage name 'a b'"]),
        // 25. Several problems at once, all reported.
        ("version: 1\nstages:\n  a: {plugin: trian}\n  b: {plugin: train, after: [x], with: {lr: -1}}\n",
         ["3:15: unknown plugin 'trian'", "4:30: unknown stage 'x' in 'after' of stage 'b'",
          "4:45: stage 'b' (train): lr: must be at least 0.0, found -1.0"]),
        // 26. Empty stages.
        ("version: 1\nstages: {}\n", ["2:9: 'stages' is empty"]),
        // 27. `with` as a sequence (trapped in the validator before issue 8), and every other non-mapping shape.
        ("version: 1\nstages:\n  a: {plugin: tokenize}\n  b: {plugin: train, with: [1]}\n",
         ["4:28: 'with' must be a mapping of parameters, found a sequence"]),
        ("version: 1\nstages:\n  a: {plugin: train, with: 'x'}\n", ["3:28: 'with' must be a mapping of parameters, found a string"]),
        // 28. A timeout that would overflow a count of milliseconds (trapped at run time before issue 8).
        ("version: 1\nstages:\n  a: {plugin: train, timeout: 1e300}\n", ["3:31: 'timeout' must be a duration such as 90, 30s, 15m or 2h"]),
        ("version: 1\nstages:\n  a: {plugin: train, timeout: 1e300h}\n", ["3:31: 'timeout' must be a duration such as 90, 30s, 15m or 2h"]),
        ("version: 1\nstages:\n  a: {plugin: train, timeout: .inf}\n", ["3:31: 'timeout' must be a duration such as 90, 30s, 15m or 2h"]),
        // 28b. A negative seed (plugins convert it to UInt64: a trap in the stage before).
        ("version: 1\nseed: -1\nstages:\n  a: {plugin: train}\n", ["2:7: 'seed' must be 0 or more, found -1"]),
        // 29. Other shapes where a mapping or a list is expected.
        ("version: 1\nstages:\n  a: [plugin, train]\n", ["3:6: stage 'a' must be a mapping, found a sequence"]),
        ("version: 1\nstages:\n  a: {plugin: [train]}\n", ["3:15: 'plugin' must be a string, found a sequence"]),
        ("version: 1\nstages:\n  a: {plugin: train, after: {x: 1}}\n", ["3:29: 'after' must be a list of names, found a mapping"]),
        ("version: 1\nmodel: [x]\nstages:\n  a: {plugin: train}\n", ["2:8: 'model' must be a mapping, found a sequence"]),
        ("version: 1\ndata: [x]\nstages:\n  a: {plugin: train}\n", ["2:7: 'data' must be a mapping of input names to inputs, found a sequence"]),
        ("version: 1\ndata:\n  d: [x]\nstages:\n  a: {plugin: train}\n", ["3:6: data input 'd' must be a mapping, found a sequence"]),
    ]

    @Test(arguments: Array(cases.enumerated()))
    func reportsLocatedErrors(index: Int, testCase: (String, [String])) throws {
        let ws = try Workspace()
        try ws.write("data/a.txt", "text\n")
        let file = ws.root + "/p.yaml"
        let validator = PipelineValidator(registry: Self.registry)
        do {
            _ = try validator.validate(text: testCase.0, file: file)
            Issue.record("case \(index + 1): expected errors, got a valid pipeline")
        } catch let invalid as PipelineInvalid {
            let got = invalid.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
            #expect(got == testCase.1, "case \(index + 1)")
            #expect(invalid.diagnostics.allSatisfy { $0.location.file == file })
        }
    }

    @Test func validPipelineHasNoDiagnostics() throws {
        let ws = try Workspace()
        try ws.write("data/a.txt", "text\n")
        let text = "version: 1\ndata:\n  legal: data/*.txt\nstages:\n  tok: {plugin: tokenize, inputs: [legal]}\n  a: {plugin: train, after: tok, with: {corpus: legal, lr: 5e-5}}\n"
        let pipeline = try PipelineValidator(registry: Self.registry).validate(text: text, file: ws.root + "/p.yaml")
        #expect(Array(pipeline.stages.keys) == ["tok", "a"])
        #expect(pipeline.stages["a"]!.params["lr"] == JSONValue.double(5e-5))
        #expect(pipeline.stages["a"]!.data == ["legal"])
        #expect(pipeline.name == "p")
    }

    @Test func dataOutsideTheAllowedRootsIsRefused() throws {
        let ws = try Workspace()
        try ws.write("inside/a.txt", "x\n")
        try ws.write("outside/b.txt", "y\n")
        try FileManager.default.createSymbolicLink(atPath: ws.root + "/inside/link.txt", withDestinationPath: ws.root + "/outside/b.txt")
        let validator = PipelineValidator(registry: Self.registry, resolver: DataResolver(allowedRoots: [ws.root + "/inside"]))
        for path in ["outside/b.txt", "inside/../outside/b.txt", "inside/link.txt"] {
            let text = "version: 1\ndata:\n  d: {path: \(path)}\nstages:\n  a: {plugin: tokenize, inputs: [d]}\n"
            #expect(throws: PipelineInvalid.self) { try validator.validate(text: text, file: ws.root + "/p.yaml") }
        }
        let ok = "version: 1\ndata:\n  d: {path: inside/a.txt}\nstages:\n  a: {plugin: tokenize, inputs: [d]}\n"
        _ = try validator.validate(text: ok, file: ws.root + "/p.yaml")
    }
}
