// Number formatting and tables, for the console and for Markdown.

/** 1234567 → "1.23 M", 45600 → "45.6 k", 950 → "950". */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x >= 1e6) return `${(x / 1e6).toFixed(x >= 1e7 ? 1 : 2)} M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(x >= 1e5 ? 0 : 1)} k`;
  return thousands(Math.round(x));
}

/** A plain number with thin grouping: 14321 → "14 321". */
export function thousands(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const [int, frac] = String(x).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** Significant digits suited to a measured figure: 3 below 100, whole numbers above. */
export function fmtNum(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 100) return thousands(Math.round(x));
  return Number(x.toPrecision(digits)).toString();
}

export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '–';
}

/** Right-aligns every column but the first. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A Markdown table; columns after the first are right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
