// End to end: 4 validators (overlay + reference core each) on this machine, 1 s ledgers, under a stepped load of
// signed payments. For each step: closed TPS and submission → externalization p50/p99 (core v0's tracker, the txs
// externalized in the step's measurement window), and the CPU and RSS of every process (the load generator runs in
// this process). The answer is the highest step whose closed TPS keeps up (≥ 90 % of the offered load) with p99
// within 3 s; the ladder stops after the first step that does not. Writes bench-results/e2e.json. (The mempool
// memory check is scripts/bench-mempool.ts.)
//
// --profile DIR: every overlay and core runs under `node --cpu-prof` (profiles in DIR/<child>/), this process is
// profiled through the inspector during each measurement window (DIR/loadgen-<tps>.cpuprofile), and each step's
// window is cut out of the children's profiles (DIR/<child>/<tps>-*.cpuprofile) and ranked: DIR/summary.json and
// the top functions on stdout; the processes' logs stay in DIR/net/logs (each core's "ledger closed" lines carry
// the slot's timeline). Profiling costs CPU: figures of a profiled run are not the bench's figures.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LoadGenerator, type LoadStats } from '../core-bridge/src/loadgen/load-generator.ts';
import { createLogger } from '../overlay/src/util/log.ts';
import { summariseProfile, type ProfileSummary } from './lib/bench/cpu-profile.ts';
import { machineInfo } from './lib/bench/machine.ts';
import { processCpuUs } from './lib/bench/proc-cpu.ts';
import { rssMb } from './lib/bench/proc-mem.ts';
import { commandLine, goal, writeBenchRecord } from './lib/bench/results.ts';
import { PASSPHRASE, coreStatsSince, validatorNet, type CoreStats } from './lib/validator-net.ts';

/** The bar: p99 submission → externalization within 3 s. */
const P99_LIMIT_MS = 3000;
/** A step "keeps up" when ledgers close at least this share of the offered load. */
const KEEP_UP = 0.9;
/** Seconds of each step before measuring (the mempool and latencies settle). */
const WARMUP_SEC = 5;
/** Seconds between steps, for the backlog of one step to clear before the next. */
const SETTLE_SEC = 3;
/** Ours: a /stats answer may be slow on a loaded machine; a missing one would void the step. */
const STATS_TIMEOUT_MS = 5000;
const STATS_ATTEMPTS = 3;
/** The window's ends wait for a ledger close, polled this often, for at most this long. */
const CLOSE_POLL_MS = 20;
const CLOSE_WAIT_MS = 5000;
/** Functions per process in the profile summary. */
const PROFILE_TOP = 12;
/** The name this process goes by in the per-process figures: it runs the load generator (and polls /stats). */
const LOADGEN = 'loadgen';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200,400,800,1200,1600' },
    'step-sec': { type: 'string', default: '20' },
    validators: { type: 'string', default: '4' },
    accounts: { type: 'string', default: '20000' },
    profile: { type: 'string' },
    /** quic, tcp or both (the overlays' default: QUIC first, TCP as fallback). */
    transport: { type: 'string', default: 'both' },
  },
});
const steps = values.steps.split(',').map(Number).filter((x) => x > 0);
const stepSec = Number(values['step-sec']);
const n = Number(values.validators);
const accounts = Number(values.accounts);
const profileDir = values.profile;
if (!['quic', 'tcp', 'both'].includes(values.transport)) throw new Error(`--transport: quic, tcp or both, not ${values.transport}`);
const transports = { quic: values.transport !== 'tcp', tcp: values.transport !== 'quic' };

const machine = machineInfo();
const root = profileDir ? join(profileDir, 'net') : mkdtempSync(join(tmpdir(), 'bench-e2e-'));
const log = createLogger('bench-e2e', 'warn');
console.log(
  `bench-e2e: ${n} validators, 1 s ledgers, steps ${steps.join(', ')} tx/s × ${stepSec} s, transports ${values.transport}` +
    (profileDir ? ` (profiled: ${profileDir})` : ''),
);

interface Step {
  offeredTps: number;
  closedTps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** 1-minute load average at the end of the step (the machine is shared). */
  loadAvg: number;
  /** CPU % of one core over the window, summed by kind of process. */
  cpuPct: { overlays: number; cores: number; loadgen: number; total: number };
  /** The load generator's view: txs accepted (per second: the load it delivered), refused, not applied within its resync window. */
  loadgen: { acceptedTps: number; rejected: number; lost: number; backlogged: number };
  keptUp: boolean;
}
/** One row per process; each figure keyed by the step's offered TPS. */
interface ProcessFigures {
  name: string;
  cpuPct: Record<string, number | null>;
  cpuUsPerTx: Record<string, number | null>;
  rssMb: Record<string, number | null>;
}
interface Window {
  tps: number;
  /** CLOCK_MONOTONIC µs, the clock of V8's profile timestamps. */
  fromUs: number;
  toUs: number;
}

const results: Step[] = [];
const processes = new Map<string, ProcessFigures>();
const windows: Window[] = [];
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const r1 = (x: number) => Math.round(x * 10) / 10;
const net = await validatorNet({ root, validators: n, ledgerMs: 1000, accounts, log, transports, ...(profileDir ? { cpuProfileDir: profileDir } : {}) });
const session = profileDir ? new Session() : null;
try {
  const urls = steps.length > 0 ? await net.start() : [];
  session?.connect();
  await session?.post('Profiler.enable');
  for (const tps of steps) {
    const lg = new LoadGenerator({ cores: urls, tps, accounts, networkPassphrase: PASSPHRASE });
    await lg.start();
    await sleep(WARMUP_SEC * 1000);
    await session?.post('Profiler.start');
    const children = net.supervisor.status().map((c) => ({ name: c.name, pid: c.pid ?? undefined }));
    // The window runs from a ledger close to a ledger close, so that it holds whole ledgers (a ledger of 1,000 txs
    // cut off at either end would move a 15 s window's TPS by 7 %).
    await nextClose(urls[0]!);
    const lg0 = lg.stats();
    const a = await statsOf(urls[0]!, Date.now());
    const t0 = Date.now();
    const fromUs = monoUs();
    const cpu0 = children.map((c) => processCpuUs(c.pid));
    const self0 = process.cpuUsage();
    await sleep((stepSec - WARMUP_SEC) * 1000);
    await nextClose(urls[0]!);
    const cpu1 = children.map((c) => processCpuUs(c.pid));
    const self = process.cpuUsage(self0);
    const toUs = monoUs();
    const secs = (Date.now() - t0) / 1000;
    const b = await statsOf(urls[0]!, t0);
    const lg1 = lg.stats();
    await lg.stop();
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(join(profileDir!, `${LOADGEN}-${tps}.cpuprofile`), JSON.stringify(profile));
    }
    windows.push({ tps, fromUs, toUs });

    const applied = a && b ? b.ledger.totals.applied - a.ledger.totals.applied : 0;
    const closedTps = applied / secs;
    const cpuUs = new Map<string, number | null>(children.map((c, i) => [c.name, cpu0[i] != null && cpu1[i] != null ? cpu1[i]! - cpu0[i]! : null]));
    cpuUs.set(LOADGEN, self.user + self.system);
    const rss = new Map<string, number | null>(children.map((c) => [c.name, rssMb(c.pid)]));
    rss.set(LOADGEN, process.memoryUsage.rss() / 2 ** 20);
    const pct = (us: number | null | undefined) => (us == null ? 0 : (100 * us) / 1e6 / secs);
    const sumPct = (kind: string) => r1([...cpuUs].filter(([name]) => name.endsWith(kind)).reduce((s, [, us]) => s + pct(us), 0));
    for (const [name, us] of cpuUs) {
      const p = processes.get(name) ?? { name, cpuPct: {}, cpuUsPerTx: {}, rssMb: {} };
      p.cpuPct[tps] = us == null ? null : r1(pct(us));
      p.cpuUsPerTx[tps] = us == null || applied === 0 ? null : Math.round(us / applied);
      const m = rss.get(name);
      p.rssMb[tps] = m == null ? null : Math.round(m);
      processes.set(name, p);
    }
    const p99 = b?.submissions.p99 ?? null;
    const step: Step = {
      offeredTps: tps,
      closedTps,
      p50Ms: b?.submissions.p50 ?? null,
      p99Ms: p99,
      loadAvg: r1(loadavg()[0]!),
      cpuPct: { overlays: sumPct('-overlay'), cores: sumPct('-core'), loadgen: r1(pct(cpuUs.get(LOADGEN))), total: r1([...cpuUs.values()].reduce<number>((s, us) => s + pct(us), 0)) },
      loadgen: loadgenDelta(lg0, lg1, secs),
      keptUp: closedTps >= KEEP_UP * tps && p99 !== null && p99 <= P99_LIMIT_MS,
    };
    results.push(step);
    const maxRss = Math.max(...[...rss.values()].map((x) => x ?? 0));
    console.log(
      `  offered ${tps} tx/s (accepted ${step.loadgen.acceptedTps.toFixed(0)}): closed ${closedTps.toFixed(0)} tx/s, p50 ${step.p50Ms} ms, p99 ${p99} ms, ` +
        `CPU % overlays ${step.cpuPct.overlays} cores ${step.cpuPct.cores} loadgen ${step.cpuPct.loadgen}, max RSS ${maxRss.toFixed(0)} MB, ` +
        `load ${step.loadAvg} → ${step.keptUp ? 'keeps up' : 'falls behind'}`,
    );
    if (!step.keptUp) break;
    await sleep(SETTLE_SEC * 1000);
  }
} finally {
  session?.disconnect();
  await net.supervisor.stop();
}
const best = results.filter((s) => s.keptUp).reduce((m, s) => Math.max(m, s.closedTps), 0);
console.log(`highest sustained closed TPS with p99 ≤ ${P99_LIMIT_MS} ms: ${best.toFixed(0)}`);
if (profileDir) summariseProfiles(profileDir, windows);
else rmSync(root, { recursive: true, force: true });

const goals = [goal('highest sustained closed TPS, 1 s ledgers, p99 ≤ 3 s', best, 1000, 'tx/s', 'min')];
for (const g of goals) console.log(`goal: ${g.what}: ${g.measured.toFixed(0)} ${g.unit} (target ${g.kind === 'min' ? '≥' : '≤'} ${g.target}) ${g.met ? 'met' : 'NOT met'}`);
if (!profileDir) {
  const file = writeBenchRecord({
    bench: 'e2e',
    command: commandLine('bench:e2e'),
    at: new Date().toISOString(),
    machine: machine.end(),
    params: { validators: n, ledgerMs: 1000, steps, stepSec, warmupSec: WARMUP_SEC, accounts, transports: values.transport },
    results: { bestClosedTps: best, steps: results, processes: [...processes.values()] },
    goals,
  });
  console.log(`wrote ${file}`);
} else {
  console.log('profiled run: bench-results/e2e.json left as it was');
}
process.exit(0);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves once the core closed another ledger (or after CLOSE_WAIT_MS: the window then cuts a ledger). */
async function nextClose(url: string): Promise<void> {
  const seqOf = async () => {
    try {
      return ((await (await fetch(`${url}/ledger`, { signal: AbortSignal.timeout(STATS_TIMEOUT_MS) })).json()) as { seq: number }).seq;
    } catch {
      return null;
    }
  };
  const first = await seqOf();
  const deadline = Date.now() + CLOSE_WAIT_MS;
  while (Date.now() < deadline) {
    await sleep(CLOSE_POLL_MS);
    const seq = await seqOf();
    if (first === null || (seq !== null && seq !== first)) return;
  }
}

/** /stats of a core, tried a few times: a step without it would count as closing nothing. */
async function statsOf(url: string, sinceMs: number): Promise<CoreStats | null> {
  for (let i = 0; i < STATS_ATTEMPTS; i++) {
    const s = await coreStatsSince(url, sinceMs, STATS_TIMEOUT_MS);
    if (s !== null) return s;
  }
  return null;
}

function loadgenDelta(a: LoadStats, b: LoadStats, secs: number): Step['loadgen'] {
  const rejected = (s: LoadStats) => Object.values(s.rejected).reduce((x, y) => x + y, 0);
  return { acceptedTps: r1((b.accepted - a.accepted) / secs), rejected: rejected(b) - rejected(a), lost: b.lost - a.lost, backlogged: b.backlogged - a.backlogged };
}

/**
 * Cuts each step's window out of every child's profiles (main thread and workers) and ranks it; the load
 * generator's profiles already cover just the windows.
 */
function summariseProfiles(dir: string, ws: Window[]): void {
  const out: Record<string, Record<string, ProfileSummary[]>> = {};
  for (const w of ws) {
    const perProcess: Record<string, ProfileSummary[]> = { [LOADGEN]: [summariseProfile(join(dir, `${LOADGEN}-${w.tps}.cpuprofile`), PROFILE_TOP)] };
    for (const child of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const files = readdirSync(join(dir, child.name)).filter((f) => f.startsWith('CPU.') && f.endsWith('.cpuprofile'));
      if (files.length === 0) continue; // not a child's profile directory (the network's own files)
      perProcess[child.name] = files
        .map((f) => windowOf(join(dir, child.name, f), w, join(dir, child.name, `${w.tps}-${f}`)))
        .filter((f): f is string => f !== null)
        .map((f) => summariseProfile(f, PROFILE_TOP))
        .sort((x, y) => y.busyMs - x.busyMs);
    }
    out[w.tps] = perProcess;
  }
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(out, null, 2) + '\n');
  const last = ws[ws.length - 1];
  if (last === undefined) return;
  console.log(`\nprofile of the ${last.tps} tx/s step (every step: ${join(dir, 'summary.json')}):`);
  for (const [name, profiles] of Object.entries(out[last.tps] ?? {}).sort(([x], [y]) => x.localeCompare(y))) {
    for (const p of profiles) {
      console.log(`  ${name} ${p.file.split('/').pop()}: busy ${p.busyMs.toFixed(0)} ms of ${p.wallMs.toFixed(0)} ms`);
      for (const f of p.top.slice(0, 8)) console.log(`    ${f.selfPct.toFixed(1).padStart(5)} %  ${f.fn}`);
    }
  }
}

interface RawProfile {
  nodes: { id: number; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Writes the part of a .cpuprofile within the window (hit counts recounted from its samples); null if none. */
function windowOf(file: string, w: Window, outFile: string): string | null {
  const p = JSON.parse(readFileSync(file, 'utf8')) as RawProfile;
  if (!p.samples || !p.timeDeltas || p.endTime < w.fromUs || p.startTime > w.toUs) return null;
  const hits = new Map<number, number>();
  const samples: number[] = [];
  const deltas: number[] = [];
  let t = p.startTime;
  let last = w.fromUs;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    if (t < w.fromUs || t > w.toUs) continue;
    const id = p.samples[i]!;
    hits.set(id, (hits.get(id) ?? 0) + 1);
    samples.push(id);
    deltas.push(t - last);
    last = t;
  }
  if (samples.length === 0) return null;
  const cut = { ...p, nodes: p.nodes.map((nd) => ({ ...nd, hitCount: hits.get(nd.id) ?? 0 })), startTime: w.fromUs, endTime: w.toUs, samples, timeDeltas: deltas };
  mkdirSync(join(outFile, '..'), { recursive: true });
  writeFileSync(outFile, JSON.stringify(cut));
  return outFile;
}
