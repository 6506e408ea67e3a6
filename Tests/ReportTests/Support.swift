import Foundation
import Testing

@testable import Report

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The hand-built report of Fixtures/hand-built-report.json: typed-in numbers for renderer tests (its `notice`
/// says so on the page), never results.
func handBuiltReport() throws -> Report {
    let url = try #require(
        Bundle.module.url(forResource: "hand-built-report", withExtension: "json", subdirectory: "Fixtures"))
    return try Report.decode(Data(contentsOf: url), file: url.lastPathComponent)
}

/// Parses a document as XML; returns the parser's error (nil when well-formed) and every element name seen.
func parseXML(_ s: String) -> (error: String?, elements: [String], ids: [String]) {
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var ids: [String] = []
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements.append(name)
            if let id = attributes["id"] { ids.append(id) }
        }
    }
    let parser = XMLParser(data: Data(s.utf8))
    let collector = Collector()
    parser.delegate = collector
    let ok = parser.parse()
    return (ok ? nil : (parser.parserError.map { "\($0)" } ?? "parse failed"), collector.elements, collector.ids)
}

/// Occurrences of `needle` in `haystack`.
func occurrences(of needle: String, in haystack: String) -> Int { haystack.components(separatedBy: needle).count - 1 }
