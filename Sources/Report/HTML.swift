/// Escaping for text that goes into HTML or SVG: every name in a report comes from user data.
enum HTML {
    /// Escapes `& < > " '` and replaces characters HTML forbids (C0 controls other than tab, newline and
    /// carriage return, DEL, C1 controls, noncharacters U+FFFE/U+FFFF) with U+FFFD, so the result is safe in
    /// element content and in quoted attribute values, and still well-formed XML.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                let v = u.value
                if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0xFFFE || v == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// A short form of a long name for chart labels (the full name goes into a `<title>` tooltip and tables).
    static func truncated(_ s: String, to n: Int) -> String {
        s.count <= n ? s : String(s.prefix(max(1, n - 1))) + "…"
    }

    /// A fragment identifier made of the index only: names may hold anything, ids must not.
    static func id(_ prefix: String, _ index: Int) -> String { "\(prefix)-\(index + 1)" }
}
