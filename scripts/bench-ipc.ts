// `node scripts/bench-ipc.ts`: core ⇄ overlay over the IPC socket, with this process as core (core-bridge's
// OverlayClient) and real overlay processes:
//   1. tx submission: pipelined SUBMIT_TX_BATCH of distinct signed payments (~250 B, and larger sizes without
//      signature checks), counted by ACCEPTED verdicts, i.e. through to mempool insertion; signature checks on
//      and off (two overlays, since that is config);
//   2. SCP: envelopes from one core through its overlay, gossipsub, a second overlay, to the second core;
//   3. request/response round trips, one at a time: the top 1000 txs, and the metrics;
// each beside a bare-socket baseline measured in the same run: this process and a forked child exchanging bare
// frames of the same payload sizes in the same pattern (scripts/lib/bench/bare-peer.ts). Also measured in the same
// run, for the goals: the raw ed25519 verify rate on all cores (node:crypto, cached KeyObjects, one worker thread
// per core: the baseline as the issue defines it) and, beside it, the raw rate of libsodium (sodium-native, the
// overlay's verifier when its addon loads) on all cores; the rate at which one thread decodes and hashes the same
// envelopes; and, once, every verifier on one thread (@noble/ed25519 from --verifiers-dir). Each checking overlay
// reports the verifier it used (gauge overlay_tx_signature_backend).
//
// Measurements alternate in rounds (raw rates, then each submission run) and medians are reported, because the
// machine is shared. Writes bench-results/ipc.json; asserts nothing about timings.
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { encodePayload, networkIdOf } from '#ipc-protocol';
import { OverlayClient } from '../core-bridge/src/client/overlay-client.ts';
import { ScpSigner } from '../core-bridge/src/scp/envelopes.ts';
import { TEST_PASSPHRASE } from '../tests/fixtures/txs.ts';
import { waitFor } from '../tests/helpers/wait.ts';
import { startOverlayNet, type OverlayNet } from './lib/overlay-net.ts';
import { BarePeer } from './lib/bench/bare-peer.ts';
import { summariseProfiles, type ProfileSummary } from './lib/bench/cpu-profile.ts';
import { decodeHashRate } from './lib/bench/decode-rate.ts';
import { fmtNum, fmtRate, fmtRatio, textTable } from './lib/bench/format.ts';
import { roundTrips, scpThroughput, submitPipelined, type SubmitRun } from './lib/bench/ipc-drivers.ts';
import { machineInfo } from './lib/bench/machine.ts';
import { ROUND_TRIP_HEADER, roundTripRow } from './lib/bench/report/ipc.ts';
import type { IpcParams, IpcRecord, IpcResults, SubmitMode, SubmitSample, SubmitSize } from './lib/bench/ipc-record.ts';
import { cpuDuring } from './lib/bench/proc-cpu.ts';
import { commandLine, goal, writeBenchRecord, type Goal } from './lib/bench/results.ts';
import { paymentSet, shapeFor, type PaymentShape } from './lib/bench/signed-payments.ts';
import { distribution, median } from './lib/bench/stats.ts';
import { verifyRate } from './lib/bench/verify-rate.ts';
import { alternativeVersion, VERIFIER_IDS, VERIFIER_LABELS, type VerifierId } from './lib/bench/verifiers.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** The issue's goals (issue 6). */
const GOAL_CHECKED_VS_RAW_VERIFY = 0.7;
const GOAL_UNCHECKED_VS_DECODE_HASH = 0.5;
const GOAL_ROUND_TRIP_P99_US = 200;
/** GET_TOP_TXS_REQ asks for this many txs (the issue's "top 1000 txs"). */
const TOP_TXS = 1000;
/** Ours: how long each raw-rate measurement runs per round. */
const RAW_RATE_MS = 1000;
const VERIFIER_COMPARE_MS = 1000;
/** Ours: warm-up before the timed runs (JIT, worker key caches, gossipsub mesh). */
const WARM_TXS = 2000;
const WARM_ENVELOPES = 200;
const WARM_ROUND_TRIPS = 50;
/** Ours: round trips alternate ours/bare in this many blocks, so drift hits both alike. */
const ROUND_TRIP_BLOCKS = 5;
/** Ours: an SCP run ends when nothing arrived for this long (envelopes lost). */
const SCP_STALL_MS = 5000;
/** Ours: how long the two SCP overlays may take to connect and form their gossipsub mesh. */
const MESH_DEADLINE_MS = 30_000;
/** Ours: a pipelined batch waits behind up to `window` others; on a loaded shared machine that exceeded the client's
 * 10 s default and ended the run. The bench measures throughput, so requests may take this long. */
const REQUEST_TIMEOUT_MS = 120_000;
/** Account numbers of each round's txs start at round × this (distinct sources everywhere). */
const ACCOUNTS_PER_ROUND = 10_000_000;

const { values: args } = parseArgs({
  options: {
    txs: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '250,1000,4000' },
    batch: { type: 'string', default: '256' },
    window: { type: 'string', default: '16' },
    envelopes: { type: 'string', default: '5000' },
    'scp-window': { type: 'string', default: '256' },
    'round-trips': { type: 'string', default: '1000' },
    /** tx.verify_threads of the checking overlays, one overlay each (0: the overlay's default); default "0,<cores>". */
    'verify-threads': { type: 'string' },
    /** tx.signature_backend of the checking overlays (auto, sodium, node): one overlay per backend and verify_threads. */
    'signature-backends': { type: 'string', default: 'auto' },
    /** Where @noble/ed25519 was installed (npm install --no-save outside the project); or BENCH_VERIFIERS_DIR. */
    'verifiers-dir': { type: 'string' },
    profile: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const P = {
  txsPerRound: quick ? 3000 : Number(args.txs),
  rounds: quick ? 1 : Number(args.rounds),
  /** Target envelope sizes; the first is the main one (signature checks on and off), the rest checks off only. */
  targetSizes: (quick ? '250' : args.sizes).split(',').map(Number),
  batch: Number(args.batch),
  window: Number(args.window),
  envelopes: quick ? 1000 : Number(args.envelopes),
  scpWindow: Number(args['scp-window']),
  roundTrips: quick ? 200 : Number(args['round-trips']),
  verifyThreads: [...new Set((args['verify-threads'] ?? `0,${availableParallelism()}`).split(',').map(Number))],
  signatureBackends: [...new Set(args['signature-backends'].split(','))],
  verifiersDir: args['verifiers-dir'] ?? process.env['BENCH_VERIFIERS_DIR'] ?? null,
};
const profileDir = args.profile ?? null;

// ---- helpers ----------------------------------------------------------------------------------------------------
const log = (s = '') => console.log(s);
const rate = (n: number, ms: number) => n / (ms / 1000);

/** One submission run, timed and with the CPU both processes spent on it. */
async function submitRun(client: OverlayClient, overlay: OverlayNet, txs: readonly Uint8Array[], txBytes: number): Promise<SubmitSample> {
  const pid = overlay.overlays[0]!.launched.proc.pid;
  const { value: run, selfUs, othersUs } = await cpuDuring([pid], () => submitPipelined(client, txs, { batch: P.batch, window: P.window }));
  const txPerSec = rate(run.accepted, run.ms);
  const per = (us: number | null) => (us === null || run.accepted === 0 ? null : us / run.accepted);
  return { ...run, txPerSec, mbPerSec: (txPerSec * txBytes) / 1e6, coreCpuUsPerTx: per(selfUs)!, overlayCpuUsPerTx: per(othersUs[0] ?? null) };
}

function modeCells(m: SubmitMode, s: SubmitSize): string[] {
  const cpu = `${fmtNum(m.coreCpuUsPerTx)} + ${m.overlayCpuUsPerTx === null ? '?' : fmtNum(m.overlayCpuUsPerTx)}`;
  return [fmtRate(m.txPerSec), fmtNum(m.mbPerSec), cpu, fmtRate(s.bare.txPerSec), fmtNum(s.bare.mbPerSec), fmtRatio(m.vsBare)];
}

function warnIfRefused(what: string, run: SubmitRun, expected: number): void {
  if (run.accepted !== expected) console.warn(`warning: ${what}: ${run.accepted}/${expected} accepted: ${JSON.stringify(run.verdicts)}`);
}

/** Exact payload sizes of a SUBMIT_TX_BATCH and of its TX_VERDICT_BATCH (the bare baseline sends the same). */
function batchSizes(txs: readonly Uint8Array[]): { request: number; reply: number } {
  const request = encodePayload({ type: 'SUBMIT_TX_BATCH', requestId: 1n, txs: [...txs] }).length;
  const verdict = { status: 0, reason: 0, hash: new Uint8Array(32) };
  const reply = encodePayload({ type: 'TX_VERDICT_BATCH', requestId: 1n, verdicts: txs.map(() => verdict) }).length;
  return { request, reply };
}

/** The ed25519 backend an overlay's checker uses, from its flat metrics (gauge overlay_tx_signature_backend). */
async function signatureBackendOf(client: OverlayClient): Promise<string> {
  const m = await client.metrics();
  const on = Object.entries(m).find(([k, v]) => k.startsWith('overlay_tx_signature_backend{') && v === 1);
  return on === undefined ? 'unknown' : on[0].slice(on[0].indexOf('=') + 1, -1);
}

async function metricValue(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

async function startOverlay(toml: string, profile: boolean): Promise<OverlayNet> {
  const saved = process.env['NODE_OPTIONS'];
  if (profile && profileDir !== null) process.env['NODE_OPTIONS'] = `${saved ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
  try {
    return await startOverlayNet({ n: 1, toml });
  } finally {
    if (saved === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = saved;
  }
}

// ---- the run ----------------------------------------------------------------------------------------------------
const machine = machineInfo();
const startedAt = new Date().toISOString();
log(
  `bench-ipc on ${machine.model}, ${machine.cpus} CPUs, node ${machine.node}; load average ${machine.loadavgStart.join(' ')}; ` +
    `${P.rounds} round(s) of ${P.txsPerRound} txs${quick ? ' (quick)' : ''}`,
);

// 1. Verifiers, one thread each (node:crypto and sodium-native also on all cores), before anything else runs.
log('\nComparing ed25519 verifiers (one thread each)...');
const verifiers: { id: VerifierId; label: string; version: string | null; perSec: number | null; note?: string }[] = [];
for (const id of VERIFIER_IDS) {
  const r = await verifyRate(id, { threads: 1, durationMs: VERIFIER_COMPARE_MS, altDir: P.verifiersDir });
  verifiers.push(
    typeof r === 'string'
      ? { id, label: VERIFIER_LABELS[id], version: alternativeVersion(id, P.verifiersDir), perSec: null, note: r }
      : { id, label: VERIFIER_LABELS[id], version: alternativeVersion(id, P.verifiersDir), perSec: r.perSec },
  );
}
const allCores: { id: VerifierId; perSec: number }[] = [];
for (const id of ['node-cached', 'sodium-native'] as const) {
  const r = await verifyRate(id, { durationMs: VERIFIER_COMPARE_MS, altDir: P.verifiersDir });
  if (typeof r !== 'string') allCores.push({ id, perSec: r.perSec });
}
log(
  textTable(
    ['verifier', 'verifies/s (1 thread)', `verifies/s (${machine.cpus} threads)`],
    verifiers.map((v) => [
      v.label + (v.version ? ` ${v.version}` : ''),
      v.perSec === null ? `– (${v.note})` : fmtRate(v.perSec),
      fmtRate(allCores.find((a) => a.id === v.id)?.perSec ?? NaN),
    ]),
  ),
);

// 2. Payments: the main size signed (checks on and off see the same txs), the other sizes unsigned (checks off).
const shapes: PaymentShape[] = P.targetSizes.map(shapeFor);
const mainShape = shapes[0]!;
log(`\nSigning ${P.rounds * P.txsPerRound + WARM_TXS} payments of ${mainShape.bytes} B (${mainShape.ops} op(s)); sizes ${shapes.map((s) => s.bytes).join(', ')} B...`);
let t = performance.now();
const warmTxs = paymentSet({ count: WARM_TXS, shape: mainShape, firstAccount: 1, signed: true });
const signedRounds = Array.from({ length: P.rounds }, (_, r) =>
  paymentSet({ count: P.txsPerRound, shape: mainShape, firstAccount: (r + 1) * ACCOUNTS_PER_ROUND, signed: true }),
);
const unsignedRounds = shapes.slice(1).map((shape) =>
  Array.from({ length: P.rounds }, () => paymentSet({ count: P.txsPerRound, shape, firstAccount: 0, signed: false })),
);
log(`  ${Math.round(performance.now() - t)} ms`);

// 3. Overlays: one checking signatures, one not; mempools large enough for everything submitted.
const mempoolTxs = WARM_TXS + P.rounds * P.txsPerRound * shapes.length + 1000;
const mempoolBytes = 2 * (WARM_TXS + P.rounds * P.txsPerRound) * shapes.reduce((a, s) => a + s.bytes, 0) + 64 * 1024 * 1024;
/** The checking overlays, in the order measured; the goal is read on the last. */
const checkedSpecs = P.signatureBackends.flatMap((backend) => P.verifyThreads.map((threads) => ({ threads, backend })));
const overlayToml = (verify: boolean, threads: number, backend = 'auto') =>
  [
    `[tx]`,
    `verify_signatures = ${verify}`,
    `verify_threads = ${threads}`,
    // "auto" is the default: left out, so the bench also runs against an overlay older than the key.
    ...(backend === 'auto' ? [] : [`signature_backend = "${backend}"`]),
    `[mempool]`,
    `max_txs = ${mempoolTxs}`,
    `max_bytes = ${mempoolBytes}`,
  ].join('\n');
if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
// Everything started is stopped on the way out, whatever fails (overlay processes must not outlive the bench).
const cleanups: (() => Promise<unknown>)[] = [];
async function started<T>(thing: Promise<T>, stop: (t: T) => Promise<unknown>): Promise<T> {
  const t = await thing;
  cleanups.unshift(() => stop(t));
  return t;
}
async function cleanUp(): Promise<void> {
  for (const stop of cleanups.splice(0)) await stop().catch((err: unknown) => console.warn('cleanup failed:', err));
}
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
const connect = (socketPath: string) =>
  started(
    OverlayClient.connect({ socketPath, networkPassphrase: TEST_PASSPHRASE, software: 'bench-ipc', requestTimeoutMs: REQUEST_TIMEOUT_MS }),
    (c) => c.close(),
  );
/** One overlay checking signatures per (backend, verify_threads); the goal is read on the last (all cores by default). */
const checked: { threads: number; net: OverlayNet; client: OverlayClient; backend: string }[] = [];
let unchecked: OverlayNet, scpNet: OverlayNet;
let bare: BarePeer;
let offClient: OverlayClient, scpFrom: OverlayClient, scpTo: OverlayClient;
try {
  for (const spec of checkedSpecs) {
    const { threads } = spec;
    const net = await started(startOverlay(overlayToml(true, threads, spec.backend), true), (n) => n.stop());
    const client = await connect(net.overlays[0]!.socketPath);
    checked.push({ threads, net, client, backend: await signatureBackendOf(client) });
  }
  unchecked = await started(startOverlay(overlayToml(false, 0), true), (n) => n.stop());
  scpNet = await started(startOverlayNet({ n: 2, dials: [[], [0]] }), (n) => n.stop());
  bare = await started(BarePeer.start(), (b) => b.close());
  offClient = await connect(unchecked.overlays[0]!.socketPath);
  scpFrom = await connect(scpNet.overlays[0]!.socketPath);
  scpTo = await connect(scpNet.overlays[1]!.socketPath);
} catch (err) {
  await cleanUp();
  throw err;
}

interface SizeRuns {
  txBytes: number;
  shape: PaymentShape;
  /** Per checking overlay (checkedSpecs order), its runs; main size only. */
  on: SubmitSample[][];
  off: SubmitSample[];
  bare: { txPerSec: number; mbPerSec: number; ms: number }[];
  requestBytes: number;
  replyBytes: number;
}
const sizeRuns: SizeRuns[] = shapes.map((shape, i) => {
  const b = batchSizes((i === 0 ? signedRounds[0]! : unsignedRounds[i - 1]![0]!).slice(0, P.batch));
  return { txBytes: shape.bytes, shape, on: checked.map(() => []), off: [], bare: [], requestBytes: b.request, replyBytes: b.reply };
});
const rawVerify: number[] = [];
const rawSodium: number[] = [];
const decodeHash: number[] = [];
let profiles: ProfileSummary[] = [];

try {
  log(`\nChecking overlays' signature verifier: ${checked.map((c) => `verify_threads ${c.threads}: ${c.backend}`).join(', ')}`);
  log('\nWarming up...');
  for (const [name, client] of [...checked.map((c) => [`checks on, ${c.threads} threads`, c.client] as const), ['checks off', offClient] as const]) {
    warnIfRefused(`warm-up (${name})`, await submitPipelined(client, warmTxs, { batch: P.batch, window: P.window }), WARM_TXS);
  }

  // 4. Rounds: raw rates, then every submission run, so each ratio compares figures measured moments apart.
  for (let r = 0; r < P.rounds; r++) {
    const raw = await verifyRate('node-cached', { durationMs: RAW_RATE_MS });
    if (typeof raw === 'string') throw new Error(raw);
    rawVerify.push(raw.perSec);
    const sodium = await verifyRate('sodium-native', { durationMs: RAW_RATE_MS });
    if (typeof sodium === 'string') throw new Error(sodium);
    rawSodium.push(sodium.perSec);
    decodeHash.push(decodeHashRate(signedRounds[r]!, RAW_RATE_MS));
    for (const [i, s] of sizeRuns.entries()) {
      const txs = i === 0 ? signedRounds[r]! : unsignedRounds[i - 1]![r]!;
      if (i === 0) {
        for (const [k, c] of checked.entries()) {
          const on = await submitRun(c.client, c.net, txs, s.txBytes);
          warnIfRefused(`round ${r + 1}, ${s.txBytes} B, checks on, verify_threads ${c.threads}`, on, txs.length);
          s.on[k]!.push(on);
        }
      }
      const off = await submitRun(offClient, unchecked, txs, s.txBytes);
      warnIfRefused(`round ${r + 1}, ${s.txBytes} B, checks off`, off, txs.length);
      s.off.push(off);
      const batches = Math.ceil(txs.length / P.batch);
      const ms = await bare.pipelined({ requestBytes: s.requestBytes, replyBytes: s.replyBytes, count: batches, window: P.window });
      const txPerSec = rate(txs.length, ms);
      s.bare.push({ txPerSec, mbPerSec: (txPerSec * s.txBytes) / 1e6, ms });
    }
    const main = sizeRuns[0]!;
    log(
      `round ${r + 1}/${P.rounds}: raw verify ${fmtRate(raw.perSec)}/s node:crypto, ${fmtRate(sodium.perSec)}/s sodium (${raw.threads} threads), ` +
        `decode+hash ${fmtRate(decodeHash.at(-1)!)}/s; ` +
        `${main.txBytes} B: checks on ${checked.map((c, k) => `${fmtRate(main.on[k]!.at(-1)!.txPerSec)} tx/s (${c.backend}, verify_threads ${c.threads})`).join(', ')}, ` +
        `off ${fmtRate(main.off.at(-1)!.txPerSec)} tx/s, ` +
        `bare ${fmtRate(main.bare.at(-1)!.txPerSec)} tx/s`,
    );
  }

  // 5. SCP through two overlays.
  log('\nSCP: waiting for the two overlays to connect and form their mesh...');
  await waitFor(
    'the gossipsub mesh between the SCP overlays',
    async () => {
      const m = await Promise.all(scpNet.overlays.map((o) => metricValue(o.ready.admin!, 'overlay_scp_mesh_peers')));
      return m.every((x) => x >= 1);
    },
    MESH_DEADLINE_MS,
    100,
  );
  const signer = new ScpSigner(scpNet.overlays[0]!.seed, networkIdOf(TEST_PASSPHRASE));
  const qset = createHash('sha256').update('bench-ipc qset').digest();
  const envelopesFor = (first: number, n: number) =>
    Array.from({ length: n }, (_, i) => signer.nominate(BigInt(first + i), [createHash('sha256').update(`v${first + i}`).digest()], [], qset));
  const warmEnvelopes = envelopesFor(1, WARM_ENVELOPES);
  const envelopeRounds = Array.from({ length: P.rounds }, (_, r) => envelopesFor(1_000_000 * (r + 1), P.envelopes));
  const envelopeBytes = warmEnvelopes[0]!.length;
  await scpThroughput(scpFrom, scpTo, warmEnvelopes, { window: P.scpWindow, stallMs: SCP_STALL_MS });
  const scp: { envPerSec: number; delivered: number; sent: number; ms: number }[] = [];
  const scpBare: { envPerSec: number; ms: number }[] = [];
  for (let r = 0; r < P.rounds; r++) {
    const run = await scpThroughput(scpFrom, scpTo, envelopeRounds[r]!, { window: P.scpWindow, stallMs: SCP_STALL_MS });
    if (run.delivered < P.envelopes) console.warn(`warning: SCP round ${r + 1}: ${run.delivered}/${P.envelopes} delivered`);
    scp.push({ ...run, envPerSec: rate(run.delivered, run.ms) });
    const ms = await bare.stream({ frameBytes: envelopeBytes, count: P.envelopes });
    scpBare.push({ envPerSec: rate(P.envelopes, ms), ms });
    log(`SCP round ${r + 1}/${P.rounds}: ${fmtRate(scp.at(-1)!.envPerSec)} envelopes/s, bare ${fmtRate(scpBare.at(-1)!.envPerSec)}/s`);
  }

  // 6. Round trips, against the last checking overlay: its mempool holds every main-size tx submitted (the overlay
  // without checks also holds the larger sizes, which would make "the top 1000" a reply of a few MB).
  // Every other overlay is stopped first: round trips are one request at a time, and on 2 cores the idle overlays'
  // timers, gossip heartbeats and collections land in their tail (stops are idempotent; cleanUp repeats them).
  log('\nRound trips (the other overlays stopped)...');
  const others = checked.slice(0, -1);
  await Promise.all([offClient, scpFrom, scpTo, ...others.map((c) => c.client)].map((c) => c.close()));
  await Promise.all([unchecked, scpNet, ...others.map((c) => c.net)].map((n) => n.stop()));
  const rttClient = checked.at(-1)!.client;
  const top = await rttClient.topTxs(TOP_TXS);
  const metrics = await rttClient.metrics();
  const kinds = [
    {
      name: `GET_TOP_TXS_REQ (${TOP_TXS} txs)`,
      call: () => rttClient.topTxs(TOP_TXS),
      requestBytes: encodePayload({ type: 'GET_TOP_TXS_REQ', requestId: 1n, count: TOP_TXS }).length,
      replyBytes: encodePayload({ type: 'TOP_TXS_REPLY', requestId: 1n, txs: top }).length,
    },
    {
      name: 'GET_METRICS',
      call: () => rttClient.metrics(),
      requestBytes: encodePayload({ type: 'GET_METRICS', requestId: 1n }).length,
      replyBytes: encodePayload({ type: 'METRICS_REPLY', requestId: 1n, metrics }).length,
    },
  ];
  const rtt: { name: string; requestBytes: number; replyBytes: number; ours: number[]; bare: number[] }[] = [];
  for (const k of kinds) {
    await roundTrips(k.call, WARM_ROUND_TRIPS);
    await bare.roundTrips({ requestBytes: k.requestBytes, replyBytes: k.replyBytes, count: WARM_ROUND_TRIPS });
    const ours: number[] = [];
    const bareUs: number[] = [];
    const perBlock = Math.ceil(P.roundTrips / ROUND_TRIP_BLOCKS);
    for (let b = 0; b < ROUND_TRIP_BLOCKS; b++) {
      ours.push(...(await roundTrips(k.call, perBlock)));
      bareUs.push(...(await bare.roundTrips({ requestBytes: k.requestBytes, replyBytes: k.replyBytes, count: perBlock })));
    }
    rtt.push({ name: k.name, requestBytes: k.requestBytes, replyBytes: k.replyBytes, ours, bare: bareUs });
  }

  const end = machine.end();

  // ---- summary --------------------------------------------------------------------------------------------------
  const rawMedian = median(rawVerify);
  const rawSodiumMedian = median(rawSodium);
  const decodeMedian = median(decodeHash);
  const submit: SubmitSize[] = sizeRuns.map((s) => {
    const bareTx = median(s.bare.map((b) => b.txPerSec));
    const mode = (xs: SubmitSample[]): SubmitMode => {
      const overlayCpu = xs.map((x) => x.overlayCpuUsPerTx).filter((x): x is number => x !== null);
      const txPerSec = median(xs.map((x) => x.txPerSec));
      return {
        txPerSec,
        mbPerSec: median(xs.map((x) => x.mbPerSec)),
        coreCpuUsPerTx: median(xs.map((x) => x.coreCpuUsPerTx)),
        overlayCpuUsPerTx: overlayCpu.length === 0 ? null : median(overlayCpu),
        vsBare: txPerSec / bareTx,
        runs: xs,
      };
    };
    return {
      txBytes: s.txBytes,
      shape: s.shape,
      requestBytes: s.requestBytes,
      replyBytes: s.replyBytes,
      on: s.on
        .filter((runs) => runs.length > 0)
        .map((runs, k) => ({
          ...mode(runs),
          verifyThreads: checked[k]!.threads,
          signatureBackend: checked[k]!.backend,
          vsRawVerify: median(runs.map((x, r) => x.txPerSec / rawVerify[r]!)),
          vsRawSodium: median(runs.map((x, r) => x.txPerSec / rawSodium[r]!)),
        })),
      off: { ...mode(s.off), vsDecodeHash: s === sizeRuns[0] ? median(s.off.map((x, r) => x.txPerSec / decodeHash[r]!)) : null },
      bare: { txPerSec: bareTx, mbPerSec: median(s.bare.map((b) => b.mbPerSec)), runs: s.bare },
    };
  });
  const scpSummary: IpcResults['scp'] = {
    envelopeBytes,
    envPerSec: median(scp.map((x) => x.envPerSec)),
    bareEnvPerSec: median(scpBare.map((x) => x.envPerSec)),
    runs: scp,
    bareRuns: scpBare,
  };
  const roundTrip: IpcResults['roundTrip'] = rtt.map((x) => {
    const ours = distribution(x.ours);
    const bareD = distribution(x.bare);
    return { name: x.name, requestBytes: x.requestBytes, replyBytes: x.replyBytes, ours, bare: bareD, p99VsBare: ours.p99 / bareD.p99, samplesUs: { ours: x.ours, bare: x.bare } };
  });

  const main = submit[0]!;
  const goals: Goal[] = [
    goal(
      `submission with signature checks (verify_threads ${main.on.at(-1)!.verifyThreads}, ${main.on.at(-1)!.signatureBackend}), × raw ed25519 verify rate ` +
        `on all ${machine.cpus} cores (node:crypto, as the issue defines it)`,
      main.on.at(-1)!.vsRawVerify,
      GOAL_CHECKED_VS_RAW_VERIFY,
      '×',
      'min',
    ),
    goal('submission without signature checks, × one thread decoding and hashing the same envelopes', main.off.vsDecodeHash!, GOAL_UNCHECKED_VS_DECODE_HASH, '×', 'min'),
    ...roundTrip.map((x) => goal(`round trip p99, ${x.name}`, x.ours.p99, GOAL_ROUND_TRIP_P99_US, 'µs', 'max')),
  ];

  log(
    `\nRaw rates (median of ${P.rounds}): ed25519 verify on ${machine.cpus} cores ${fmtRate(rawMedian)}/s node:crypto (the goal's baseline), ` +
      `${fmtRate(rawSodiumMedian)}/s sodium; decode+hash on one thread ${fmtRate(decodeMedian)}/s (${mainShape.bytes} B)`,
  );
  log(`\nTx submission (SUBMIT_TX_BATCH of ${P.batch}, ${P.window} in flight; median tx/s by ACCEPTED verdicts)`);
  log(
    textTable(
      ['tx B', 'checks', 'tx/s', 'MB/s', 'CPU µs/tx core + overlay', 'bare tx/s', 'bare MB/s', 'ours/bare', 'vs raw rates (goal: × node:crypto)'],
      submit.flatMap((s) => [
        ...s.on.map((m) => [
          String(s.txBytes),
          `on (${m.signatureBackend}), verify_threads ${m.verifyThreads}`,
          ...modeCells(m, s),
          `${fmtRatio(m.vsRawVerify)} × raw node:crypto, ${fmtRatio(m.vsRawSodium ?? NaN)} × raw sodium`,
        ]),
        [String(s.txBytes), 'off', ...modeCells(s.off, s), s.off.vsDecodeHash === null ? '' : `${fmtRatio(s.off.vsDecodeHash)} × decode+hash`],
      ]),
    ),
  );
  log(`\nSCP envelopes (${envelopeBytes} B) core → overlay → gossipsub → overlay → core: ${fmtRate(scpSummary.envPerSec)}/s; bare one-way ${fmtRate(scpSummary.bareEnvPerSec)}/s; ratio ${fmtRatio(scpSummary.envPerSec / scpSummary.bareEnvPerSec)}`);
  log('\nRound trips, one at a time (µs)');
  log(
    textTable(
      ROUND_TRIP_HEADER,
      roundTrip.map(roundTripRow),
    ),
  );
  log('\nGoals');
  log(textTable(['goal', 'measured', 'target', 'met'], goals.map((g) => [g.what, fmtNum(g.measured), `${g.kind === 'min' ? '≥' : '≤'} ${g.target}`, g.met ? 'yes' : 'NO'])));

  // Stopped before reading profiles: an overlay writes its profile when it exits.
  await cleanUp();
  if (profileDir !== null) {
    profiles = summariseProfiles(profileDir);
    log(`\nCPU profiles in ${profileDir} (busiest first; self time as a share of each thread's busy time):`);
    for (const p of profiles.slice(0, 4)) {
      log(`\n${p.file}: busy ${fmtNum(p.busyMs)} of ${fmtNum(p.wallMs)} ms`);
      log(textTable(['function', 'self %', 'self ms'], p.top.slice(0, 12).map((h) => [h.fn, fmtNum(h.selfPct), fmtNum(h.selfMs)])));
    }
  }

  const params: IpcParams = { ...P, quick, txShape: mainShape, sizes: shapes.map((s) => s.bytes), topTxs: TOP_TXS, rawRateMs: RAW_RATE_MS };
  const record: IpcRecord = {
    bench: 'ipc',
    command: commandLine('bench:ipc'),
    at: startedAt,
    machine: end,
    params,
    results: {
      verifiers: verifiers.map((v) => ({ ...v, allCoresPerSec: allCores.find((a) => a.id === v.id)?.perSec ?? null })),
      rawVerify: { perRound: rawVerify, median: rawMedian, threads: machine.cpus },
      rawSodium: { perRound: rawSodium, median: rawSodiumMedian, threads: machine.cpus },
      decodeHash: { perRound: decodeHash, median: decodeMedian, txBytes: mainShape.bytes },
      submit,
      scp: scpSummary,
      roundTrip,
      profiles: profiles.map((p) => ({ ...p, top: p.top.slice(0, 12) })),
    },
    goals,
  };
  const file = writeBenchRecord(record);
  log(`\nwrote ${file}`);
} finally {
  await cleanUp();
}
