import Foundation
import Testing

@testable import Report

@Suite struct ChartTests {
    /// Plot area of a 540 × 280 line chart: x from 58 to 422 (540 − 118), y from 236 (280 − 44) up to 30.
    /// Steps 0…100 and values 0…1 are already nice, so (50, 0.5) is the centre (240, 133).
    @Test func lineChartGeometry() {
        let chart = LineChart(
            title: "t", xLabel: "step", yLabel: "v",
            series: [.init(label: "train", points: [(0, 0), (50, 0.5), (100, 1)], dashed: false)])
        let (x, y) = chart.scales()
        #expect(x.lower == 0 && x.upper == 100 && y.lower == 0 && y.upper == 1)
        #expect(x(50) == 240 && y(0.5) == 133)
        let svg = chart.render()
        #expect(svg.contains("points=\"58,236 240,133 422,30\""))
        #expect(svg.contains(">train</text>"))
        #expect(parseXML(svg).error == nil)
    }

    @Test func validationCurvesAreDashed() {
        let chart = LineChart(
            title: "t", xLabel: "step", yLabel: "v",
            series: [
                .init(label: "train", points: [(0, 1), (1, 2)], dashed: false),
                .init(label: "validation", points: [(0, 1.5), (1, 2.5)], dashed: true),
            ])
        let svg = chart.render()
        #expect(occurrences(of: "class=\"line series-0\"", in: svg) == 1)
        #expect(occurrences(of: "class=\"line series-1 dashed\"", in: svg) == 1)
    }

    @Test func longCurvesAreThinnedKeepingTheLastPoint() {
        let p = (0..<5000).map { (x: Double($0), y: Double($0)) }
        let t = LineChart.thinned(p)
        #expect(t.count <= LineChart.maximumPoints + 1 && t.first?.x == 0 && t.last?.x == 4999)
    }

    /// A 360 × 250 bar chart spans y from 198 (250 − 52) up to 42; values up to 0.9 with the whiskers give
    /// ticks 0…1, so 0.5 is 78 px high.
    @Test func barChartGeometry() {
        let chart = BarChart(
            title: "t", metric: "accuracy",
            bars: [
                .init(label: "model", value: 0.5, lower: 0.4, upper: 0.6),
                .init(label: "base", value: 0.9, lower: nil, upper: nil),
            ],
            id: "c1")
        let y = chart.scale()
        #expect(y.lower == 0 && y.upper == 1 && y(0) == 198 && y(1) == 42)
        let svg = chart.render()
        // Slot width (348 − 52) / 2 = 148, bar 56 wide centred at 126: x 98, from y(0.5) = 120 down to 198.
        #expect(svg.contains("x=\"98\" y=\"120\" width=\"56\" height=\"78\" class=\"bar series-0\""))
        #expect(svg.contains("fill=\"url(#c1-hatch-1)\"") && svg.contains("<pattern id=\"c1-hatch-1\""))
        #expect(svg.contains(">0.500</text>") && svg.contains(">0.900</text>"))
        #expect(parseXML(svg).error == nil)
    }

    /// A 420 × 300 reliability diagram plots confidence from x 52 to 406 and accuracy from y 242 up to 42: the bin
    /// (0.5, 0.6] with accuracy 0.5 is a bar from x 229.5 (half a pixel of gap), 34.4 wide, from y 142 to 242.
    @Test func reliabilityChartGeometry() {
        let summary = CalibrationSummary(
            ece: 0.1,
            bins: [
                .init(lower: 0, upper: 0.5, count: 0, accuracy: 0, confidence: 0),
                .init(lower: 0.5, upper: 0.6, count: 7, accuracy: 0.5, confidence: 0.55),
            ])
        let svg = ReliabilityChart(title: "r", summary: summary).render()
        #expect(svg.contains("x=\"229.5\" y=\"142\" width=\"34.4\" height=\"100\" class=\"bar series-0\""))
        #expect(occurrences(of: "class=\"bar series-0\"", in: svg) == 1, "empty bins draw nothing")
        #expect(svg.contains("x1=\"52\" y1=\"242\" x2=\"406\" y2=\"42\""), "the diagonal")
        #expect(svg.contains(">7</text>") && parseXML(svg).error == nil)
    }

    @Test func niceScales() {
        let a = Scale.linear(covering: [0.13, 0.87], pixels: (0, 100))
        #expect(
            a.ticks == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]
                || a.ticks.map { ($0 * 10).rounded() } == [0, 2, 4, 6, 8, 10])
        #expect(a.label(a.ticks[3]) == "0.6")
        let b = Scale.linear(covering: [3, 3], pixels: (0, 100))
        #expect(b.lower < 3 && b.upper > 3)
        let c = Scale.linear(covering: [120, 2950], include: [0], pixels: (0, 100))
        #expect(c.lower == 0 && c.upper == 3000 && c.label(1000) == "1000")
        let l = Scale.log(covering: [9.7, 38.4], pixels: (0, 100))
        #expect(l.lower == 1 && l.upper == 100 && l.ticks == [1, 2, 5, 10, 20, 50, 100])
        #expect(abs(l(10) - 50) < 1e-9)
        #expect(Scale.niceStep(0.17) == 0.2 && Scale.niceStep(3) == 5 && Scale.niceStep(7000) == 10_000)
    }

    @Test func heatmapPrintsEveryValueWithContrastingText() {
        let map = Heatmap(
            title: "m", rowTitle: "gold", columnTitle: "predicted", rows: ["a", "b"], columns: ["a", "b"],
            shade: [[1, 0], [0.25, 0.75]], text: [["10", "0"], ["1", "3"]], ramp: .sequential, legend: ("0", "1"),
            id: "h")
        let svg = map.render()
        for v in [">10</text>", ">0</text>", ">1</text>", ">3</text>"] { #expect(svg.contains(v)) }
        // The darkest cell gets white text, the lightest black.
        #expect(Palette.sequential(1).textColor == "#FFFFFF" && Palette.sequential(0).textColor == "#111111")
        #expect(
            Palette.diverging(0).hex == "#F7F7F7" && Palette.diverging(-1).hex == "#B2182B"
                && Palette.diverging(1).hex == "#2166AC")
        #expect(parseXML(svg).error == nil)
    }

    @Test func formats() {
        #expect(
            Format.metric(0.96023) == "0.960" && Format.metric(38.44) == "38.44" && Format.metric(138.44) == "138.4"
                && Format.metric(12345) == "12345")
        #expect(
            Format.metric(0.0004) == "4.00e-04" && Format.metric(0) == "0.000" && Format.metric(-0.0001) == "-1.00e-04")
        #expect(Format.delta(0.0061) == "+0.006" && Format.delta(-0.006) == "-0.006" && Format.delta(0) == "0.000")
        #expect(Format.fixed(-0.0001, 3) == "0.000")
        #expect(Format.pValue(0.000999) == "<0.001" && Format.pValue(0.4123) == "0.412")
        #expect(Format.count(48210) == "48,210" && Format.count(-1234567) == "-1,234,567" && Format.count(7) == "7")
        #expect(Format.change(from: 38.4, to: 9.7) == "-74.7%" && Format.change(from: 10, to: 10) == "0.0%")
        #expect(Format.coordinate(240.04) == "240" && Format.coordinate(12.25) == "12.3")
    }
}
