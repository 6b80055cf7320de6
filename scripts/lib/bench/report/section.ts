// What a bench's renderer returns, and the pieces every section shares: machine line, goals table, notes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmtNum, markdownTable } from '../format.ts';
import type { Goal } from '../results.ts';

export interface Chart {
  /** File name under docs/bench/. */
  file: string;
  svg: string;
  alt: string;
}

export interface Section {
  bench: string;
  title: string;
  markdown: string;
  charts: Chart[];
}

/** The machine as the common record has it (bench-codec's own keys are mapped by its renderer). */
export interface MachineLike {
  cpus: number;
  model: string;
  node: string;
  platform?: string;
  loadavgStart: number[];
  loadavgEnd?: number[];
}

export function machineLine(m: MachineLike, at: string, command: string): string {
  const load = `load average ${m.loadavgStart.map((x) => fmtNum(x)).join(' / ')} at the start` + (m.loadavgEnd?.length ? `, ${m.loadavgEnd.map((x) => fmtNum(x)).join(' / ')} at the end` : '');
  return [
    `Command: \`${command}\` — run of ${at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}.`,
    `Machine: ${m.model}, ${m.cpus} CPUs${m.platform ? `, ${m.platform}` : ''}, Node ${m.node}; ${load} (1 / 5 / 15 min).`,
  ].join('\n');
}

/** Goals as the common record lists them, or a bench's own map of named booleans. */
export function goalsTable(goals: unknown): string {
  if (Array.isArray(goals)) {
    const list = goals as Goal[];
    if (list.length === 0) return '';
    return markdownTable(
      ['goal', 'target', 'measured', 'met'],
      list.map((g) => [g.what, `${g.kind === 'min' ? '≥' : '≤'} ${fmtNum(g.target)} ${g.unit}`, `${fmtNum(g.measured)} ${g.unit}`, g.met ? 'yes' : '**no**']),
    );
  }
  if (goals !== null && typeof goals === 'object') {
    const entries = Object.entries(goals as Record<string, unknown>);
    if (entries.length === 0) return '';
    return markdownTable(
      ['goal', 'met'],
      entries.map(([k, v]) => [humanize(k), v === true ? 'yes' : v === false ? '**no**' : v === null ? 'not measured' : String(v)]),
    );
  }
  return '';
}

/** camelCase → words: "pullDuplicatesAtMost1Pct" → "pull duplicates at most 1 pct"; "p50Ms" → "p50 ms". */
export function humanize(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([a-z]{2,})([0-9])/g, '$1 $2').toLowerCase();
}

/** Hand-written notes kept beside the charts: `<bench>.intro.md` goes before the figures, `<bench>.md` after. */
export function notes(notesDir: string, bench: string): { intro: string; after: string } {
  const read = (f: string) => (existsSync(join(notesDir, f)) ? readFileSync(join(notesDir, f), 'utf8').trim() : '');
  return { intro: read(`${bench}.intro.md`), after: read(`${bench}.md`) };
}

export function chartRef(c: Chart): string {
  return `![${c.alt}](bench/${c.file})`;
}
