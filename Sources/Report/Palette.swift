import Foundation

/// Colours. Series use the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies) and
/// are also told apart by dash pattern, marker shape or hatching and by direct labels, never by colour alone.
/// Heatmaps print their values in every cell; their ramps are ColorBrewer's Blues (sequential) and RdBu
/// (diverging).
enum Palette {
    /// Sequential ramp for t in [0, 1]: near-white to dark blue.
    static func sequential(_ t: Double) -> RGB {
        interpolate([RGB(0xF7FBFF), RGB(0xC6DBEF), RGB(0x6BAED6), RGB(0x2171B5), RGB(0x08306B)], t)
    }

    /// Diverging ramp for v in [−1, 1]: red (negative) through near-white (0) to blue (positive).
    static func diverging(_ v: Double) -> RGB {
        interpolate(
            [RGB(0xB2182B), RGB(0xEF8A62), RGB(0xFDDBC7), RGB(0xF7F7F7), RGB(0xD1E5F0), RGB(0x67A9CF), RGB(0x2166AC)],
            (min(1, max(-1, v)) + 1) / 2)
    }

    static func interpolate(_ stops: [RGB], _ t: Double) -> RGB {
        let t = t.isFinite ? min(1, max(0, t)) : 0
        let x = t * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x.rounded(.down)))
        let f = x - Double(i)
        let a = stops[i], b = stops[i + 1]
        return RGB(r: a.r + (b.r - a.r) * f, g: a.g + (b.g - a.g) * f, b: a.b + (b.b - a.b) * f)
    }

    struct RGB: Hashable {
        var r, g, b: Double  // 0...255

        init(r: Double, g: Double, b: Double) {
            self.r = r
            self.g = g
            self.b = b
        }

        init(_ hex: Int) {
            self.init(r: Double((hex >> 16) & 0xFF), g: Double((hex >> 8) & 0xFF), b: Double(hex & 0xFF))
        }

        var hex: String {
            func h(_ v: Double) -> String {
                let s = String(Int(min(255, max(0, v.rounded()))), radix: 16, uppercase: true)
                return s.count == 1 ? "0" + s : s
            }
            return "#" + h(r) + h(g) + h(b)
        }

        /// WCAG relative luminance.
        var luminance: Double {
            func lin(_ v: Double) -> Double {
                let c = v / 255
                return c <= 0.03928 ? c / 12.92 : Foundation.pow((c + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
        }

        /// Black or white, whichever contrasts more with this colour (for the value printed on a cell).
        var textColor: String {
            let l = luminance
            return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#111111" : "#FFFFFF"
        }
    }
}
