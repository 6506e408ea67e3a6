/// The report page's inline CSS: light by default, dark under `prefers-color-scheme: dark`, print-friendly.
/// Chart elements are coloured through classes so both themes apply to the SVG too.
enum Stylesheet {
    static let css = """
        :root{--bg:#ffffff;--fg:#1b1f24;--muted:#57606a;--grid:#e6e9ec;--axis:#8c959f;--card:#f6f8fa;--border:#d0d7de;\
        --s0:#0072B2;--s1:#D55E00;--s2:#009E73;--s3:#CC79A7;--s4:#E69F00;--s5:#56B4E9;--good:#1a7f37;--bad:#b42318;\
        --note-bg:#fff8c5;--note-border:#d4a72c}
        @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--grid:#262c34;--axis:#6e7681;\
        --card:#161b22;--border:#30363d;--s0:#56B4E9;--s1:#F08A4B;--s2:#2DBE8E;--s3:#E19AC4;--s4:#F0B53A;--s5:#9AD2F5;\
        --good:#3fb950;--bad:#f85149;--note-bg:#2d2611;--note-border:#9e7a1e}}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,\
        "Noto Sans","DejaVu Sans",sans-serif}
        main{max-width:1180px;margin:0 auto;padding:28px 32px 48px}
        h1{font-size:26px;margin:0 0 6px;font-weight:650;letter-spacing:-.01em}
        h2{font-size:20px;margin:40px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--border);font-weight:620}
        h3{font-size:15px;margin:22px 0 8px;font-weight:620}
        .meta{display:flex;flex-wrap:wrap;gap:4px 22px;color:var(--muted);margin:0 0 14px}
        .meta b{color:var(--fg);font-weight:600}
        .notice{background:var(--note-bg);border:1px solid var(--note-border);border-radius:6px;padding:10px 14px;\
        margin:12px 0 18px;font-weight:600}
        nav{font-size:13px;color:var(--muted);margin-bottom:8px}
        a,a:visited{color:var(--s0)}
        nav a{text-decoration:none;margin-right:14px}
        .badges span{display:inline-block;border:1px solid var(--border);border-radius:999px;padding:0 9px;\
        margin-right:6px;font-size:12px;color:var(--muted)}
        table{border-collapse:collapse;margin:6px 0 14px;font-variant-numeric:tabular-nums}
        th,td{padding:5px 12px;border-bottom:1px solid var(--border);text-align:left;vertical-align:top}
        th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
        td.num,th.num{text-align:right;white-space:nowrap}
        tbody tr:nth-child(even){background:var(--card)}
        table.long tbody tr{background:none}
        .ci{color:var(--muted);font-size:12px}
        .sig{font-weight:650}
        .good{color:var(--good)} .bad{color:var(--bad)}
        .row{display:flex;flex-wrap:wrap;gap:18px 36px;align-items:flex-start}
        .card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:10px 12px}
        .grid-charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:18px}
        .grid-charts.wide{grid-template-columns:repeat(auto-fill,minmax(520px,1fr))}
        .muted,p.note{color:var(--muted)}
        p.note{font-size:12.5px;margin:4px 0 10px}
        footer{margin-top:48px;color:var(--muted);font-size:12px;border-top:1px solid var(--border);padding-top:10px}
        svg.chart{max-width:100%;height:auto;display:block;font-family:inherit}
        svg .chart-title{font-size:13px;font-weight:620;fill:var(--fg)}
        svg .axis-title{font-size:11.5px;fill:var(--muted)}
        svg .tick{font-size:11px;fill:var(--muted)}
        svg .label{font-size:12px;fill:var(--fg)}
        svg .value{font-size:11px;font-weight:620;fill:var(--fg)}
        svg .value.good{fill:var(--good)} svg .value.bad{fill:var(--bad)}
        svg .grid{stroke:var(--grid);stroke-width:1}
        svg .axis{stroke:var(--axis);stroke-width:1}
        svg .whisker{stroke:var(--fg);stroke-width:1.4}
        svg .frame{fill:none;stroke:var(--border)}
        svg .legend-bar{stroke:var(--border)}
        svg .cell{font-size:12px;font-variant-numeric:tabular-nums}
        svg .cell.small{font-size:9px}
        svg .tick.small{font-size:9.5px}
        svg .line{fill:none;stroke-width:2;stroke-linejoin:round}
        svg .dashed{stroke-dasharray:7 4}
        svg .marker{stroke:var(--bg);stroke-width:1}
        svg .hatch-bg{fill:var(--bg)}
        svg .hatch{stroke-width:2.6}
        svg .bar-baseline{stroke-width:1.4}
        svg .bar.series-0{fill:var(--s0)}
        svg .line.series-0,svg .hatch.series-0,svg .bar-baseline.series-0{stroke:var(--s0)}
        svg .line.series-1,svg .hatch.series-1,svg .bar-baseline.series-1{stroke:var(--s1)}
        svg .line.series-2,svg .hatch.series-2,svg .bar-baseline.series-2{stroke:var(--s2)}
        svg .line.series-3,svg .hatch.series-3,svg .bar-baseline.series-3{stroke:var(--s3)}
        svg .line.series-4,svg .hatch.series-4,svg .bar-baseline.series-4{stroke:var(--s4)}
        svg .line.series-5,svg .hatch.series-5,svg .bar-baseline.series-5{stroke:var(--s5)}
        svg .marker.series-0,svg .series-text-0{fill:var(--s0)} svg .marker.series-1,svg .series-text-1{fill:var(--s1)}
        svg .marker.series-2,svg .series-text-2{fill:var(--s2)} svg .marker.series-3,svg .series-text-3{fill:var(--s3)}
        svg .marker.series-4,svg .series-text-4{fill:var(--s4)} svg .marker.series-5,svg .series-text-5{fill:var(--s5)}
        svg .series-label{font-size:11.5px;font-weight:600}
        @media print{main{max-width:none;padding:0}h2{break-after:avoid}.card,svg{break-inside:avoid}}
        """
}
