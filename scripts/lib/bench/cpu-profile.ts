// Reads V8 .cpuprofile files (node --cpu-prof) and ranks functions by self time, so a benchmark can print where an
// overlay spent its CPU without opening a profiler.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotFunction {
  fn: string;
  /** Share of the profile's non-idle samples. */
  selfPct: number;
  selfMs: number;
}

export interface ProfileSummary {
  file: string;
  /** Wall time the profile covers and the part of it not idle (sampled on CPU or in GC). */
  wallMs: number;
  busyMs: number;
  top: HotFunction[];
}

/** Frames that block the thread without using the CPU (piscina's idle workers wait in Atomics.wait). */
const BLOCKED = new Set(['(idle)', '(program)', '(root)', 'atomicsWaitLoop']);

/** Self-time ranking of one profile; program, idle and blocked samples are left out of the shares. */
export function summariseProfile(file: string, topN = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalHits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const wallMs = (p.endTime - p.startTime) / 1000;
  const msPerHit = totalHits > 0 ? wallMs / totalHits : 0;
  const byFn = new Map<string, number>();
  let busy = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const name = n.callFrame.functionName;
    if (BLOCKED.has(name)) continue;
    busy += hits;
    const where = n.callFrame.url === '' ? '' : ` ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    const key = `${name || '(anonymous)'}${where}`;
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
  }
  const top = [...byFn]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([fn, hits]) => ({ fn, selfPct: busy > 0 ? (100 * hits) / busy : 0, selfMs: hits * msPerHit }));
  return { file, wallMs, busyMs: busy * msPerHit, top };
}

/** Every .cpuprofile in `dir`, busiest first. */
export function summariseProfiles(dir: string, topN = 15): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summariseProfile(join(dir, f), topN))
    .sort((a, b) => b.busyMs - a.busyMs);
}

/** The part of a file URL that says where in the project or in node_modules it is. */
function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const m = url.match(/\/(overlay|ipc-protocol|core-bridge|scripts|tests)\/.*$/);
  return m ? m[0].slice(1) : url.replace(/^file:\/\//, '');
}
