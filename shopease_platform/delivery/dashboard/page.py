"""The dashboard page: one self-contained HTML file with inline CSS, inline JavaScript and the data as JSON.

Nothing is fetched: no CDN, no font, no image, and a Content-Security-Policy that forbids any request, so the
file opens the same from a laptop, a file share or an air-gapped machine. Python writes the static skeleton
(every chart and table has a stable `data-testid`); the script draws the SVG charts and tables from the
embedded mart rows and redraws them when a filter changes.
"""

from __future__ import annotations

import html
import json
from typing import Any

from shopease_platform.delivery.dashboard.geo import TILE_GRID
from shopease_platform.delivery.dashboard.script import SCRIPT
from shopease_platform.delivery.dashboard.style import STYLE

TITLE = "ShopEase product popularity"
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def embed_json(payload: Any) -> str:
    """JSON safe inside <script>: no `</script>`, no `<!--`, and no `//` (so no URL-looking text) survives.

    `/` may only appear inside JSON strings, where `\\/` is a valid escape that parses back to `/`.
    """
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("/", "\\/")


def _select(testid: str, label: str) -> str:
    return f'<label>{html.escape(label)}<select data-testid="{testid}"></select></label>'


def _kpi(testid: str, name: str) -> str:
    return (
        f'<div class="kpi" data-testid="{testid}" data-value=""><div class="name">{html.escape(name)}</div>'
        '<div class="value">&ndash;</div><div class="hint"></div></div>'
    )


def _card(testid: str, title: str, wide: bool = False, controls: str = "") -> str:
    classes = "card wide" if wide else "card"
    return (
        f'<figure class="{classes}" data-testid="{testid}"><figcaption><h3>{html.escape(title)}</h3>{controls}'
        '<p class="note"></p></figcaption><div class="chart-body table-wrap"></div></figure>'
    )


def _popularity_tab() -> str:
    granularity = _select("trend-granularity", "Granularity")
    return f"""
<section class="panel" id="panel-popularity" data-testid="panel-popularity" role="tabpanel">
  <div class="filters">
    {_select("filter-pop-year", "Year")}{_select("filter-pop-month", "Month")}
    {_select("filter-pop-category", "Category")}{_select("filter-pop-store", "Store / branch")}
  </div>
  <div class="kpis">
    {_kpi("kpi-pop-sales", "Sales ($)")}{_kpi("kpi-pop-quantity", "Units sold")}
    {_kpi("kpi-pop-orders", "Orders")}{_kpi("kpi-pop-products", "Products sold")}
    {_kpi("kpi-pop-concentration", "Top 5% of customers' share of sales")}
  </div>
  <div class="grid">
    {_card("chart-top-orders", "Top 10 products by orders")}
    {_card("chart-top-quantity", "Top 10 products by units sold")}
    {_card("chart-revenue-leaders", "Revenue leaders ($)")}
    {_card("chart-category-performance", "Category performance: sales ($)")}
    {_card("chart-order-trend", "Order count trend (orders)", wide=True, controls=granularity)}
    {_card("table-category-performance", "Category performance", wide=True)}
    {_card("table-popularity", "Popularity ranking", wide=True)}
  </div>
</section>"""


def _states_tab() -> str:
    return f"""
<section class="panel" id="panel-states" data-testid="panel-states" role="tabpanel" hidden>
  <div class="filters">
    {_select("filter-geo-year", "Year")}{_select("filter-geo-month", "Month")}
    {_select("filter-geo-category", "Category")}{_select("filter-geo-product", "Product (drill-down)")}
    {_select("filter-geo-metric", "Colour by")}
  </div>
  <div class="kpis">
    {_kpi("kpi-geo-sales", "Sales ($)")}{_kpi("kpi-geo-quantity", "Units sold")}
    {_kpi("kpi-geo-orders", "Orders")}{_kpi("kpi-geo-states", "States with sales")}
  </div>
  <div class="grid">
    {_card("chart-state-map", "Popularity by state", wide=True)}
    {_card("chart-state-bars", "Top states")}
    {_card("table-state-ranking", "States ranked")}
    {_card("table-state-top-products", "#1 product per state", wide=True)}
  </div>
</section>"""


def _insights() -> str:
    return f"""
<section class="insights" data-testid="section-insights">
  <h2>Extra insights</h2>
  <div class="kpis">
    {_kpi("kpi-returning-share", "Orders from returning customers")}
    {_kpi("kpi-new-orders", "Orders from new customers")}
    {_kpi("kpi-returning-orders", "Orders from returning customers")}
    {_kpi("kpi-total-revenue", "Total revenue ($)")}
    {_kpi("kpi-top-customer-share", "Top 5% of customers' share of sales")}
  </div>
  <div class="grid">
    {_card("chart-new-returning", "New vs returning customers: orders per month", wide=True)}
    {_card("table-repeat-purchase", "Repeat purchase rate by product")}
    {_card("table-seasonal-spikes", "Seasonal spikes")}
    {_card("chart-category-elasticity", "Price sensitivity: median arc elasticity by category")}
    {_card("table-price-sensitivity", "Price changes and demand")}
  </div>
</section>"""


def render_dashboard(payload: dict[str, Any], title: str = TITLE) -> str:
    """The whole page as a string; `payload` comes from `collect_dashboard_data`."""
    meta = payload["meta"]
    coverage = f"Orders {meta['first_day']} to {meta['last_day']}" if meta.get("first_day") else "No orders yet"
    data = embed_json({**payload, "tiles": [list(tile) for tile in TILE_GRID]})
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header class="top">
  <h1>{html.escape(title)}</h1>
  <p data-testid="coverage">{html.escape(coverage)} · generated {html.escape(meta["generated_at"])} from the
  analytics marts · amounts in US dollars</p>
</header>
<nav class="tabs" role="tablist">
  <button role="tab" data-testid="tab-popularity" data-panel="panel-popularity" aria-selected="true">
    Product popularity trends</button>
  <button role="tab" data-testid="tab-states" data-panel="panel-states" aria-selected="false">
    Popularity by state</button>
</nav>
<main>
{_popularity_tab()}
{_states_tab()}
{_insights()}
</main>
<footer>ShopEase Analytics Platform · self-contained page: every number below is computed in this file from
the embedded mart rows.</footer>
<script type="application/json" id="dashboard-data">{data}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
