import Foundation
import StageKit
import Testing

@Suite struct ParamSchemaTests {
    let schema = ParamSchema([
        ParamSpec("steps", .integer(minimum: 1), default: 100),
        ParamSpec("lr", .number(minimum: 0), default: 5e-5),
        ParamSpec("objective", .oneOf(["mlm", "clm"]), default: "mlm"),
        ParamSpec("corpus", .dataRef, required: true),
        ParamSpec("tasks", .map(.object([ParamSpec("kind", .oneOf(["classification", "regression"]), required: true)]))),
    ])

    @Test func fillsDefaultsAndWidensNumbers() {
        let (value, violations) = schema.canonicalize(["corpus": "legal", "lr": 1])
        #expect(violations.isEmpty)
        #expect(value == ["corpus": "legal", "lr": .double(1), "steps": 100, "objective": "mlm"])
        // `lr: 1` and `lr: 1.0` mean the same and must give the same key.
        #expect(value.canonicalJSON == schema.canonicalize(["corpus": "legal", "lr": 1.0]).value.canonicalJSON)
    }

    static let violations: [(JSONValue, String)] = [
        (["corpus": "x", "steps": 0], "steps: must be at least 1, found 0"),
        (["corpus": "x", "steps": "many"], "steps: expected an integer, found a string"),
        (["corpus": "x", "objective": "mln"], "objective: 'mln' is not one of mlm, clm (did you mean 'mlm'?)"),
        (["corpus": "x", "setps": 3], "setps: unknown parameter 'setps' (did you mean 'steps'?); expected one of: steps, lr, objective, corpus, tasks"),
        ([:], "missing required parameter 'corpus'"),
        (["corpus": "x", "tasks": ["spam": ["kind": "clasification"]]],
         "tasks.spam.kind: 'clasification' is not one of classification, regression (did you mean 'classification'?)"),
    ]

    @Test(arguments: violations)
    func reportsViolationsWithTheirPath(value: JSONValue, message: String) {
        let violations = schema.canonicalize(value).violations
        #expect(violations.map(\.description) == [message])
    }

    @Test func collectsDataReferences() {
        let value = schema.canonicalize(["corpus": "legal"]).value
        #expect(schema.dataReferences(in: value) == ["legal"])
    }

    @Test func schemaRoundTripsThroughJSON() throws {
        let json = try JSONValue(encoding: schema)
        #expect(try json.decoded(as: ParamSchema.self) == schema)
    }
}

@Suite struct JSONValueTests {
    @Test func canonicalFormSortsKeysAndIsCompact() {
        let value: JSONValue = ["b": [1, 2.5, "x\n"], "a": ["z": nil, "y": true], "é": 2.0]
        #expect(value.canonicalJSON == #"{"a":{"y":true,"z":null},"b":[1,2.5,"x\n"],"é":2.0}"#)
    }

    @Test func eventsRoundTrip() throws {
        let events: [StageEvent] = [
            .log(.warning, "careful"), .progress(done: 3, total: 10, unit: "step", message: nil),
            .metric(name: "loss", value: 0.25, step: 3, task: "spam"), .checkpoint(step: 3),
            .result(summary: ["ok": true]), .error(message: "boom"),
        ]
        for event in events {
            let data = try JSONEncoder.stageLine.encode(event)
            #expect(try JSONDecoder().decode(StageEvent.self, from: data) == event)
            #expect(!data.contains(0x0A))
        }
    }
}
