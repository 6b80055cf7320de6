// Mempool memory and top-N (issue 6): one overlay fills its default 100,000-tx mempool from core's submissions, then
// stays under submission load (txs of random fee rates, so about half evict cheaper ones), memory sampled all along:
// RSS (anonymous vs file-backed, and the kernel's high-water mark), the main isolate's V8 heap and external memory
// (the overlay's /metrics). Then GET_TOP_TXS(1000) against the full pool (round trip and overlay CPU per request),
// top(1000) of a 60,000-tx Mempool in this process, and the memory of one verify worker thread (two more overlays
// with 1 and 3 workers fed the same txs: the difference / 2). Writes bench-results/mempool.json.
//   node scripts/bench-mempool.ts [--load 50000] [--skip-workers] [--overlay-node-options="--max-semi-space-size=8"]
// The overlays run with their runtime flags and malloc environment (overlay/src/runtime-flags.ts); the node flags
// are replaced by --overlay-node-options ("" for none), a malloc variable by setting it for this process. The
// record names what they ran with.
import { readFileSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { xdr } from '@stellar/stellar-base';
import { OverlayClient } from '../core-bridge/src/client/overlay-client.ts';
import { DEFAULTS } from '../overlay/src/config/defaults.ts';
import { NODE_FLAGS_ENV, OVERLAY_ENV } from '../overlay/src/runtime-flags.ts';
import { Mempool } from '../overlay/src/tx/mempool.ts';
import type { TxInfo } from '../overlay/src/tx/types.ts';
import { buildTxSet } from '../overlay/src/txset/build.ts';
import { toHex } from '../overlay/src/util/bytes.ts';
import { machineInfo } from './lib/bench/machine.ts';
import { commandLine, goal, writeBenchRecord } from './lib/bench/results.ts';
import { paymentSet, shapeFor, type PaymentShape } from './lib/bench/signed-payments.ts';
import { median, percentileOfSorted } from './lib/bench/stats.ts';
import { startOverlayNet, type NetOverlay } from './lib/overlay-net.ts';
import { PASSPHRASE } from './lib/validator-net.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Issue 6: an overlay holding a full default mempool stays within 300 MB RSS. */
const RSS_LIMIT_MB = 300;
/** Brief (issue 6): GET_TOP_TXS for 1000 of 60k txs well under 1 ms of overlay CPU. */
const TOP_N = 1000;
const TOP_POOL = 60_000;
const TOP_CPU_LIMIT_MS = 1;
/** Issue 6's IPC harness submits ~250-byte txs. */
const TX_BYTES = 250;
/** Submissions per SUBMIT_TX_BATCH, as the IPC bench and the old e2e phase sent them. */
const BATCH = 1000;
/** Fee rates drawn per op from [base, RATE_SPREAD × base]: half of the load phase pays enough to evict. */
const RATE_SPREAD = 10;
/** A full memory sample (with /metrics) every this many batches; RSS alone after every batch. */
const FULL_SAMPLE_EVERY = 10;
const TOP_REQUESTS = 200;
/** In-process top(): median of this many calls. */
const TOP_REPEATS = 51;
/** Worker probe: txs fed to each probe overlay, and its thread counts. */
const PROBE_TXS = 20_000;
const PROBE_THREADS = [1, 3] as const;
/** Linux USER_HZ: /proc/<pid>/stat CPU times are in these ticks. */
const CLOCK_TICKS_PER_SEC = 100;
const MB = 2 ** 20;

const { values } = parseArgs({
  options: {
    load: { type: 'string', default: '50000' },
    'skip-workers': { type: 'boolean', default: false },
    'overlay-node-options': { type: 'string' },
  },
});
const maxTxs = DEFAULTS.mempoolMaxTxs;
// Overlays are spawned with this process's environment, and our launcher reads the override from it.
if (values['overlay-node-options'] !== undefined) process.env[NODE_FLAGS_ENV] = values['overlay-node-options'];
const loadTxs = Number(values.load);

// ---- measuring the overlay process ------------------------------------------------------------------------------

interface ProcMem {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  /** VmHWM: the highest RSS the kernel saw, whatever our sampling missed. */
  hwmMb: number;
}

function procMem(pid: number): ProcMem {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 1024;
  return { rssMb: kb('VmRSS'), anonMb: kb('RssAnon'), fileMb: kb('RssFile'), hwmMb: kb('VmHWM') };
}

/** How a process runs: the node flags on its command line before the script, NODE_OPTIONS and the malloc variables. */
function nodeFlags(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const flags = argv.slice(1, argv.findIndex((a, i) => i > 0 && !a.startsWith('-')));
  const names = ['NODE_OPTIONS', ...Object.keys(OVERLAY_ENV)];
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((e) => names.includes(e.slice(0, e.indexOf('='))));
  return [...env, ...flags].join(' ') || 'none';
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

interface HeapMem {
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  /** The mempool's slabs (part of external): allocated, and the envelope bytes they hold. */
  slabMb: number;
  mempoolMb: number;
  /** V8 heap spaces' used sizes (new, old, code, large object, ...). */
  spacesMb: Record<string, number>;
}

/** The main isolate's heap, from the overlay's prom-client default metrics. */
async function heapMem(o: NetOverlay): Promise<HeapMem> {
  const text = await fetch(`${o.ready.admin}/metrics`).then((r) => r.text());
  const one = (name: string) => Number(new RegExp(`^overlay_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / MB;
  const spacesMb: Record<string, number> = {};
  for (const m of text.matchAll(/^overlay_nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)$/gm)) spacesMb[m[1]!] = Number(m[2]) / MB;
  return {
    heapUsedMb: one('nodejs_heap_size_used_bytes'),
    heapTotalMb: one('nodejs_heap_size_total_bytes'),
    externalMb: one('nodejs_external_memory_bytes'),
    slabMb: one('mempool_slab_bytes'),
    mempoolMb: one('mempool_bytes'),
    spacesMb,
  };
}

interface Sample extends ProcMem, Partial<HeapMem> {
  phase: string;
  submitted: number;
  pooled: number;
}

const round = (x: number) => Math.round(x * 10) / 10;

function printSample(s: Sample): void {
  const heap = s.heapUsedMb === undefined ? '' : `; heap ${s.heapUsedMb.toFixed(0)}/${s.heapTotalMb!.toFixed(0)} MB, external ${s.externalMb!.toFixed(0)} MB (slabs ${s.slabMb!.toFixed(0)} for ${s.mempoolMb!.toFixed(0)} of txs)`;
  console.log(`  ${s.phase.padEnd(5)} ${String(s.submitted).padStart(7)} sent, ${String(s.pooled).padStart(6)} pooled: RSS ${s.rssMb.toFixed(0)} MB (anon ${s.anonMb.toFixed(0)}, file ${s.fileMb.toFixed(0)})${heap}`);
}

// ---- the txs ----------------------------------------------------------------------------------------------------

/** Fee (uint32) offset in a V1 payment envelope: envelope type, MuxedAccount (discriminant, [id], key). */
function feeOffset(shape: PaymentShape): number {
  return 4 + 4 + (shape.muxed ? 8 : 0) + 32;
}

/** Unsigned payments (the overlay does not check signatures here), each with a random fee rate. */
function paymentsWithRandomFees(count: number, firstAccount: number, shape: PaymentShape): Uint8Array[] {
  const txs = paymentSet({ count, shape, firstAccount, signed: false, networkPassphrase: PASSPHRASE });
  const at = feeOffset(shape);
  const base = DEFAULTS.baseFee * shape.ops;
  for (const t of txs) new DataView(t.buffer, t.byteOffset).setUint32(at, randomInt(base, RATE_SPREAD * base + 1));
  const check = txs[0]!;
  const fee = xdr.TransactionEnvelope.fromXDR(Buffer.from(check)).v1().tx().fee();
  if (fee !== new DataView(check.buffer, check.byteOffset).getUint32(at)) throw new Error('feeOffset: the fee is not where the bench writes it');
  return txs;
}

// ---- phases -----------------------------------------------------------------------------------------------------

/** Submits `txs` in batches, sampling memory; returns the ACCEPTED count and the overlay's CPU ms per 1,000 txs. */
async function submitAll(client: OverlayClient, txs: Uint8Array[], o: NetOverlay, phase: string, samples: Sample[], offset: number) {
  const pid = o.launched.proc.pid!;
  const cpu0 = cpuMs(pid);
  let accepted = 0;
  for (let i = 0; i < txs.length; i += BATCH) {
    const verdicts = await client.submitTxBatch(txs.slice(i, i + BATCH));
    accepted += verdicts.filter((v) => v.status === 'ACCEPTED').length;
    const batchNo = i / BATCH + 1;
    const last = i + BATCH >= txs.length;
    const s: Sample = { phase, submitted: offset + Math.min(i + BATCH, txs.length), pooled: -1, ...procMem(pid) };
    if (batchNo % FULL_SAMPLE_EVERY === 0 || last) {
      Object.assign(s, await heapMem(o));
      s.pooled = (await client.stats()).mempoolTxs;
      printSample(s);
    }
    samples.push(s);
  }
  return { accepted, cpuMsPer1000: round(((cpuMs(pid) - cpu0) * 1000) / txs.length) };
}

async function topOverIpc(client: OverlayClient, pid: number) {
  for (let i = 0; i < 10; i++) await client.topTxs(TOP_N); // warm-up
  const rtt: number[] = [];
  const cpu0 = cpuMs(pid);
  for (let i = 0; i < TOP_REQUESTS; i++) {
    const t0 = performance.now();
    const txs = await client.topTxs(TOP_N);
    rtt.push(performance.now() - t0);
    if (txs.length !== TOP_N) throw new Error(`top ${TOP_N}: got ${txs.length}`);
  }
  const overlayCpuMsPerRequest = (cpuMs(pid) - cpu0) / TOP_REQUESTS;
  rtt.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 1000) / 1000;
  return { requests: TOP_REQUESTS, roundTripP50Ms: ms(percentileOfSorted(rtt, 50)), roundTripP99Ms: ms(percentileOfSorted(rtt, 99)), overlayCpuMsPerRequest: ms(overlayCpuMsPerRequest) };
}

/** Synthetic pending txs: `accounts` sources with `perAccount` consecutive seqs each, random fee rates. */
function syntheticTxs(accounts: number, perAccount: number): TxInfo[] {
  const out: TxInfo[] = [];
  for (let a = 0; a < accounts; a++) {
    const source = toHex(randomBytes(32));
    for (let s = 1; s <= perAccount; s++) {
      const hash = randomBytes(32);
      const ops = randomInt(1, 4);
      out.push({ hash, key: toHex(hash), bytes: new Uint8Array(TX_BYTES), source, seq: BigInt(s), fee: BigInt(ops * randomInt(100, 1001)), ops });
    }
  }
  return out;
}

/** top(1000) of a 60,000-tx pool and a 1,000-op tx set from its chains, in this process: the mempool's own cost. */
function topInProcess() {
  const pool = new Mempool({
    maxTxs: maxTxs,
    maxBytes: DEFAULTS.mempoolMaxBytes,
    pendingLedgers: DEFAULTS.mempoolPendingLedgers,
    banLedgers: DEFAULTS.mempoolBanLedgers,
    rbfMultiplier: DEFAULTS.mempoolRbfMultiplier,
  });
  for (const t of syntheticTxs(TOP_POOL / 2, 2)) pool.add(t);
  const time = (f: () => unknown) => {
    const ms: number[] = [];
    for (let i = 0; i < TOP_REPEATS; i++) {
      const t0 = performance.now();
      f();
      ms.push(performance.now() - t0);
    }
    return median(ms);
  };
  // Alternate with an add/remove so a cached order, if any, is rebuilt as it would be between requests under load.
  const extra = syntheticTxs(TOP_REPEATS, 1);
  let k = 0;
  const topMs = time(() => pool.top(TOP_N));
  const topAfterChangeMs = time(() => {
    const t = extra[k++ % extra.length]!;
    pool.add(t);
    pool.externalized([t.hash]);
    return pool.top(TOP_N);
  });
  const build = () =>
    buildTxSet({ previousLedgerHash: new Uint8Array(32), maxOps: TOP_N, maxBytes: DEFAULTS.mempoolMaxBytes, chains: pool.chains() });
  const buildMs = time(build);
  const ms = (x: number) => Math.round(x * 1000) / 1000;
  return { pooled: pool.size, topMs: ms(topMs), topAfterChangeMs: ms(topAfterChangeMs), buildTxSet1000OpsMs: ms(buildMs) };
}

async function workerProbe(txs: Uint8Array[]) {
  const out: Record<string, number> = {};
  for (const threads of PROBE_THREADS) {
    const net = await startOverlayNet({ n: 1, toml: `[tx]\nverify_signatures = false\nverify_threads = ${threads}` });
    try {
      const o = net.overlays[0]!;
      const client = await OverlayClient.connect({ socketPath: o.socketPath, networkPassphrase: PASSPHRASE });
      for (let i = 0; i < txs.length; i += BATCH) await client.submitTxBatch(txs.slice(i, i + BATCH));
      out[`rssMbWith${threads}`] = procMem(o.launched.proc.pid!).rssMb;
      await client.close();
    } finally {
      await net.stop();
    }
  }
  const [a, b] = PROBE_THREADS;
  for (const k of Object.keys(out)) out[k] = round(out[k]!);
  return { probeTxs: txs.length, ...out, perWorkerMb: round((out[`rssMbWith${b}`]! - out[`rssMbWith${a}`]!) / (b - a)) };
}

// ---- run --------------------------------------------------------------------------------------------------------

const machine = machineInfo();
const shape = shapeFor(TX_BYTES);
console.log(`bench-mempool: fill ${maxTxs} txs of ${shape.bytes} B, then ${loadTxs} more at random fee rates, batches of ${BATCH}`);
const fill = paymentsWithRandomFees(maxTxs, 5_000_000, shape);
const load = paymentsWithRandomFees(loadTxs, 6_000_000, shape);

const samples: Sample[] = [];
let rssStart: ProcMem;
let afterLoad: Sample;
let top;
let fillRun = { accepted: 0, cpuMsPer1000: 0 };
let loadRun = { accepted: 0, cpuMsPer1000: 0 };
let fillSecs = 0;
let overlayFlags = '';
const one = await startOverlayNet({ n: 1, toml: '[tx]\nverify_signatures = false' });
try {
  const o = one.overlays[0]!;
  const pid = o.launched.proc.pid!;
  const client = await OverlayClient.connect({ socketPath: o.socketPath, networkPassphrase: PASSPHRASE });
  rssStart = procMem(pid);
  overlayFlags = nodeFlags(pid);
  console.log(`  overlay node flags: ${overlayFlags}`);
  const start: Sample = { phase: 'start', submitted: 0, pooled: 0, ...rssStart, ...(await heapMem(o)) };
  printSample(start);
  samples.push(start);
  const t0 = performance.now();
  fillRun = await submitAll(client, fill, o, 'fill', samples, 0);
  fillSecs = (performance.now() - t0) / 1000;
  loadRun = await submitAll(client, load, o, 'load', samples, fill.length);
  console.log(`  overlay CPU per 1,000 txs submitted: ${fillRun.cpuMsPer1000} ms filling, ${loadRun.cpuMsPer1000} ms under load; fill ${fillSecs.toFixed(1)} s`);
  afterLoad = samples.at(-1)!;
  top = await topOverIpc(client, pid);
  console.log(`  GET_TOP_TXS ${TOP_N} of ${afterLoad.pooled}: round trip p50 ${top.roundTripP50Ms.toFixed(2)} ms, p99 ${top.roundTripP99Ms.toFixed(2)} ms; overlay CPU ${top.overlayCpuMsPerRequest.toFixed(2)} ms per request`);
  await client.close();
} finally {
  await one.stop();
}

const peak = samples.reduce((m, s) => Math.max(m, s.rssMb), 0);
const hwm = afterLoad.hwmMb;
console.log(`overlay RSS: ${rssStart.rssMb.toFixed(0)} MB at start, sampled peak ${peak.toFixed(0)} MB, high-water mark ${hwm.toFixed(0)} MB; ${afterLoad.rssMb.toFixed(0)} MB at the end (heap used ${afterLoad.heapUsedMb?.toFixed(0)} MB of ${afterLoad.heapTotalMb?.toFixed(0)}, external ${afterLoad.externalMb?.toFixed(0)} MB)`);
if (afterLoad.spacesMb) console.log(`  heap spaces (used MB): ${Object.entries(afterLoad.spacesMb).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);

const inProcess = topInProcess();
console.log(`in process, ${inProcess.pooled} pooled: top(${TOP_N}) ${inProcess.topMs.toFixed(3)} ms, after a change ${inProcess.topAfterChangeMs.toFixed(3)} ms; buildTxSet ${TOP_N} ops ${inProcess.buildTxSet1000OpsMs.toFixed(2)} ms (medians of ${TOP_REPEATS})`);

let workers = null;
if (!values['skip-workers']) {
  workers = await workerProbe(fill.slice(0, PROBE_TXS));
  console.log(`verify worker: ${workers.perWorkerMb.toFixed(1)} MB RSS each (overlays with ${PROBE_THREADS.join(' and ')} workers after ${PROBE_TXS} txs)`);
}

const goals = [
  goal(`overlay RSS high-water mark with a full mempool (${afterLoad.pooled} txs) under load`, hwm, RSS_LIMIT_MB, 'MB', 'max'),
  goal(`mempool top(${TOP_N}) of ${inProcess.pooled} txs after a change (in process)`, inProcess.topAfterChangeMs, TOP_CPU_LIMIT_MS, 'ms', 'max'),
];
for (const g of goals) console.log(`goal: ${g.what}: ${g.measured.toFixed(2)} ${g.unit} (target ${g.kind === 'min' ? '≥' : '≤'} ${g.target}) ${g.met ? 'met' : 'NOT met'}`);

const toRow = (s: Sample) => ({
  phase: s.phase,
  submitted: s.submitted,
  pooled: s.pooled,
  rssMb: round(s.rssMb),
  anonMb: round(s.anonMb),
  fileMb: round(s.fileMb),
  heapUsedMb: round(s.heapUsedMb ?? NaN),
  heapTotalMb: round(s.heapTotalMb ?? NaN),
  externalMb: round(s.externalMb ?? NaN),
  slabMb: round(s.slabMb ?? NaN),
});
const file = writeBenchRecord({
  bench: 'mempool',
  command: commandLine(),
  at: new Date().toISOString(),
  machine: machine.end(),
  params: { overlayNodeFlags: overlayFlags, maxTxs, txBytes: shape.bytes, loadTxs, batch: BATCH, feeRateSpread: RATE_SPREAD, topN: TOP_N, topPoolInProcess: TOP_POOL },
  results: {
    rss: { startMb: round(rssStart.rssMb), sampledPeakMb: round(peak), highWaterMarkMb: round(hwm), endMb: round(afterLoad.rssMb) },
    accepted: { fill: fillRun.accepted, load: loadRun.accepted, fillSecs: round(fillSecs) },
    overlayCpuMsPer1000Txs: { fill: fillRun.cpuMsPer1000, load: loadRun.cpuMsPer1000 },
    heapSpacesEndMb: Object.fromEntries(Object.entries(afterLoad.spacesMb ?? {}).filter(([, v]) => v >= 0.1).map(([k, v]) => [k, round(v)])),
    topOverIpc: top,
    topInProcess: inProcess,
    verifyWorker: workers,
    samples: samples.filter((s) => s.heapUsedMb !== undefined).map(toRow),
  },
  goals,
});
console.log(`wrote ${file}`);
process.exit(0);
