"""The dashboard's stylesheet, inlined into the page (no external file, no web font)."""

STYLE = """
:root {
  --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --panel: #ffffff; --page: #f4f6f8;
  --accent: #2563eb; --accent-soft: #bfd3fb; --second: #f59e0b; --bad: #b91c1c;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--page);
}
* { box-sizing: border-box; }
body { margin: 0; }
header.top { padding: 18px 28px 8px; background: var(--panel); border-bottom: 1px solid var(--line); }
header.top h1 { margin: 0 0 4px; font-size: 22px; }
header.top p { margin: 0; color: var(--muted); font-size: 13px; }
nav.tabs { display: flex; gap: 4px; padding: 0 28px; background: var(--panel); border-bottom: 1px solid var(--line); }
nav.tabs button {
  border: 0; background: none; padding: 12px 16px; font-size: 15px; cursor: pointer; color: var(--muted);
  border-bottom: 3px solid transparent;
}
nav.tabs button[aria-selected="true"] { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
main { padding: 16px 28px 40px; }
section.panel[hidden] { display: none; }
h2 { font-size: 18px; margin: 24px 0 8px; }
.filters {
  display: flex; flex-wrap: wrap; gap: 14px; align-items: end; padding: 12px 14px; margin-bottom: 14px;
  background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
}
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 4px; }
.filters select { font-size: 14px; padding: 5px 8px; min-width: 130px; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 14px; }
.kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.kpi .name { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.kpi .value { font-size: 24px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; }
.kpi .hint { font-size: 11px; color: var(--muted); min-height: 14px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 14px; }
figure.card { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; min-width: 0; }
figure.card.wide { grid-column: 1 / -1; }
figcaption h3 { margin: 0; font-size: 15px; }
figcaption .note { margin: 2px 0 8px; font-size: 12px; color: var(--muted); min-height: 15px; }
svg.chart { width: 100%; height: auto; display: block; font-size: 12px; }
svg.chart text { fill: var(--ink); }
svg.chart .label { fill: var(--ink); }
svg.chart .value, svg.chart .axis text { fill: var(--muted); font-variant-numeric: tabular-nums; }
svg.chart .bar rect { fill: var(--accent); }
svg.chart .bar.dim rect { fill: var(--accent-soft); }
svg.chart .bar.negative rect { fill: var(--second); }
svg.chart .grid-line { stroke: var(--line); }
svg.chart .zero { stroke: var(--muted); }
svg.chart .series-0 { stroke: var(--accent); }
svg.chart .series-1 { stroke: var(--second); }
svg.chart circle.series-0, svg.chart rect.series-0 { fill: var(--accent); }
svg.chart circle.series-1, svg.chart rect.series-1 { fill: var(--second); }
svg.chart polyline { fill: none; stroke-width: 2; }
svg.chart .empty { fill: var(--muted); font-size: 14px; }
svg.chart .tile text { font-size: 13px; font-weight: 600; pointer-events: none; }
svg.chart .tile text.on-dark { fill: #ffffff; }
figure[data-testid="chart-state-map"] svg.chart { max-width: 760px; margin: 0 auto; }
figcaption label { float: right; display: inline-flex; gap: 6px; align-items: center; font-size: 12px;
  color: var(--muted); }
figcaption label select { font-size: 13px; padding: 3px 6px; border: 1px solid var(--line); border-radius: 6px; }
svg.chart .tile rect { stroke: #fff; stroke-width: 1; }
svg.chart .tile.selected rect { stroke: var(--ink); stroke-width: 2.5; }
.table-wrap { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data th, table.data td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; }
table.data th { font-size: 12px; color: var(--muted); cursor: pointer; user-select: none; white-space: nowrap; }
table.data th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.data th[aria-sort="descending"]::after { content: " \\25BC"; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data td[data-col="changed_at"], table.data td[data-col="month"] { white-space: nowrap; }
table.data tr.highlight td { background: #fff7e0; font-weight: 600; }
.table-note { font-size: 12px; color: var(--muted); margin-top: 6px; }
.error { background: #fde8e8; color: var(--bad); padding: 12px 16px; border-radius: 8px; margin: 12px 28px; }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 24px; }
"""
