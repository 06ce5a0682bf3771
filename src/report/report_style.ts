/**
 * The report's stylesheet, inlined into the page so the file needs nothing else to render: system fonts
 * only, no web fonts, no images. Colours meet WCAG AA contrast on white; focus outlines are kept.
 */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa;
  --accent: #0a5cad; --bar: #cfe3f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
  sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
a { color: var(--accent); }
a:focus-visible, summary:focus-visible { outline: 3px solid #e69f00; outline-offset: 2px; }
.report-header { border-bottom: 1px solid var(--line); padding-bottom: 12px; margin-bottom: 8px; }
.eyebrow { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: .08em; font-size: 12px; }
h1 { margin: 2px 0 12px; font-size: 30px; line-height: 1.2; word-break: break-word; }
h1 .version { color: var(--muted); font-weight: 500; margin-left: 2px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 8px 24px; margin: 0; }
dl.facts div { min-width: 0; }
dl.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
nav.toc ul { display: flex; flex-wrap: wrap; gap: 4px 18px; list-style: none; padding: 0; margin: 12px 0 0; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding-bottom: 4px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; font-size: 13px; }
tbody th { font-weight: 500; }
td.num { text-align: right; white-space: nowrap; }
td.bar-cell { position: relative; min-width: 96px; }
td.bar-cell .bar { position: absolute; left: 0; bottom: 2px; height: 4px; background: #6ea8dc; border-radius: 2px; }
td.bar-cell .bar-value { position: relative; }
.scroll { overflow-x: auto; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 0 36px;
  align-items: start; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px 28px; }
figure { margin: 8px 0; min-width: 0; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; max-width: 70ch; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 11px; font-family: inherit; }
svg.chart .grid line { stroke: #eaeef2; stroke-width: 1; }
svg.chart .axis line { stroke: #6e7781; stroke-width: 1; }
svg.chart .axis text, svg.chart .tick { fill: var(--muted); }
svg.chart .axis-label { fill: var(--ink); font-size: 12px; }
svg.chart path.series { fill: none; stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .diagonal { stroke: #8c959f; stroke-dasharray: 4 4; stroke-width: 1; }
svg.chart .marker line { stroke: #57606a; stroke-dasharray: 3 3; stroke-width: 1.2; }
svg.chart .marker text { fill: var(--ink); font-size: 11px; }
svg.heat-map rect.cell { stroke: #fff; stroke-width: 1; }
svg.heat-map rect.frame { stroke: #8c959f; }
svg.heat-map text.count { fill: #1f2328; font-weight: 600; }
svg.heat-map text.count.light { fill: #fff; }
ul.legend { display: flex; flex-wrap: wrap; gap: 2px 16px; list-style: none; padding: 0; margin: 4px 0 0;
  font-size: 13px; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
.note { color: var(--muted); font-style: italic; }
ul.notes { color: var(--muted); font-size: 13px; }
.warn { color: #a40e26; font-weight: 600; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px;
  overflow-x: auto; font-size: 13px; line-height: 1.45; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print { main { max-width: none; } details { display: block; } }
`;
