
(function () {
  "use strict";

  // ---------------------------------------------------------------- data
  const D = JSON.parse(document.getElementById("dashboard-data").textContent);
  const rowsOf = (ds) => ds.rows.map((row) => Object.fromEntries(ds.columns.map((c, i) => [c, row[i]])));
  const MONTHS = D.months;
  const PRODUCTS = D.products.map(([id, name, category]) => ({ id, name, category }));
  const STORES = D.stores.map(([id, name, kind]) => ({ id, name, kind }));
  const STATE_NAMES = Object.fromEntries(D.states);
  const SALES = rowsOf(D.sales);
  const TREND = rowsOf(D.trend);
  const POPULARITY = rowsOf(D.popularity);
  const LEADERS = rowsOf(D.leaders);
  const STORE_ROLLUP = rowsOf(D.store_rollup);
  const STATE_ROLLUP = rowsOf(D.state_rollup);
  const CONCENTRATION = rowsOf(D.concentration);
  const COMPLETE_MONTHS = new Set(D.meta.complete_months);
  const COMPLETE_YEARS = new Set(D.meta.complete_years);
  const STATE_PRODUCT = rowsOf(D.state_product);
  const STATE_TOP = rowsOf(D.state_top);
  const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];

  // The SVG namespace, taken from the HTML parser rather than written out: the file holds no URL at all.
  const SVG_NS = (() => {
    const probe = document.createElement("div");
    probe.innerHTML = "<svg></svg>";
    return probe.firstChild.namespaceURI;
  })();

  // ---------------------------------------------------------------- formatting
  const NF0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const NF2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const round2 = (v) => Math.round(v * 100) / 100;
  const DASH = "\u2013";
  const FMT = {
    money: (v) => (v == null ? DASH : (v < 0 ? "-$" : "$") + NF2.format(Math.abs(v))),
    count: (v) => (v == null ? DASH : NF0.format(v)),
    pct: (v) => (v == null ? DASH : (100 * v).toFixed(1) + "%"),
    ratio: (v) => (v == null ? DASH : v.toFixed(2)),
    text: (v) => (v == null ? DASH : String(v)),
  };
  const monthLabel = (iso) => MONTH_NAMES[Number(iso.slice(5, 7)) - 1].slice(0, 3) + " " + iso.slice(0, 4);
  const truncate = (s, n) => (s.length > n ? s.slice(0, n - 1) + "…" : s);

  // ---------------------------------------------------------------- DOM helpers
  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    return node;
  }
  const el = (tag, attrs, parent) => {
    const node = setAttrs(document.createElement(tag), attrs);
    if (parent) parent.appendChild(node);
    return node;
  };
  const svg = (tag, attrs, parent) => {
    const node = setAttrs(document.createElementNS(SVG_NS, tag), attrs);
    if (parent) parent.appendChild(node);
    return node;
  };
  const card = (testid) => document.querySelector(`[data-testid="${testid}"]`);
  // Clears a card for redrawing; `shown` ({grain, period}) records which period it shows, for other tools.
  function mount(testid, note, shown) {
    const root = card(testid);
    root.querySelector(".note").textContent = note || "";
    root.dataset.grain = shown ? shown.grain : "";
    root.dataset.period = shown && shown.period ? shown.period : "";
    const body = root.querySelector(".chart-body");
    body.replaceChildren();
    return body;
  }
  function setKpi(testid, value, format, hint) {
    const root = card(testid);
    root.dataset.value = value == null ? "" : String(format === FMT.money ? round2(value) : value);
    root.querySelector(".value").textContent = format(value);
    root.querySelector(".hint").textContent = hint || "";
  }
  function fillSelect(testid, options, allLabel) {
    const select = card(testid);
    const current = select.value;
    select.replaceChildren();
    if (allLabel) el("option", { value: "", text: allLabel }, select);
    for (const [value, label] of options) el("option", { value: String(value), text: label }, select);
    if ([...select.options].some((o) => o.value === current)) select.value = current;
    return select;
  }
  const sum = (rows, key) => rows.reduce((total, row) => total + (row[key] || 0), 0);

  // ---------------------------------------------------------------- charts
  function emptyChart(body, width, height) {
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img" }, body);
    svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty", "data-testid": "empty",
      text: "No data for this selection" }, root);
    return root;
  }

  // Horizontal bars; items: {key, label, value, dim}. Handles negative values (a zero line is drawn).
  function barChart(body, items, format, label) {
    const width = 660, left = 220, right = 100, row = 26, pad = 6;
    const height = pad * 2 + Math.max(items.length, 1) * row;
    if (!items.length) return emptyChart(body, width, 80);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label },
      body);
    const values = items.map((item) => item.value);
    const lo = Math.min(0, ...values), hi = Math.max(0, ...values);
    const x = (v) => left + ((v - lo) / (hi - lo || 1)) * (width - left - right);
    items.forEach((item, i) => {
      const y = pad + i * row;
      const classes = ["bar", item.dim ? "dim" : "", item.value < 0 ? "negative" : ""].join(" ").trim();
      const g = svg("g", { class: classes, "data-testid": "bar", "data-key": item.key, "data-label": item.label,
        "data-value": round2(item.value) }, root);
      svg("title", { text: `${item.label}: ${format(item.value)}` }, g);
      svg("text", { x: left - 8, y: y + row / 2 + 4, "text-anchor": "end", class: "label",
        text: truncate(item.label, 32) }, g);
      const x0 = x(Math.min(0, item.value)), x1 = x(Math.max(0, item.value));
      svg("rect", { x: x0, y: y + 4, width: Math.max(1, x1 - x0), height: row - 8, rx: 2 }, g);
      svg("text", { x: x1 + 6, y: y + row / 2 + 4, class: "value", text: format(item.value) }, g);
    });
    if (lo < 0) svg("line", { x1: x(0), x2: x(0), y1: pad, y2: height - pad, class: "zero" }, root);
    return root;
  }

  function niceMax(value) {
    if (value <= 0) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  // Lines over shared categorical periods; series: {name, points: [{period, label, value}]}.
  function lineChart(body, series, format, label) {
    const width = 1100, height = 300, m = { left: 76, right: 40, top: 30, bottom: 40 };
    const periods = series.length ? series[0].points : [];
    if (!periods.length) return emptyChart(body, width, 120);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label },
      body);
    const plotW = width - m.left - m.right, plotH = height - m.top - m.bottom;
    const top = niceMax(Math.max(...series.flatMap((s) => s.points.map((p) => p.value))));
    const x = (i) => (periods.length === 1 ? m.left + plotW / 2 : m.left + (i * plotW) / (periods.length - 1));
    const y = (v) => m.top + plotH - (v / top) * plotH;
    const axis = svg("g", { class: "axis" }, root);
    for (let t = 0; t <= 4; t++) {
      const v = (top * t) / 4;
      svg("line", { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: "grid-line" }, axis);
      svg("text", { x: m.left - 8, y: y(v) + 4, "text-anchor": "end", text: format(v) }, axis);
    }
    const every = Math.ceil(periods.length / 10);
    periods.forEach((p, i) => {
      const last = i === periods.length - 1;
      if (i % every === 0 || (last && i % every >= every / 2)) {
        const anchor = periods.length > 1 && last ? "end" : i === 0 && periods.length > 1 ? "start" : "middle";
        svg("text", { x: x(i), y: height - m.bottom + 20, "text-anchor": anchor, text: p.label }, axis);
      }
    });
    series.forEach((s, index) => {
      const g = svg("g", { class: `series series-${index}`, "data-testid": "series", "data-series": s.name }, root);
      svg("polyline", { points: s.points.map((p, i) => `${x(i)},${y(p.value)}`).join(" "),
        class: `series-${index}` }, g);
      s.points.forEach((p, i) => {
        const dot = svg("circle", { cx: x(i), cy: y(p.value), r: periods.length > 90 ? 1.8 : 3.2,
          class: `series-${index}`, "data-testid": "point", "data-series": s.name, "data-period": p.period,
          "data-value": round2(p.value) }, g);
        svg("title", { text: `${s.name}, ${p.label}: ${format(p.value)}` }, dot);
      });
    });
    if (series.length > 1) {
      series.forEach((s, index) => {
        const lx = m.left + index * 240;
        const item = svg("g", { "data-testid": "legend-item", "data-series": s.name }, root);
        svg("rect", { x: lx, y: 6, width: 12, height: 12, class: `series-${index}` }, item);
        svg("text", { x: lx + 18, y: 16, text: s.name }, item);
      });
    }
    return root;
  }

  // Tile-grid map: one square per state, shaded in five equal-width bins of the metric.
  const PALETTE = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  const NO_DATA = "#e4e7eb";
  function tileMap(body, values, format, metricLabel, selected) {
    const size = 50, gap = 4, width = 12 * size, legendTop = 8 * size + 16, height = legendTop + 64;
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
      "aria-label": `States shaded by ${metricLabel}` }, body);
    const max = Math.max(0, ...Object.values(values));
    const binOf = (v) => (v > 0 && max > 0 ? Math.min(4, Math.ceil((v / max) * 5) - 1) : -1);
    for (const [code, col, row] of D.tiles) {
      const value = values[code] || 0;
      const bin = binOf(value);
      const g = svg("g", { class: code === selected ? "tile selected" : "tile", "data-testid": "state-tile",
        "data-state": code, "data-value": round2(value), "data-bin": bin }, root);
      svg("title", { text: `${STATE_NAMES[code] || code}: ${format(value)}` }, g);
      svg("rect", { x: col * size + gap / 2, y: row * size + gap / 2, width: size - gap, height: size - gap, rx: 4,
        fill: bin < 0 ? NO_DATA : PALETTE[bin] }, g);
      svg("text", { x: col * size + size / 2, y: row * size + size / 2 + 5, "text-anchor": "middle",
        class: bin >= 3 ? "on-dark" : "", text: code }, g);
    }
    const legend = svg("g", { "data-testid": "map-legend" }, root);
    svg("text", { x: 0, y: legendTop + 10, text: `${metricLabel} (equal ranges of the largest state)` }, legend);
    const entries = PALETTE.map((colour, i) => [colour, (max * i) / 5, (max * (i + 1)) / 5]);
    entries.push([NO_DATA, 0, 0]);
    entries.forEach(([colour, lo, hi], i) => {
      const lx = i * 100;
      const item = svg("g", { "data-testid": "legend-item", "data-min": round2(lo), "data-max": round2(hi) }, legend);
      svg("rect", { x: lx, y: legendTop + 20, width: 16, height: 16, rx: 3, fill: colour }, item);
      svg("text", { x: lx + 22, y: legendTop + 33,
        text: colour === NO_DATA ? "no sales" : `≤ ${format(hi)}` }, item);
    });
    svg("text", { x: 0, y: legendTop + 58, class: "value",
      text: "Tile grid: one equal square per state, not to scale. Outlined: the leading state." }, legend);
    return root;
  }

  // Sortable table; columns: {key, label, format, numeric}. Clicking a header sorts by it.
  function dataTable(body, columns, rows, options) {
    const state = { key: options.sort, desc: options.desc !== false };
    const limit = options.limit || 25;
    const tableEl = el("table", { class: "data", "data-testid": "table" }, body);
    const note = el("div", { class: "table-note" }, body);
    const compare = (a, b) => {
      const x = a[state.key], y = b[state.key];
      if (x == null && y == null) return 0;
      if (x == null) return 1;
      if (y == null) return -1;
      const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
      return state.desc ? -order : order;
    };
    function draw() {
      tableEl.replaceChildren();
      const head = el("tr", {}, el("thead", {}, tableEl));
      for (const column of columns) {
        const sorted = column.key === state.key ? (state.desc ? "descending" : "ascending") : "none";
        const th = el("th", { class: column.numeric ? "num" : "", "aria-sort": sorted, "data-col": column.key,
          text: column.label }, head);
        th.addEventListener("click", () => {
          state.desc = column.key === state.key ? !state.desc : Boolean(column.numeric);
          state.key = column.key;
          draw();
        });
      }
      const tbody = el("tbody", {}, tableEl);
      const shown = rows.slice().sort(compare).slice(0, limit);
      for (const row of shown) {
        const tr = el("tr", { "data-testid": "row", "data-key": options.rowKey(row),
          class: options.highlight && options.highlight(row) ? "highlight" : "" }, tbody);
        for (const column of columns) {
          const value = row[column.key];
          const raw = typeof value === "number" && column.format === FMT.money ? round2(value) : value;
          el("td", { class: column.numeric ? "num" : "", "data-col": column.key, "data-value": raw == null ? "" : raw,
            text: (column.format || FMT.text)(value) }, tr);
        }
      }
      if (!rows.length) el("tr", {}, tbody).appendChild(el("td", { colspan: columns.length,
        "data-testid": "empty", text: "No data for this selection" }));
      note.textContent = rows.length > limit ? `Showing ${limit} of ${rows.length} rows.` : "";
    }
    draw();
    return tableEl;
  }

  // ---------------------------------------------------------------- filters and periods
  const yearOf = (iso) => Number(iso.slice(0, 4));
  const monthOf = (iso) => Number(iso.slice(5, 7));
  const inPeriod = (iso, f) => (!f.year || yearOf(iso) === Number(f.year))
    && (!f.month || monthOf(iso) === Number(f.month));
  const monthsInScope = (f) => MONTHS.filter((m) => inPeriod(m, f));
  const priorMonth = (iso) => {
    const [year, month] = [yearOf(iso), monthOf(iso)];
    return month === 1 ? `${year - 1}-12-01` : `${year}-${String(month - 1).padStart(2, "0")}-01`;
  };
  // The latest complete month of the scope, else its latest month marked partial.
  function reportingMonth(scope) {
    const complete = scope.filter((m) => COMPLETE_MONTHS.has(m));
    const month = complete.length ? complete[complete.length - 1] : scope[scope.length - 1];
    return month ? { month, partial: !COMPLETE_MONTHS.has(month) } : null;
  }
  const partialLabel = (partial) => (partial ? " (partial: the data ends inside it)" : "");
  // Rows of a rollup (STORE_ROLLUP, STATE_ROLLUP) for one category, null meaning all categories.
  const rollup = (rows, months, category, keep) => rows.filter((r) => months.has(r.month)
    && r.category === (category || null) && (!keep || keep(r)));
  const YEARS = [...new Set(MONTHS.map(yearOf))].sort();
  const CATEGORIES = D.categories.map((c) => [c, c]);

  function periodFilters(prefix, f, onChange) {
    fillSelect(`filter-${prefix}-year`, YEARS.map((y) => [y, String(y)]), "All years");
    fillSelect(`filter-${prefix}-month`, MONTH_NAMES.map((name, i) => [i + 1, name]), "All months");
    fillSelect(`filter-${prefix}-category`, CATEGORIES, "All categories");
    for (const key of ["year", "month", "category"]) {
      card(`filter-${prefix}-${key}`).addEventListener("change", (event) => {
        f[key] = event.target.value;
        onChange(key);
      });
    }
  }

  // Per-product totals of SALES rows, sorted by `key` (descending), ties by name.
  function productTotals(rows) {
    const totals = new Map();
    for (const row of rows) {
      const t = totals.get(row.product) || { key: PRODUCTS[row.product].id, label: PRODUCTS[row.product].name,
        orders: 0, quantity: 0, sales: 0 };
      t.orders += row.orders;
      t.quantity += row.quantity;
      t.sales += row.sales;
      totals.set(row.product, t);
    }
    return [...totals.values()];
  }
  const topBy = (items, key, n) => items.slice().sort((a, b) => b[key] - a[key] || a.label.localeCompare(b.label))
    .slice(0, n).map((item) => ({ key: item.key, label: item.label, value: item[key] }));

  // ---------------------------------------------------------------- tab 1: product popularity trends
  const pop = { year: "", month: "", category: "", store: "", granularity: "day" };

  function renderPopularity() {
    const scope = monthsInScope(pop);
    const months = new Set(scope.map((m) => MONTHS.indexOf(m)));
    const sales = SALES.filter((r) => months.has(r.month)
      && (!pop.category || PRODUCTS[r.product].category === pop.category)
      && (!pop.store || STORES[r.store].id === pop.store));
    const inStore = (r) => !pop.store || STORES[r.store].id === pop.store;
    const trend = TREND.filter((r) => inPeriod(r.day, pop) && inStore(r));
    const totals = rollup(STORE_ROLLUP, months, pop.category, inStore);
    const byProduct = productTotals(sales);
    const subject = [pop.category, pop.store && STORES.find((s) => s.id === pop.store).name].filter(Boolean)
      .join(", ");

    setKpi("kpi-pop-sales", sum(totals, "sales"), FMT.money, subject ? `gross sales: ${subject}` : "gross sales");
    setKpi("kpi-pop-quantity", sum(totals, "quantity"), FMT.count, subject);
    setKpi("kpi-pop-orders", sum(totals, "orders"), FMT.count, pop.category ? `orders with ${pop.category} items`
      : subject);
    setKpi("kpi-pop-products", byProduct.filter((p) => p.quantity > 0).length, FMT.count, subject);
    renderConcentration();

    barChart(mount("chart-top-orders", "Orders that contain the product"), topBy(byProduct, "orders", 10),
      FMT.count, "Top products by orders");
    barChart(mount("chart-top-quantity", "Units sold"), topBy(byProduct, "quantity", 10), FMT.count,
      "Top products by units sold");
    renderLeaders(scope);
    renderCategories(scope);
    renderTrend(trend);
    renderPopularityTable(scope);
  }

  // The share of sales of the top 5% of customers, for the periods the mart ranks customers in (a month, a
  // year, all time) and for the whole business only: customers are not additive across periods or filters.
  function renderConcentration() {
    const name = "kpi-pop-concentration";
    Object.assign(card(name).dataset, { grain: "", period: "" });
    if (pop.category || pop.store) {
      setKpi(name, null, FMT.pct, "all categories and stores only: clear the category and store filters");
      return;
    }
    const years = [...new Set(MONTHS.map(yearOf))];
    let grain = "all", period = CONCENTRATION.find((r) => r.grain === "all")?.period, what = "all time";
    if (pop.month && (pop.year || years.length === 1)) {
      grain = "month";
      period = `${pop.year || years[0]}-${String(pop.month).padStart(2, "0")}-01`;
      what = monthLabel(period);
    } else if (pop.month) {
      setKpi(name, null, FMT.pct, "per month, year or all time: pick a year for one month");
      return;
    } else if (pop.year) {
      grain = "year";
      period = `${pop.year}-01-01`;
      what = pop.year;
    }
    const row = CONCENTRATION.find((r) => r.grain === grain && r.period === period);
    Object.assign(card(name).dataset, { grain, period: period || "" });
    setKpi(name, row ? row.top_share : null, FMT.pct, row ? `${what}: top ${FMT.count(row.top_customers)} of `
      + `${FMT.count(row.customers)} customers` : what);
  }

  // The mart ranks revenue leaders per month and per year: show the grain that matches the filters, and by
  // default the latest complete period (a complete year, else a complete month).
  function renderLeaders(scope) {
    const years = [...new Set(scope.map(yearOf))];
    let grain = "year", period = null, what;
    const completeYears = years.filter((y) => COMPLETE_YEARS.has(`${y}-01-01`));
    if (scope.length === 1) {
      grain = "month";
      period = scope[0];
      what = monthLabel(period) + partialLabel(!COMPLETE_MONTHS.has(period));
    } else if (completeYears.length || (years.length === 1 && pop.year)) {
      const year = completeYears.length ? Math.max(...completeYears) : years[0];
      period = `${year}-01-01`;
      what = `${year}${partialLabel(!COMPLETE_YEARS.has(period))}`;
    } else if (scope.length) {
      const shown = reportingMonth(scope);
      grain = "month";
      period = shown.month;
      what = `${monthLabel(period)}${shown.partial ? partialLabel(true) : " (latest complete month)"}`;
    }
    const rows = LEADERS.filter((r) => r.grain === grain && r.period === period).sort((a, b) => a.rank - b.rank);
    const note = period ? `${what}; all categories and stores, ranked by sales` : "";
    barChart(mount("chart-revenue-leaders", note, { grain, period }), rows.map((r) => ({ key: PRODUCTS[r.product].id,
      label: `#${r.rank} ${PRODUCTS[r.product].name}`, value: r.sales, dim: Boolean(pop.category)
        && PRODUCTS[r.product].category !== pop.category })), FMT.money, "Revenue leaders");
  }

  function renderCategories(scope) {
    const months = new Set(scope.map((m) => MONTHS.indexOf(m)));
    const inStore = (r) => !pop.store || STORES[r.store].id === pop.store;
    const categoryRows = STORE_ROLLUP.filter((r) => months.has(r.month) && r.category !== null && inStore(r));
    const totals = new Map();
    for (const row of categoryRows) {
      const t = totals.get(row.category) || { category: row.category, orders: 0, quantity: 0, sales: 0,
        change: null };
      t.orders += row.orders;
      t.quantity += row.quantity;
      t.sales += row.sales;
      totals.set(row.category, t);
    }
    const rows = [...totals.values()];
    const all = sum(rollup(STORE_ROLLUP, months, null, inStore), "sales");
    rows.forEach((r) => { r.share = all ? r.sales / all : null; });
    if (scope.length === 1) {
      const prior = new Set([MONTHS.indexOf(priorMonth(scope[0]))]);
      for (const r of rows) {
        const before = sum(rollup(STORE_ROLLUP, prior, r.category, inStore), "sales");
        r.change = before ? r.sales / before - 1 : null;
      }
    }
    const store = pop.store ? STORES.find((st) => st.id === pop.store).name : "all stores";
    const note = `Sales in the selected period, ${store}`;
    barChart(mount("chart-category-performance", note), rows.slice().sort((a, b) => b.sales - a.sales)
      .map((r) => ({ key: r.category, label: r.category, value: r.sales, dim: Boolean(pop.category)
        && r.category !== pop.category })), FMT.money, "Category sales");
    const columns = [
      { key: "category", label: "Category" },
      { key: "orders", label: "Orders", format: FMT.count, numeric: true },
      { key: "quantity", label: "Units", format: FMT.count, numeric: true },
      { key: "sales", label: "Sales ($)", format: FMT.money, numeric: true },
      { key: "share", label: "Share of sales", format: FMT.pct, numeric: true },
      { key: "change", label: "Sales vs prior month", format: FMT.pct, numeric: true },
    ];
    dataTable(mount("table-category-performance", scope.length === 1 ? note
      : `${note}; change vs prior month shows when one month is selected`), columns, rows,
    { sort: "sales", rowKey: (r) => r.category, highlight: (r) => r.category === pop.category });
  }

  function renderTrend(trend) {
    const cut = { day: 10, month: 7, year: 4 }[pop.granularity];
    const totals = new Map();
    for (const row of trend) {
      const key = row.day.slice(0, cut);
      totals.set(key, (totals.get(key) || 0) + row.orders);
    }
    const label = (key) => (cut === 7 ? monthLabel(key + "-01") : key);
    const points = [...totals.keys()].sort().map((key) => ({ period: key, label: label(key), value: totals.get(key) }));
    const note = pop.category ? "Whole orders, all categories (the category filter does not apply)"
      : "Orders per " + pop.granularity;
    lineChart(mount("chart-order-trend", note), [{ name: "Orders", points }], FMT.count, "Order count trend");
  }

  // Popularity ranks from the mart, for one month: the selected one, else the latest month in the filter.
  function renderPopularityTable(scope) {
    const shown = reportingMonth(scope);
    const month = shown ? shown.month : null;
    const index = MONTHS.indexOf(month);
    const rows = POPULARITY.filter((r) => r.month === index && (!pop.category
      || PRODUCTS[r.product].category === pop.category)).map((r) => ({ ...r, product_name: PRODUCTS[r.product].name,
      category: PRODUCTS[r.product].category }));
    const which = shown && shown.partial ? partialLabel(true) : scope.length > 1 ? " (latest complete month)" : "";
    const note = month ? `${monthLabel(month)}${which}; all stores` : "";
    const columns = [
      { key: pop.category ? "category_rank_by_orders" : "rank_by_orders", label: "Rank (orders)", numeric: true },
      { key: "product_name", label: "Product" },
      { key: "category", label: "Category" },
      { key: "orders", label: "Orders", format: FMT.count, numeric: true },
      { key: "quantity", label: "Units", format: FMT.count, numeric: true },
      { key: "sales", label: "Sales ($)", format: FMT.money, numeric: true },
      { key: pop.category ? "category_rank_by_sales" : "rank_by_sales", label: "Rank (sales)", numeric: true },
    ];
    dataTable(mount("table-popularity", note, { grain: "month", period: month }), columns, rows,
      { sort: columns[0].key, desc: false, rowKey: (r) => PRODUCTS[r.product].id });
  }

  // ---------------------------------------------------------------- tab 2: popularity by state
  const geo = { year: "", month: "", category: "", product: "", metric: "quantity" };
  const METRICS = { quantity: ["Units sold", FMT.count], sales: ["Sales ($)", FMT.money] };

  function productOptions() {
    const ids = [...new Set(STATE_PRODUCT.map((r) => r.product))]
      .filter((p) => !geo.category || PRODUCTS[p].category === geo.category)
      .sort((a, b) => PRODUCTS[a].name.localeCompare(PRODUCTS[b].name));
    const select = fillSelect("filter-geo-product", ids.map((p) => [PRODUCTS[p].id, PRODUCTS[p].name]),
      "All products");
    geo.product = select.value;
  }

  function renderStates() {
    const scope = monthsInScope(geo);
    const months = new Set(scope.map((m) => MONTHS.indexOf(m)));
    const [metricLabel, format] = METRICS[geo.metric];
    const rows = geo.product
      ? STATE_PRODUCT.filter((r) => months.has(r.month) && PRODUCTS[r.product].id === geo.product)
      : rollup(STATE_ROLLUP, months, geo.category);
    const byState = new Map();
    for (const row of rows) {
      const t = byState.get(row.state) || { state: row.state, state_name: STATE_NAMES[row.state] || row.state,
        orders: 0, quantity: 0, sales: 0 };
      t.orders += row.orders;
      t.quantity += row.quantity;
      t.sales += row.sales;
      byState.set(row.state, t);
    }
    const states = [...byState.values()];
    const total = sum(states, geo.metric);
    states.forEach((s) => { s.share = total ? s[geo.metric] / total : null; });
    const subject = geo.product ? PRODUCTS.find((p) => p.id === geo.product).name
      : geo.category || "All products";

    setKpi("kpi-geo-sales", sum(states, "sales"), FMT.money, subject);
    setKpi("kpi-geo-quantity", sum(states, "quantity"), FMT.count, subject);
    setKpi("kpi-geo-orders", sum(states, "orders"), FMT.count, geo.product ? "orders with the product"
      : geo.category ? `orders with ${geo.category} items` : "");
    setKpi("kpi-geo-states", states.filter((s) => s.quantity > 0).length, FMT.count);

    const values = Object.fromEntries(states.map((s) => [s.state, s[geo.metric]]));
    const top = states.slice().sort((a, b) => b[geo.metric] - a[geo.metric] || a.state.localeCompare(b.state))[0];
    tileMap(mount("chart-state-map", `${subject}: ${metricLabel.toLowerCase()} by customer state`), values, format,
      metricLabel, top ? top.state : null);
    barChart(mount("chart-state-bars", `${subject}: top 15 states by ${metricLabel.toLowerCase()}`),
      topBy(states.map((s) => ({ ...s, key: s.state, label: s.state_name })), geo.metric, 15), format,
      "Top states");
    dataTable(mount("table-state-ranking", subject), [
      { key: "state_name", label: "State" },
      { key: "orders", label: "Orders", format: FMT.count, numeric: true },
      { key: "quantity", label: "Units", format: FMT.count, numeric: true },
      { key: "sales", label: "Sales ($)", format: FMT.money, numeric: true },
      { key: "share", label: `Share of ${geo.metric === "sales" ? "sales" : "units"}`, format: FMT.pct, numeric: true },
    ], states, { sort: geo.metric, rowKey: (r) => r.state, limit: 51 });
    renderTopProducts(scope);
  }

  // The mart's #1 product per state, for one month when the filter is one month, else over all time.
  function renderTopProducts(scope) {
    const single = scope.length === 1;
    const rows = STATE_TOP.filter((r) => r.metric === geo.metric && (single ? r.grain === "month"
      && r.period === scope[0] : r.grain === "all")).map((r) => ({ state: r.state,
      state_name: STATE_NAMES[r.state] || r.state, product_id: PRODUCTS[r.product].id,
      product_name: PRODUCTS[r.product].name, category: PRODUCTS[r.product].category, quantity: r.quantity,
      sales: r.sales }));
    const period = single ? monthLabel(scope[0]) : "All time (select a year and month for one month)";
    dataTable(mount("table-state-top-products", `${period}; ranked by ${METRICS[geo.metric][0].toLowerCase()}, all ` +
      "categories"), [
      { key: "state_name", label: "State" },
      { key: "product_name", label: "#1 product" },
      { key: "category", label: "Category" },
      { key: "quantity", label: "Units", format: FMT.count, numeric: true },
      { key: "sales", label: "Sales ($)", format: FMT.money, numeric: true },
    ], rows, { sort: "state_name", desc: false, rowKey: (r) => r.state, limit: 51,
      highlight: (r) => r.product_id === geo.product });
  }

  // ---------------------------------------------------------------- extra insights
  function renderInsights() {
    const newOrders = sum(TREND, "new_orders"), returning = sum(TREND, "returning_orders");
    setKpi("kpi-returning-share", newOrders + returning ? returning / (newOrders + returning) : null, FMT.pct);
    setKpi("kpi-new-orders", newOrders, FMT.count);
    setKpi("kpi-returning-orders", returning, FMT.count);
    const whole = CONCENTRATION.find((r) => r.grain === "all");
    setKpi("kpi-total-revenue", whole ? whole.sales : null, FMT.money, "gross sales, all time");
    setKpi("kpi-top-customer-share", whole ? whole.top_share : null, FMT.pct, whole ? `top ${FMT.count(
      whole.top_customers)} of ${FMT.count(whole.customers)} customers, all time` : "");

    const byMonth = new Map();
    for (const row of TREND) {
      const key = row.day.slice(0, 7);
      const t = byMonth.get(key) || { new_orders: 0, returning_orders: 0 };
      t.new_orders += row.new_orders;
      t.returning_orders += row.returning_orders;
      byMonth.set(key, t);
    }
    const keys = [...byMonth.keys()].sort();
    const seriesOf = (name, field) => ({ name, points: keys.map((k) => ({ period: k, label: monthLabel(k + "-01"),
      value: byMonth.get(k)[field] })) });
    lineChart(mount("chart-new-returning", "Orders per month by whether the customer had ordered before"),
      [seriesOf("New customers", "new_orders"), seriesOf("Returning customers", "returning_orders")], FMT.count,
      "New vs returning");

    const repeat = rowsOf(D.repeat).map((r) => ({ ...r, product_name: PRODUCTS[r.product].name,
      category: PRODUCTS[r.product].category }));
    const minCustomers = repeat.filter((r) => r.customers >= 5).length >= 10 ? 5 : 1;
    dataTable(mount("table-repeat-purchase", `Products bought by at least ${minCustomers} customer(s); repeat = ` +
      "bought in two or more orders"), [
      { key: "product_name", label: "Product" },
      { key: "customers", label: "Customers", format: FMT.count, numeric: true },
      { key: "repeat_customers", label: "Repeat customers", format: FMT.count, numeric: true },
      { key: "repeat_rate", label: "Repeat rate", format: FMT.pct, numeric: true },
      { key: "returning_share", label: "Orders from returning", format: FMT.pct, numeric: true },
    ], repeat.filter((r) => r.customers >= minCustomers), { sort: "repeat_rate", rowKey: (r) => PRODUCTS[r.product].id,
      limit: 15 });

    const spikes = rowsOf(D.spikes).map((r) => ({ ...r, month_label: monthLabel(r.month) }));
    dataTable(mount("table-seasonal-spikes", "Months whose units exceed the trailing baseline by the spike ratio"), [
      { key: "grain", label: "Level" },
      { key: "subject", label: "Product / category" },
      { key: "month", label: "Month" },
      { key: "quantity", label: "Units", format: FMT.count, numeric: true },
      { key: "baseline", label: "Baseline", format: FMT.ratio, numeric: true },
      { key: "ratio", label: "Spike ratio", format: FMT.ratio, numeric: true },
    ], spikes, { sort: "ratio", rowKey: (r) => `${r.grain}:${r.subject_id}:${r.month}`, limit: 15 });

    const elasticity = rowsOf(D.elasticity).filter((r) => r.median_elasticity != null);
    barChart(mount("chart-category-elasticity", "Below zero: demand falls when the price rises"),
      elasticity.sort((a, b) => a.median_elasticity - b.median_elasticity).map((r) => ({ key: r.category,
        label: `${r.category} (${r.price_changes})`, value: r.median_elasticity })), FMT.ratio, "Elasticity");

    const price = rowsOf(D.price).map((r) => ({ ...r, product_name: PRODUCTS[r.product].name }));
    dataTable(mount("table-price-sensitivity", "Daily units before and after each price change; most elastic first"), [
      { key: "product_name", label: "Product" },
      { key: "changed_at", label: "Changed" },
      { key: "kind", label: "Change" },
      { key: "old_price", label: "Old price", format: FMT.money, numeric: true },
      { key: "new_price", label: "New price", format: FMT.money, numeric: true },
      { key: "daily_quantity_before", label: "Units/day before", format: FMT.ratio, numeric: true },
      { key: "daily_quantity_after", label: "Units/day after", format: FMT.ratio, numeric: true },
      { key: "elasticity", label: "Arc elasticity", format: FMT.ratio, numeric: true },
    ], price, { sort: "elasticity", desc: false, rowKey: (r) => `${PRODUCTS[r.product].id}:${r.changed_at}`,
      limit: 15 });
  }

  // ---------------------------------------------------------------- wiring
  function init() {
    for (const tab of document.querySelectorAll('[role="tab"]')) {
      tab.addEventListener("click", () => {
        for (const other of document.querySelectorAll('[role="tab"]')) {
          const selected = other === tab;
          other.setAttribute("aria-selected", String(selected));
          document.getElementById(other.dataset.panel).hidden = !selected;
        }
      });
    }
    periodFilters("pop", pop, renderPopularity);
    fillSelect("filter-pop-store", STORES.map((s) => [s.id, `${s.name}${s.kind ? " (" + s.kind + ")" : ""}`]),
      "All stores");
    card("filter-pop-store").addEventListener("change", (event) => {
      pop.store = event.target.value;
      renderPopularity();
    });
    fillSelect("trend-granularity", [["day", "Day"], ["month", "Month"], ["year", "Year"]]);
    card("trend-granularity").addEventListener("change", (event) => {
      pop.granularity = event.target.value;
      renderPopularity();
    });

    periodFilters("geo", geo, (key) => {
      if (key === "category") productOptions();
      renderStates();
    });
    productOptions();
    card("filter-geo-product").addEventListener("change", (event) => {
      geo.product = event.target.value;
      renderStates();
    });
    fillSelect("filter-geo-metric", [["quantity", "Units sold"], ["sales", "Sales ($)"]]);
    card("filter-geo-metric").addEventListener("change", (event) => {
      geo.metric = event.target.value;
      renderStates();
    });

    renderPopularity();
    renderStates();
    renderInsights();
    document.body.dataset.ready = "true";
  }

  try {
    init();
  } catch (error) {
    const text = `The dashboard failed to draw: ${error}`;
    document.body.prepend(el("div", { class: "error", "data-testid": "error", text }));
    throw error;
  }
})();
