// Any other bench that writes the common record (e.g. a later bench-e2e): command, machine, parameters, goals,
// and its scalar results in a table. A bench with more to show gets its own renderer.
import { fmtNum, markdownTable } from '../format.ts';
import type { BenchRecord } from '../results.ts';
import { goalsTable, humanize, machineLine, type Section } from './section.ts';

/** How deep nested results are walked for scalar figures. */
const MAX_DEPTH = 3;
const MAX_ROWS = 60;

export function isCommonRecord(d: unknown): d is BenchRecord {
  const x = d as BenchRecord;
  return x !== null && typeof x === 'object' && typeof x.bench === 'string' && typeof x.at === 'string' && typeof x.machine?.cpus === 'number';
}

export function renderGeneric(d: BenchRecord): Omit<Section, 'title' | 'bench'> {
  const parts = [machineLine(d.machine, d.at, d.command)];
  const params = scalars(d.params, '', 1);
  if (params.length) parts.push('Parameters:', markdownTable(['parameter', 'value'], params));
  const results = scalars(d.results, '', 0);
  if (results.length) parts.push('Results:', markdownTable(['figure', 'value'], results.slice(0, MAX_ROWS)));
  if (results.length > MAX_ROWS) parts.push(`_(${results.length - MAX_ROWS} more figures in bench-results/${d.bench}.json)_`);
  const goals = goalsTable(d.goals);
  if (goals) parts.push('Goals:', goals);
  return { markdown: parts.join('\n\n'), charts: [] };
}

function scalars(v: unknown, path: string, depth: number): string[][] {
  if (typeof v === 'number') return [[path || 'value', fmtNum(v)]];
  if (typeof v === 'string' || typeof v === 'boolean') return [[path || 'value', String(v)]];
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return [];
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  return entries.flatMap(([k, x]) => scalars(x, path ? `${path} › ${humanize(k)}` : humanize(k), depth + 1));
}
