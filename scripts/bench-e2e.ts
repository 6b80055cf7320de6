// End to end: 4 validators (overlay + reference core each) on this machine, 1 s ledgers, under a stepped load of
// signed payments. For each step: closed TPS and submission → externalization p50/p99 (from core v0's tracker),
// and the RSS of every process. The answer is the highest step whose closed TPS keeps up (≥ 90 % of the offered
// load) with p99 within 3 s. Writes bench-results/e2e.json. (The mempool memory check is scripts/bench-mempool.ts.)
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

/** The bar: p99 submission → externalization within 3 s. */
const P99_LIMIT_MS = 3000;
/** A step "keeps up" when ledgers close at least this share of the offered load. */
const KEEP_UP = 0.9;
/** Seconds of each step before measuring (the mempool and latencies settle). */
const WARMUP_SEC = 5;

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200,400,800,1200' },
    'step-sec': { type: 'string', default: '20' },
    validators: { type: 'string', default: '4' },
    accounts: { type: 'string', default: '20000' },
  },
});
const steps = values.steps.split(',').map(Number).filter((x) => x > 0);
const stepSec = Number(values['step-sec']);
const n = Number(values.validators);
const accounts = Number(values.accounts);


const machine = machineInfo();
const root = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
const log = createLogger('bench-e2e', 'warn');
console.log(`bench-e2e: ${n} validators, 1 s ledgers, steps ${steps.join(', ')} tx/s × ${stepSec} s`);

interface Step {
  offeredTps: number;
  closedTps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  rssMb: Record<string, number | null>;
  keptUp: boolean;
}
const results: Step[] = [];
const net = await validatorNet({ root, validators: n, ledgerMs: 1000, accounts, log });
try {
  const urls = steps.length > 0 ? await net.start() : [];
  for (const tps of steps) {
    const lg = new LoadGenerator({ cores: urls, tps, accounts, networkPassphrase: PASSPHRASE });
    await lg.start();
    await new Promise((r) => setTimeout(r, WARMUP_SEC * 1000));
    const a = await coreStats(urls[0]!);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, (stepSec - WARMUP_SEC) * 1000));
    const b = await coreStats(urls[0]!);
    const secs = (Date.now() - t0) / 1000;
    await lg.stop();
    const rss: Record<string, number | null> = {};
    for (const c of net.supervisor.status()) rss[c.name] = rssMb(c.pid);
    const closedTps = a && b ? (b.ledger.totals.applied - a.ledger.totals.applied) / secs : 0;
    const p99 = b?.submissions.p99 ?? null;
    const step: Step = {
      offeredTps: tps,
      closedTps,
      p50Ms: b?.submissions.p50 ?? null,
      p99Ms: p99,
      rssMb: rss,
      keptUp: closedTps >= KEEP_UP * tps && p99 !== null && p99 <= P99_LIMIT_MS,
    };
    results.push(step);
    const maxRss = Math.max(...Object.values(rss).map((x) => x ?? 0));
    console.log(`  offered ${tps} tx/s: closed ${closedTps.toFixed(0)} tx/s, p50 ${step.p50Ms} ms, p99 ${p99} ms, max RSS ${maxRss.toFixed(0)} MB → ${step.keptUp ? 'keeps up' : 'falls behind'}`);
    if (!step.keptUp) break;
    // Let the backlog of this step clear before the next.
    await new Promise((r) => setTimeout(r, 3000));
  }
} finally {
  await net.supervisor.stop();
}
const best = results.filter((s) => s.keptUp).reduce((m, s) => Math.max(m, s.closedTps), 0);
console.log(`highest sustained closed TPS with p99 ≤ ${P99_LIMIT_MS} ms: ${best.toFixed(0)}`);

rmSync(root, { recursive: true, force: true });

const goals = [goal('highest sustained closed TPS, 1 s ledgers, p99 ≤ 3 s', best, 1000, 'tx/s', 'min')];
for (const g of goals) console.log(`goal: ${g.what}: ${g.measured.toFixed(0)} ${g.unit} (target ${g.kind === 'min' ? '≥' : '≤'} ${g.target}) ${g.met ? 'met' : 'NOT met'}`);
const file = writeBenchRecord({
  bench: 'e2e',
  command: commandLine('bench:e2e'),
  at: new Date().toISOString(),
  machine: machine.end(),
  params: { validators: n, ledgerMs: 1000, steps, stepSec, warmupSec: WARMUP_SEC, accounts },
  results: { steps: results, bestClosedTps: best },
  goals,
});
console.log(`wrote ${file}`);
process.exit(0);
