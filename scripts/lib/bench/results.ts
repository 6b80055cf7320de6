// The JSON every benchmark writes to bench-results/<bench>.json, and reading them back for the report.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine.ts';

export const RESULTS_DIR = new URL('../../../bench-results/', import.meta.url).pathname;

/** A goal as the issue states it, with what this run measured. */
export interface Goal {
  what: string;
  /** The measured value and the target, in the same unit. */
  measured: number;
  target: number;
  unit: string;
  /** 'min': measured must be at least target; 'max': at most. */
  kind: 'min' | 'max';
  met: boolean;
}

export interface BenchRecord<P = unknown, R = unknown> {
  bench: string;
  command: string;
  /** ISO time of the start. */
  at: string;
  machine: MachineInfo;
  params: P;
  results: R;
  goals: Goal[] | Record<string, unknown>;
}

export function goal(what: string, measured: number, target: number, unit: string, kind: 'min' | 'max'): Goal {
  return { what, measured, target, unit, kind, met: kind === 'min' ? measured >= target : measured <= target };
}

/** The command line that ran this script, as one would type it. */
export function commandLine(npmScript?: string): string {
  if (npmScript !== undefined && process.env['npm_lifecycle_event'] === npmScript) return `npm run ${npmScript}`;
  const script = process.argv[1]?.replace(process.cwd() + '/', '') ?? '';
  return ['node', ...process.execArgv, script, ...process.argv.slice(2)].join(' ');
}

export function writeBenchRecord(rec: BenchRecord, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${rec.bench}.json`);
  writeFileSync(file, JSON.stringify(rec, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  return file;
}

/** Every bench-results/*.json, by file name without extension; unreadable files are reported, not thrown. */
export function readBenchFiles(dir = RESULTS_DIR): { name: string; data: unknown; error?: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return names.map((f) => {
    const name = f.slice(0, -'.json'.length);
    try {
      return { name, data: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown };
    } catch (err) {
      return { name, data: null, error: (err as Error).message };
    }
  });
}
