/// A pattern over dotted parameter or module names: `*` matches any run of characters (dots included), `?` one
/// character, everything else itself; the whole name must match. `encoder.layer.*.attention.*` or `*.bias`.
public struct NamePattern: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let chars: [Character]

    public init(_ pattern: String) {
        self.pattern = pattern
        chars = Array(pattern)
    }

    public var description: String { pattern }

    /// Whether `name` matches the whole pattern (iterative wildcard matching, linear in practice, no recursion).
    public func matches(_ name: String) -> Bool {
        let s = Array(name)
        var (i, j) = (0, 0)
        var star = -1
        var mark = 0
        while i < s.count {
            if j < chars.count && (chars[j] == "?" || chars[j] == s[i]) {
                i += 1
                j += 1
            } else if j < chars.count && chars[j] == "*" {
                star = j
                mark = i
                j += 1
            } else if star >= 0 {
                j = star + 1
                mark += 1
                i = mark
            } else {
                return false
            }
        }
        while j < chars.count && chars[j] == "*" { j += 1 }
        return j == chars.count
    }
}
