// chatkit.widgets.Chart as inline SVG: bar, line and area series over categorical x values,
// with stacking (series sharing a `stack` id), optional y axis, legend, and native tooltips
// (<title>). Text is created with textContent; colours go through the token resolver.
import { h } from "../render/dom";
import { CHART_TOKENS, resolveColor } from "./tokens";
import type { ColorScheme } from "./types";

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 240;

type SeriesType = "bar" | "line" | "area";

interface Series {
  type: SeriesType;
  key: string;
  label: string;
  color: string;
  stack: string | null;
  curve: string;
  values: (number | null)[];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

const MAX_TICKS = 20;
const MAX_DOTS = 200;

function clamp(n: number): number {
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, n));
}

function toNumber(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function niceStep(range: number, target: number): number {
  if (!(range > 0)) return 1;
  const raw = range / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
}

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 2 });
const full = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

type Pt = [number, number];

/** SVG path data through `pts` with the series' curve type (others fall back to monotone). */
function linePath(pts: Pt[], curve: string): string {
  if (pts.length === 0) return "";
  const f = (n: number) => Math.round(n * 100) / 100;
  let d = `M${f(pts[0]![0])},${f(pts[0]![1])}`;
  if (pts.length === 1) return d;
  if (curve === "linear" || curve === "linearClosed" || pts.length === 2) {
    for (const [x, y] of pts.slice(1)) d += `L${f(x)},${f(y)}`;
    return d;
  }
  if (curve === "step" || curve === "stepBefore" || curve === "stepAfter") {
    for (let i = 1; i < pts.length; i++) {
      const [x0, y0] = pts[i - 1]!;
      const [x1, y1] = pts[i]!;
      const xm = curve === "step" ? (x0 + x1) / 2 : curve === "stepBefore" ? x0 : x1;
      d += `L${f(xm)},${f(y0)}L${f(xm)},${f(y1)}L${f(x1)},${f(y1)}`;
    }
    return d;
  }
  // Monotone cubic interpolation (Fritsch-Carlson): smooth without overshooting the data.
  const n = pts.length;
  const dx: number[] = [];
  const slope: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    dx.push(pts[i + 1]![0] - pts[i]![0]);
    slope.push((pts[i + 1]![1] - pts[i]![1]) / (dx[i] || 1));
  }
  const tangent: number[] = [slope[0]!];
  for (let i = 1; i < n - 1; i++) {
    const a = slope[i - 1]!;
    const b = slope[i]!;
    tangent.push(a * b <= 0 ? 0 : (3 * (dx[i - 1]! + dx[i]!)) / ((2 * dx[i]! + dx[i - 1]!) / a + (dx[i]! + 2 * dx[i - 1]!) / b));
  }
  tangent.push(slope[n - 2]!);
  for (let i = 0; i < n - 1; i++) {
    const [x0, y0] = pts[i]!;
    const [x1, y1] = pts[i + 1]!;
    const h = dx[i]! / 3;
    d += `C${f(x0 + h)},${f(y0 + h * tangent[i]!)} ${f(x1 - h)},${f(y1 - h * tangent[i + 1]!)} ${f(x1)},${f(y1)}`;
  }
  return d;
}

/** Splits a series into runs of consecutive non-null points (gaps break lines). */
function runs<T>(items: (T | null)[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  for (const it of items) {
    if (it === null) {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(it);
  }
  if (cur.length) out.push(cur);
  return out;
}

function chartLabel(series: Series[]): string {
  const kinds = [...new Set(series.map((s) => s.type))];
  const kind = kinds.length === 1 ? `${kinds[0]} chart` : "chart";
  return series.length ? `${kind[0]!.toUpperCase()}${kind.slice(1)}: ${series.map((s) => s.label).join(", ")}` : "Chart";
}

export function renderChart(node: Record<string, unknown>, scheme: ColorScheme): HTMLElement {
  const root = h("div", "ckw-chart");
  const rows = (Array.isArray(node.data) ? node.data : []).filter(
    (r): r is Record<string, unknown> => typeof r === "object" && r !== null && !Array.isArray(r),
  );
  const xAxis = node.xAxis;
  const xConfig = typeof xAxis === "object" && xAxis !== null ? (xAxis as Record<string, unknown>) : {};
  const xKey = typeof xAxis === "string" ? xAxis : typeof xConfig.dataKey === "string" ? xConfig.dataKey : "";
  const xLabels = typeof xConfig.labels === "object" && xConfig.labels !== null ? (xConfig.labels as Record<string, unknown>) : {};
  const hideX = xConfig.hide === true;
  const showY = node.showYAxis === true;
  const showLegend = node.showLegend !== false;
  const showTooltip = node.showTooltip !== false;

  const categories = rows.map((r) => {
    const raw = r[xKey];
    const key = raw === undefined || raw === null ? "" : String(raw);
    const mapped = Object.hasOwn(xLabels, key) ? xLabels[key] : undefined;
    return typeof mapped === "string" ? mapped : key;
  });

  const series: Series[] = [];
  (Array.isArray(node.series) ? node.series : []).forEach((raw: unknown) => {
    if (typeof raw !== "object" || raw === null) return;
    const s = raw as Record<string, unknown>;
    const type = s.type === "bar" || s.type === "line" || s.type === "area" ? s.type : null;
    if (!type || typeof s.dataKey !== "string") return;
    const i = series.length;
    series.push({
      type,
      key: s.dataKey,
      label: typeof s.label === "string" && s.label ? s.label : s.dataKey,
      color: resolveColor(s.color, "chart", scheme) ?? `var(--ckw-chart-${CHART_TOKENS[i % CHART_TOKENS.length]})`,
      stack: type !== "line" && typeof s.stack === "string" && s.stack ? s.stack : null,
      curve: typeof s.curveType === "string" ? s.curveType : "monotone",
      values: rows.map((r) => toNumber(r[s.dataKey as string])),
    });
  });

  // Stacked extents: each series gets [base, top] per category.
  const extents = new Map<Series, ([number, number] | null)[]>();
  const stackSums = new Map<string, { pos: number[]; neg: number[] }>();
  for (const s of series) {
    if (!s.stack) {
      extents.set(
        s,
        s.values.map((v) => (v === null ? null : [0, v])),
      );
      continue;
    }
    const id = `${s.type}:${s.stack}`;
    const sums = stackSums.get(id) ?? { pos: rows.map(() => 0), neg: rows.map(() => 0) };
    stackSums.set(id, sums);
    extents.set(
      s,
      s.values.map((v, i) => {
        if (v === null) return null;
        const acc = v >= 0 ? sums.pos : sums.neg;
        const base = acc[i]!;
        acc[i] = clamp(base + v); // two values near the largest double add up to Infinity
        return [base, acc[i]!];
      }),
    );
  }

  let lo = 0;
  let hi = 0;
  for (const ext of extents.values()) {
    for (const e of ext) {
      if (!e) continue;
      lo = Math.min(lo, e[0], e[1]);
      hi = Math.max(hi, e[0], e[1]);
    }
  }
  if (lo === hi) hi = lo + 1;
  // Halves keep the range finite when the data spans more than the largest double.
  const step = niceStep(hi / 2 - lo / 2, 2);
  const niceLo = Math.floor(lo / step) * step;
  const niceHi = Math.ceil(hi / step) * step;
  if (Number.isFinite(niceLo) && Number.isFinite(niceHi)) {
    lo = niceLo;
    hi = niceHi;
  }

  const margin = { top: 10, right: 10, bottom: hideX ? 10 : 28, left: showY ? 48 : 10 };
  const plotW = WIDTH - margin.left - margin.right;
  const plotH = HEIGHT - margin.top - margin.bottom;
  const y = (v: number) => margin.top + plotH - ((v / 2 - lo / 2) / (hi / 2 - lo / 2)) * plotH;
  const band = rows.length ? plotW / rows.length : plotW;
  const xCenter = (i: number) => margin.left + band * (i + 0.5);

  const chart = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "ckw-chart__svg",
    role: "img",
    preserveAspectRatio: "xMidYMid meet",
  });
  chart.setAttribute("aria-label", chartLabel(series));
  const title = svg("title");
  title.textContent = chartLabel(series);
  chart.append(title);

  // Grid and y axis.
  const grid = svg("g", { class: "ckw-chart__grid", "aria-hidden": "true" });
  // Counted, not `v += step` until past `hi`: near the largest double the sum stops growing.
  for (let i = 0; i <= MAX_TICKS; i++) {
    const v = lo + i * step;
    if (!Number.isFinite(v) || v > hi + step / 2) break;
    const yy = y(v);
    grid.append(
      svg("line", {
        x1: margin.left,
        x2: WIDTH - margin.right,
        y1: yy,
        y2: yy,
        class: v === 0 ? "ckw-chart__baseline" : "ckw-chart__gridline",
      }),
    );
    if (showY) {
      const t = svg("text", { x: margin.left - 6, y: yy, "text-anchor": "end", "dominant-baseline": "middle", class: "ckw-chart__tick" });
      t.textContent = compact.format(Math.abs(v) < step / 1e6 ? 0 : v);
      grid.append(t);
    }
  }
  chart.append(grid);

  // Bars: one slot per unstacked bar series, one per stack id.
  const barSeries = series.filter((s) => s.type === "bar");
  const slots: string[] = [];
  for (const [i, s] of barSeries.entries()) {
    const slot = s.stack ?? `#${i}`;
    if (!slots.includes(slot)) slots.push(slot);
  }
  const categoryGap =
    typeof node.barCategoryGap === "number" && node.barCategoryGap >= 0 ? Math.min(node.barCategoryGap, band * 0.9) : band * 0.2;
  const barGap = typeof node.barGap === "number" && node.barGap >= 0 ? node.barGap : 4;
  const inner = Math.max(1, band - categoryGap);
  const slotW = slots.length ? Math.max(1, (inner - barGap * (slots.length - 1)) / slots.length) : 0;

  const tooltip = (el: SVGElement, s: Series, i: number) => {
    if (!showTooltip) return;
    const t = svg("title");
    const v = s.values[i];
    t.textContent = `${categories[i] ?? ""} · ${s.label}: ${v === null || v === undefined ? "–" : full.format(v)}`;
    el.append(t);
  };

  const areaLayer = svg("g", { class: "ckw-chart__areas" });
  const barLayer = svg("g", { class: "ckw-chart__bars" });
  const lineLayer = svg("g", { class: "ckw-chart__lines" });
  series.forEach((s, si) => {
    const g = svg("g", { class: `ckw-chart__series ckw-chart__series--${s.type}`, "data-series": s.key, "data-index": si });
    g.style.setProperty("--ckw-series-color", s.color);
    const ext = extents.get(s)!;
    if (s.type === "bar") {
      const slot = slots.indexOf(s.stack ?? `#${barSeries.indexOf(s)}`);
      ext.forEach((e, i) => {
        if (!e) return;
        const top = y(Math.max(e[0], e[1]));
        const bottom = y(Math.min(e[0], e[1]));
        const rect = svg("rect", {
          x: margin.left + band * i + categoryGap / 2 + slot * (slotW + barGap),
          y: top,
          width: slotW,
          height: Math.max(0, bottom - top),
          rx: Math.min(3, slotW / 4),
          class: "ckw-chart__bar",
        });
        tooltip(rect, s, i);
        g.append(rect);
      });
      barLayer.append(g);
      return;
    }
    const points = ext.map((e, i) => (e ? { i, top: [xCenter(i), y(e[1])] as Pt, base: [xCenter(i), y(e[0])] as Pt } : null));
    for (const run of runs(points)) {
      if (s.type === "area") {
        const topPath = linePath(
          run.map((p) => p.top),
          s.curve,
        );
        const basePts = run.map((p) => p.base).reverse();
        const back = linePath(basePts, s.curve).replace(/^M/, "L");
        g.append(svg("path", { d: `${topPath}${back}Z`, class: "ckw-chart__area" }));
      }
      g.append(
        svg("path", {
          d: linePath(
            run.map((p) => p.top),
            s.curve,
          ),
          class: "ckw-chart__line",
          fill: "none",
        }),
      );
    }
    // Dots closer than their own size only hide each other (and a 10,000-row chart would carry
    // 10,000 of them through every redraw): past MAX_DOTS rows the line is drawn alone.
    for (const p of rows.length <= MAX_DOTS ? points : []) {
      if (!p) continue;
      const dot = svg("circle", { cx: p.top[0], cy: p.top[1], r: s.type === "line" ? 3 : 2.5, class: "ckw-chart__point" });
      tooltip(dot, s, p.i);
      g.append(dot);
    }
    (s.type === "area" ? areaLayer : lineLayer).append(g);
  });
  chart.append(areaLayer, barLayer, lineLayer);

  if (!hideX && rows.length) {
    const axis = svg("g", { class: "ckw-chart__x-axis", "aria-hidden": "true" });
    const every = Math.max(1, Math.ceil(rows.length / 12)); // keep labels from overlapping
    categories.forEach((c, i) => {
      if (i % every !== 0) return;
      const t = svg("text", { x: xCenter(i), y: HEIGHT - margin.bottom + 16, "text-anchor": "middle", class: "ckw-chart__tick" });
      t.textContent = c.length > 14 ? `${c.slice(0, 13)}…` : c;
      axis.append(t);
    });
    chart.append(axis);
  }

  // Rows whose series values are all missing or not numbers ("n/a") draw nothing either.
  if (rows.length === 0 || series.length === 0 || series.every((s) => s.values.every((v) => v === null))) {
    const t = svg("text", { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "ckw-chart__empty" });
    t.textContent = "No data";
    chart.append(t);
  }

  root.append(chart);

  if (showLegend && series.length > 0) {
    const legend = h("ul", { class: "ckw-chart__legend", "aria-label": "Legend" });
    for (const s of series) {
      const swatch = h("span", { class: `ckw-chart__swatch ckw-chart__swatch--${s.type}`, "aria-hidden": "true" });
      swatch.style.setProperty("--ckw-series-color", s.color);
      legend.append(h("li", "ckw-chart__legend-item", swatch, h("span", { text: s.label })));
    }
    root.append(legend);
  }
  return root;
}
