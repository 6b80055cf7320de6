// `node scripts/soak.ts [--minutes 10] [--tps 200] [--warmup S] [--window S]`: the local network (4 validators,
// overlay + reference core each) under load for N minutes, sampling the RSS of every process each second and its V8
// heap in use every 5 s (from each process's /metrics). The report compares each process's memory at the end with
// the start of the steady state (after a warm-up): flat means end / start ≤ 1.2, for RSS and heap alike. Writes
// bench-results/soak.json; exits 1 when a process grew past that.
//
// Start and end are each the peak over a window, not a sample or a short mean: a Node process's memory is a
// saw-tooth (V8 grows its heap to a limit set from the live size at the last full GC, then collects; malloc keeps
// what it obtained), whose period under load was 1–3 minutes in the runs of 2026-11-21. A short window measures
// where in a tooth it fell (×1.3–1.46 in a 30 s mean of a process whose peaks never rose); peaks over windows longer
// than a tooth are what an operator must provision for, and they rise with anything that leaks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LoadGenerator } from '../core-bridge/src/loadgen/load-generator.ts';
import { createLogger } from '../overlay/src/util/log.ts';
import { machineInfo } from './lib/bench/machine.ts';
import { rssMb } from './lib/bench/proc-mem.ts';
import { metricsOf } from './lib/bench/propagation.ts';
import { commandLine, goal, writeBenchRecord } from './lib/bench/results.ts';
import { PASSPHRASE, coreStats, validatorNet } from './lib/validator-net.ts';

/** The issue's bar: memory at the end at most 1.2 × memory after warm-up. */
const MAX_GROWTH = 1.2;
/** Ours: the first fifth of the run (at least a minute, at most three) is warm-up: caches and pools fill. */
const defaultWarmupSec = (total: number) => Math.min(180, Math.max(60, total / 5));
/** Ours: each window is a third of the steady part, at least a minute: longer than a saw-tooth's period. */
const defaultWindowSec = (steady: number) => Math.max(60, Math.floor(steady / 3));
/** Seconds between heap samples (an HTTP scrape of /metrics each). */
const HEAP_EVERY_SEC = 5;
/** prom-client's default metric of the V8 heap in use (the overlay's registry prefixes it). */
const HEAP_METRIC = 'nodejs_heap_size_used_bytes';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    tps: { type: 'string', default: '200' },
    validators: { type: 'string', default: '4' },
    warmup: { type: 'string' },
    window: { type: 'string' },
  },
});
const totalSec = Math.round(Number(values.minutes) * 60);
const tps = Number(values.tps);
const n = Number(values.validators);
const warm = values.warmup === undefined ? defaultWarmupSec(totalSec) : Math.round(Number(values.warmup));
const WINDOW = values.window === undefined ? defaultWindowSec(totalSec - warm) : Math.round(Number(values.window));
if (!(totalSec > 0) || !(tps >= 0) || !(n >= 2) || !(warm >= 0) || !(WINDOW >= HEAP_EVERY_SEC) || warm + WINDOW > totalSec) {
  console.error('usage: node scripts/soak.ts [--minutes 10] [--tps 200] [--validators 4] [--warmup S] [--window S] (warm-up + window within the run)');
  process.exit(2);
}


const machine = machineInfo();
const root = mkdtempSync(join(tmpdir(), 'soak-'));
const net = await validatorNet({ root, validators: n, ledgerMs: 1000, accounts: 10_000, log: createLogger('soak', 'warn') });
const urls = await net.start();
const admins = net.adminUrls();
/** Where each process's /metrics is, by the supervisor's child name. */
const metricsUrls = new Map(net.names.flatMap((name, i) => [[`${name}-overlay`, admins[i]!], [`${name}-core`, urls[i]!]]));
const lg = new LoadGenerator({ cores: urls, tps, accounts: 10_000, networkPassphrase: PASSPHRASE });
await lg.start();
console.log(`soak: ${n} validators, ${tps} tx/s, ${totalSec} s (warm-up ${warm} s, windows of ${WINDOW} s); logs in ${join(root, 'logs')}`);

const series = new Map<string, number[]>();
const heapSeries = new Map<string, number[]>();
async function sampleHeaps(): Promise<void> {
  await Promise.all(
    [...metricsUrls].map(async ([name, url]) => {
      const m = await metricsOf(url).catch(() => null);
      const bytes = m && [...m].find(([k]) => k.endsWith(HEAP_METRIC))?.[1];
      if (bytes === undefined || bytes === null) return;
      const s = heapSeries.get(name) ?? [];
      s.push(bytes / 2 ** 20);
      heapSeries.set(name, s);
    }),
  );
}
const started = Date.now();
let restarts = 0;
net.supervisor.on('restart', () => restarts++);
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const t = (Date.now() - started) / 1000;
    for (const c of net.supervisor.status()) {
      const r = rssMb(c.pid);
      if (r === null) continue;
      const s = series.get(c.name) ?? [];
      s.push(r);
      series.set(c.name, s);
    }
    if (Math.round(t) % HEAP_EVERY_SEC === 0) void sampleHeaps();
    if (Math.round(t) % 30 === 0) {
      void coreStats(urls[0]!).then((s) =>
        console.log(`  ${t.toFixed(0)} s: ledger ${s?.ledger.seq ?? '?'}, ${[...series].map(([k, v]) => `${k} ${v.at(-1)!.toFixed(0)}`).join(', ')} MB`),
      );
    }
    if (t >= totalSec) {
      clearInterval(timer);
      resolve();
    }
  }, 1000);
});
await lg.stop();
const final = await coreStats(urls[0]!);
await net.supervisor.stop();
rmSync(root, { recursive: true, force: true });

const peak = (xs: number[]) => Math.max(...xs);
const heapWarm = Math.round(warm / HEAP_EVERY_SEC);
const heapWindow = Math.round(WINDOW / HEAP_EVERY_SEC);
const perProcess = [...series].map(([name, s]) => {
  const start = peak(s.slice(warm, warm + WINDOW));
  const end = peak(s.slice(-WINDOW));
  const h = heapSeries.get(name) ?? [];
  const heapStartMb = h.length > heapWarm ? peak(h.slice(heapWarm, heapWarm + heapWindow)) : null;
  const heapEndMb = h.length > heapWarm ? peak(h.slice(-heapWindow)) : null;
  const heapGrowth = heapStartMb !== null && heapEndMb !== null ? heapEndMb / heapStartMb : null;
  return { name, startMb: start, endMb: end, peakMb: Math.max(...s), growth: end / start, heapStartMb, heapEndMb, heapGrowth, samples: s.length };
});
for (const p of perProcess) {
  const heap = p.heapGrowth === null ? '' : `; heap ${p.heapStartMb!.toFixed(0)} → ${p.heapEndMb!.toFixed(0)} MB (×${p.heapGrowth.toFixed(2)})`;
  console.log(`${p.name.padEnd(12)} RSS after warm-up ${p.startMb.toFixed(0)} MB → end ${p.endMb.toFixed(0)} MB (×${p.growth.toFixed(2)}), peak ${p.peakMb.toFixed(0)} MB${heap}`);
}
const worst = perProcess.reduce((m, p) => (p.growth > m.growth ? p : m), perProcess[0]!);
const worstHeap = perProcess.reduce((m, p) => ((p.heapGrowth ?? 0) > (m.heapGrowth ?? 0) ? p : m), perProcess[0]!);
const goals = [
  goal(`RSS peak, end / after warm-up, worst process (${worst.name})`, worst.growth, MAX_GROWTH, '×', 'max'),
  goal(`V8 heap peak, end / after warm-up, worst process (${worstHeap.name})`, worstHeap.heapGrowth ?? Number.NaN, MAX_GROWTH, '×', 'max'),
];
console.log(`ledgers closed: ${final?.ledger.seq ?? '?'}; txs applied ${final?.ledger.totals.applied ?? '?'}; restarts ${restarts}; load ${JSON.stringify(lg.stats())}`);
const file = writeBenchRecord({
  bench: 'soak',
  command: commandLine(),
  at: new Date(started).toISOString(),
  machine: machine.end(),
  params: { minutes: totalSec / 60, tps, validators: n, warmupSec: warm, windowSec: WINDOW, statistic: 'peak' },
  results: {
    perProcess,
    ledgers: final?.ledger.seq ?? null,
    applied: final?.ledger.totals.applied ?? null,
    restarts,
    series: Object.fromEntries(series),
    heapSeries: Object.fromEntries(heapSeries),
    heapEverySec: HEAP_EVERY_SEC,
  },
  goals,
});
console.log(`wrote ${file}`);
process.exit(goals.every((g) => g.met) ? 0 : 1);
