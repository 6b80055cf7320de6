// `node scripts/soak.ts [--minutes 10] [--tps 200]`: the local network (4 validators, overlay + reference core each)
// under load for N minutes, sampling the RSS of every process each second (and the overlays' V8 heap). The report
// compares each process's memory at the end with the start of the steady state (after a warm-up): flat means
// end / start ≤ 1.2. Writes bench-results/soak.json; exits 1 when a process grew past that.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LoadGenerator } from '../core-bridge/src/loadgen/load-generator.ts';
import { createLogger } from '../overlay/src/util/log.ts';
import { machineInfo } from './lib/bench/machine.ts';
import { rssMb } from './lib/bench/proc-mem.ts';
import { commandLine, goal, writeBenchRecord } from './lib/bench/results.ts';
import { PASSPHRASE, coreStats, validatorNet } from './lib/validator-net.ts';

/** The issue's bar: memory at the end at most 1.2 × memory after warm-up. */
const MAX_GROWTH = 1.2;
/** Ours: the first fifth of the run (at least a minute, at most three) is warm-up: caches and pools fill. */
const warmupSec = (total: number) => Math.min(180, Math.max(60, total / 5));
/** Samples averaged at each end, so one GC does not decide the verdict. */
const WINDOW = 30;

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, tps: { type: 'string', default: '200' }, validators: { type: 'string', default: '4' } },
});
const totalSec = Math.round(Number(values.minutes) * 60);
const tps = Number(values.tps);
const n = Number(values.validators);
if (!(totalSec > 0) || !(tps >= 0) || !(n >= 2)) {
  console.error('usage: node scripts/soak.ts [--minutes 10] [--tps 200] [--validators 4]');
  process.exit(2);
}


const machine = machineInfo();
const root = mkdtempSync(join(tmpdir(), 'soak-'));
const net = await validatorNet({ root, validators: n, ledgerMs: 1000, accounts: 10_000, log: createLogger('soak', 'warn') });
const urls = await net.start();
const lg = new LoadGenerator({ cores: urls, tps, accounts: 10_000, networkPassphrase: PASSPHRASE });
await lg.start();
console.log(`soak: ${n} validators, ${tps} tx/s, ${totalSec} s (warm-up ${warmupSec(totalSec)} s); logs in ${join(root, 'logs')}`);

const series = new Map<string, number[]>();
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

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const warm = warmupSec(totalSec);
const perProcess = [...series].map(([name, s]) => {
  const start = mean(s.slice(warm, warm + WINDOW));
  const end = mean(s.slice(-WINDOW));
  return { name, startMb: start, endMb: end, peakMb: Math.max(...s), growth: end / start, samples: s.length };
});
for (const p of perProcess) {
  console.log(`${p.name.padEnd(12)} after warm-up ${p.startMb.toFixed(0)} MB → end ${p.endMb.toFixed(0)} MB (×${p.growth.toFixed(2)}), peak ${p.peakMb.toFixed(0)} MB`);
}
const worst = perProcess.reduce((m, p) => (p.growth > m.growth ? p : m), perProcess[0]!);
const goals = [goal(`memory end / after warm-up, worst process (${worst.name})`, worst.growth, MAX_GROWTH, '×', 'max')];
console.log(`ledgers closed: ${final?.ledger.seq ?? '?'}; txs applied ${final?.ledger.totals.applied ?? '?'}; restarts ${restarts}; load ${JSON.stringify(lg.stats())}`);
const file = writeBenchRecord({
  bench: 'soak',
  command: commandLine(),
  at: new Date(started).toISOString(),
  machine: machine.end(),
  params: { minutes: totalSec / 60, tps, validators: n, warmupSec: warm, windowSec: WINDOW },
  results: { perProcess, ledgers: final?.ledger.seq ?? null, applied: final?.ledger.totals.applied ?? null, restarts, series: Object.fromEntries(series) },
  goals,
});
console.log(`wrote ${file}`);
process.exit(goals.every((g) => g.met) ? 0 : 1);
