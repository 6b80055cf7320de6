// Any other bench that writes the common record (the end-to-end bench, a soak run, ...): command, machine,
// parameters, its figures (scalars in one table, each list of records as a table of its own) and goals. A bench
// with charts to show gets its own renderer.
import { fmtNum, markdownTable } from '../format.ts';
import type { BenchRecord } from '../results.ts';
import { goalsTable, humanize, machineLine, type Section } from './section.ts';

/** How deep nested results are walked. */
const MAX_DEPTH = 4;
const MAX_ROWS = 60;

export function isCommonRecord(d: unknown): d is BenchRecord {
  const x = d as BenchRecord;
  return x !== null && typeof x === 'object' && typeof x.bench === 'string' && typeof x.at === 'string' && typeof x.machine?.cpus === 'number';
}

export function renderGeneric(d: BenchRecord): Omit<Section, 'title' | 'bench'> {
  const parts = [machineLine(d.machine, d.at, d.command)];
  const params = collect(d.params);
  if (params.scalars.length) parts.push('Parameters:', markdownTable(['parameter', 'value'], params.scalars));
  const results = collect(d.results);
  if (results.scalars.length) {
    parts.push('Results:', markdownTable(['figure', 'value'], results.scalars.slice(0, MAX_ROWS)));
    if (results.scalars.length > MAX_ROWS) parts.push(`_(${results.scalars.length - MAX_ROWS} more figures in bench-results/${d.bench}.json)_`);
  }
  for (const t of results.tables) parts.push(`${t.title}:`, markdownTable(t.header, t.rows.slice(0, MAX_ROWS)));
  const goals = goalsTable(d.goals);
  if (goals) parts.push('Goals:', goals);
  return { markdown: parts.join('\n\n'), charts: [] };
}

interface Collected {
  scalars: string[][];
  tables: { title: string; header: string[]; rows: string[][] }[];
}

function cell(v: unknown): string | null {
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v) && v.every((x) => cell(x) !== null && typeof x !== 'object')) return v.map((x) => cell(x)!).join(', ');
  return null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A record's scalar leaves as columns: nested records flattened with " › ". */
function flatten(v: Record<string, unknown>, prefix = '', depth = 0): [string, string][] {
  return Object.entries(v).flatMap(([k, x]): [string, string][] => {
    const name = prefix ? `${prefix} › ${humanize(k)}` : humanize(k);
    const c = cell(x);
    if (c !== null) return [[name, c]];
    return isRecord(x) && depth < MAX_DEPTH ? flatten(x, name, depth + 1) : [];
  });
}

function collect(v: unknown, path = '', depth = 0, out: Collected = { scalars: [], tables: [] }): Collected {
  const c = cell(v);
  if (c !== null) {
    out.scalars.push([path || 'value', c]);
  } else if (Array.isArray(v) && v.length > 0 && v.every(isRecord)) {
    const rows = v.map((x) => new Map(flatten(x)));
    const header = [...new Set(rows.flatMap((r) => [...r.keys()]))];
    out.tables.push({ title: path ? path[0]!.toUpperCase() + path.slice(1) : 'Results', header, rows: rows.map((r) => header.map((h) => r.get(h) ?? '')) });
  } else if (isRecord(v) && depth < MAX_DEPTH) {
    for (const [k, x] of Object.entries(v)) collect(x, path ? `${path} › ${humanize(k)}` : humanize(k), depth + 1, out);
  }
  return out;
}
