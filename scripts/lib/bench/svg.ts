// Minimal hand-written SVG charts for docs/bench/: lines (throughput against payload size, latency CDFs) and
// grouped bars. Plain SVG 1.1 with inline styles, so GitHub and any browser render it without scripts or fonts.

// ---- constants --------------------------------------------------------------------------------------------------
const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { top: 40, right: 20, bottom: 86, left: 70 };
/** Colour-blind-safe palette (Okabe–Ito). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const TARGET_TICKS = 5;

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Draw markers only (single measured points). */
  markersOnly?: boolean;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logX?: boolean;
  logY?: boolean;
  /** Horizontal reference lines (goals). */
  refLines?: readonly { y: number; label: string }[];
  /** Format of tick labels. */
  fmtX?: (x: number) => string;
  fmtY?: (y: number) => string;
  /** Force the y axis to start at zero (linear axes only). */
  yFromZero?: boolean;
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly { name: string; values: readonly (number | null)[] }[];
  refLines?: readonly { y: number; label: string }[];
  logY?: boolean;
  fmtY?: (y: number) => string;
}

/** A short number for tick labels: 1500 → 1.5k, 2e6 → 2M. */
export function shortNum(x: number): string {
  const a = Math.abs(x);
  const trim = (v: number) => String(Number(v.toPrecision(3)));
  if (a >= 1e9) return `${trim(x / 1e9)}G`;
  if (a >= 1e6) return `${trim(x / 1e6)}M`;
  if (a >= 1e3) return `${trim(x / 1e3)}k`;
  return trim(x);
}

export function lineChart(o: LineChartOptions): string {
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const ys = [...all.map((p) => p[1]), ...(o.refLines ?? []).map((r) => r.y)];
  const xScale = scale(all.map((p) => p[0]), [MARGIN.left, WIDTH - MARGIN.right], o.logX ?? false, false);
  const yScale = scale(ys, [HEIGHT - MARGIN.bottom, MARGIN.top], o.logY ?? false, o.yFromZero ?? !o.logY);
  const fx = o.fmtX ?? shortNum;
  const fy = o.fmtY ?? shortNum;
  const parts: string[] = [frame(o.title), ...axes(xScale, yScale, fx, fy, o.xLabel, o.yLabel)];
  for (const r of o.refLines ?? []) parts.push(refLine(yScale(r.y), r.label));
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y]) => [xScale(x), yScale(y)] as const);
    if (!s.markersOnly && pts.length > 1) {
      const d = pts.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    if (s.markersOnly || pts.length <= 12) {
      for (const [x, y] of pts) parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${color}"/>`);
    }
  });
  parts.push(legend(o.series.map((s) => s.name)));
  return wrap(parts);
}

export function barChart(o: BarChartOptions): string {
  const values = o.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const ys = [...values, ...(o.refLines ?? []).map((r) => r.y)];
  const yScale = scale(ys, [HEIGHT - MARGIN.bottom, MARGIN.top], o.logY ?? false, !o.logY);
  const fy = o.fmtY ?? shortNum;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const groupW = plotW / Math.max(1, o.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, o.series.length);
  const base = yScale(yScale.domain[0]);
  const parts: string[] = [frame(o.title), ...yAxis(yScale, fy, o.yLabel)];
  parts.push(line(MARGIN.left, base, WIDTH - MARGIN.right, base, '#333'));
  o.categories.forEach((c, ci) => {
    const gx = MARGIN.left + ci * groupW;
    parts.push(text(gx + groupW / 2, HEIGHT - MARGIN.bottom + 16, c, 'middle', 11));
    o.series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const y = yScale(v);
      const x = gx + groupW * 0.1 + si * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${Math.min(y, base).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${Math.abs(base - y).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${s.name}, ${c}: ${fy(v)}`)}</title></rect>`,
      );
    });
  });
  for (const r of o.refLines ?? []) parts.push(refLine(yScale(r.y), r.label));
  parts.push(legend(o.series.map((s) => s.name)));
  return wrap(parts);
}

// ---- scales and axes --------------------------------------------------------------------------------------------

interface Scale {
  (v: number): number;
  domain: [number, number];
  log: boolean;
  ticks: number[];
}

function scale(values: readonly number[], range: [number, number], log: boolean, fromZero: boolean): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  let ticks: number[];
  if (log) {
    lo = 10 ** Math.floor(Math.log10(lo || 1));
    hi = 10 ** Math.ceil(Math.log10(hi || 10));
    if (hi <= lo) hi = lo * 10;
    ticks = [];
    // Over at most three decades, 2× and 5× ticks too, so a chart of a few nearby points still has labels.
    const steps = Math.log10(hi / lo) <= 3 ? [1, 2, 5] : [1];
    for (let d = lo; d <= hi * 1.0001; d *= 10) for (const m of steps) if (d * m <= hi * 1.0001) ticks.push(d * m);
  } else {
    if (fromZero) lo = Math.min(0, lo);
    if (hi === lo) hi = lo + 1;
    const step = niceStep((hi - lo) / TARGET_TICKS);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    ticks = [];
    for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  }
  const [r0, r1] = range;
  const f = ((v: number) => {
    const t = log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    return r0 + t * (r1 - r0);
  }) as Scale;
  f.domain = [lo, hi];
  f.log = log;
  f.ticks = ticks;
  return f;
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

function axes(x: Scale, y: Scale, fx: (v: number) => string, fy: (v: number) => string, xLabel: string, yLabel: string): string[] {
  const out = yAxis(y, fy, yLabel);
  const base = HEIGHT - MARGIN.bottom;
  out.push(line(MARGIN.left, base, WIDTH - MARGIN.right, base, '#333'));
  for (const t of x.ticks) {
    const px = x(t);
    out.push(line(px, MARGIN.top, px, base, '#e5e5e5'));
    out.push(text(px, base + 16, fx(t), 'middle', 11));
  }
  out.push(text(MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2, base + 36, xLabel, 'middle', 12));
  return out;
}

function yAxis(y: Scale, fy: (v: number) => string, label: string): string[] {
  const out: string[] = [line(MARGIN.left, MARGIN.top, MARGIN.left, HEIGHT - MARGIN.bottom, '#333')];
  for (const t of y.ticks) {
    const py = y(t);
    out.push(line(MARGIN.left, py, WIDTH - MARGIN.right, py, '#e5e5e5'));
    out.push(text(MARGIN.left - 6, py + 4, fy(t), 'end', 11));
  }
  const cy = MARGIN.top + (HEIGHT - MARGIN.top - MARGIN.bottom) / 2;
  out.push(`<text x="16" y="${cy}" ${FONT} font-size="12" text-anchor="middle" transform="rotate(-90 16 ${cy})">${esc(label)}</text>`);
  return out;
}

// ---- pieces -----------------------------------------------------------------------------------------------------

function frame(title: string): string {
  return `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>` + text(WIDTH / 2, 22, title, 'middle', 14, 'bold');
}

function legend(names: readonly string[]): string {
  // Entries left to right, wrapping onto a second row when they would run past the right edge.
  const width = (n: string) => 28 + n.length * 6.2;
  const rows: string[][] = [[]];
  let x = MARGIN.left;
  for (const n of names) {
    if (x + width(n) > WIDTH - MARGIN.right && rows.at(-1)!.length > 0) {
      rows.push([]);
      x = MARGIN.left;
    }
    rows.at(-1)!.push(n);
    x += width(n);
  }
  let i = 0;
  return rows
    .map((row, r) => {
      const y = HEIGHT - 16 - (rows.length - 1 - r) * 16;
      let rx = MARGIN.left;
      return row
        .map((n) => {
          const s = `<rect x="${rx.toFixed(1)}" y="${y - 9}" width="12" height="12" fill="${PALETTE[i++ % PALETTE.length]}"/>` + text(rx + 16, y + 1, n, 'start', 11);
          rx += width(n);
          return s;
        })
        .join('');
    })
    .join('');
}

function refLine(py: number, label: string): string {
  return `<line x1="${MARGIN.left}" y1="${py.toFixed(1)}" x2="${WIDTH - MARGIN.right}" y2="${py.toFixed(1)}" stroke="#c00" stroke-width="1.5" stroke-dasharray="4 3"/>` +
    text(WIDTH - MARGIN.right - 4, py - 5, label, 'end', 11, 'normal', '#c00');
}

function line(x1: number, y1: number, x2: number, y2: number, color: string): string {
  return `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${color}" stroke-width="1"/>`;
}

function text(x: number, y: number, s: string, anchor: 'start' | 'middle' | 'end', size: number, weight = 'normal', color = '#222'): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} font-size="${size}" font-weight="${weight}" fill="${color}" text-anchor="${anchor}">${esc(s)}</text>`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function wrap(parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">\n${parts.join('\n')}\n</svg>\n`;
}
