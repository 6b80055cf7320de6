// `npm run bench:flood`: tx flooding cost on N overlays (default 8) in a random 4-regular graph on loopback, pull
// (INV/GETDATA) against push (full bodies to every peer) in the same run. Signed payments are injected at random
// nodes at a set rate; per node it prints bytes received per unique tx against the tx size, the duplicate-body ratio,
// and propagation latency to all nodes (p50/p99, estimated from mempool counts sampled every POLL_MS).
// Both modes are counted alike, from the start of injection until every node holds every tx: every tx-flood frame
// (header included) received, by type, and sent (the two totals must agree: nothing uncounted or lost), and the
// bytes of the whole peer connections both ways from /peers, as a cross-check (p2p/traffic.ts does not count them
// all yet: over QUIC it misses some streams, over TCP it reported 0).
// Results go to bench-results/flood.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreConnection } from '../core-bridge/src/client/connection.ts';
import { makePayment, testKeypair } from '../tests/fixtures/txs.ts';
import { MempoolSampler, metricsOf, sumOf, waitUntil } from './lib/bench/propagation.ts';
import { DEFAULT_NETWORK_PASSPHRASE, dialsOf, randomRegularGraph, startOverlayNet, type NetOverlay, type OverlayNet } from './lib/overlay-net.ts';

/** Issue 4's goal: pull costs at most 1.3 × tx size + this many bytes × degree per tx per node (a v1 INV entry). */
const BUDGET_BYTES_PER_PEER = 40;
/** How often every node's mempool size is sampled (latency resolution). */
const POLL_MS = 20;
/** How long to wait, after the last injection, for every node to hold every tx. */
const SETTLE_DEADLINE_MS = 60_000;
const FRAME_TYPES = ['inv', 'getdata', 'txs', 'notfound'] as const;
/** Core connections are tried again until this deadline, this long apart. */
const CORE_CONNECT_DEADLINE_MS = 60_000;
const CORE_CONNECT_RETRY_MS = 500;

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '8' },
    degree: { type: 'string', default: '4' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '10' },
    modes: { type: 'string', default: 'pull,push' },
    seed: { type: 'string', default: '1' },
    /** quic (the overlays' default) or tcp (QUIC off: TCP + Noise + Yamux). */
    transport: { type: 'string', default: 'quic' },
    /** Extra keys of every overlay's [flood] section, ';'-separated, e.g. 'getdata_timeout_max_ms = 1000' (V2's fixed timeout). */
    'flood-config': { type: 'string', default: '' },
  },
});
const n = Number(values.nodes);
const degree = Number(values.degree);
const rate = Number(values.rate);
const durationSec = Number(values.duration);
const modes = values.modes.split(',') as ('pull' | 'push')[];
const total = Math.round(rate * durationSec);

// A seeded PRNG (mulberry32) so the graph and injection points repeat across runs.
let state = Number(values.seed) >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

console.log(`bench-flood: ${n} nodes, ${degree}-regular, ${rate} tx/s for ${durationSec} s (${total} txs per mode), modes ${modes.join(', ')}`);
const edges = randomRegularGraph(n, degree, random);
const injectAt = Array.from({ length: total }, () => Math.floor(random() * n));

// Signed once, up front: each mode floods the same payments (distinct sources, so no sequence chains).
const t0 = Date.now();
const txsByMode = new Map(modes.map((mode, m) => [mode, Array.from({ length: total }, (_, i) => makePayment({ source: testKeypair(1_000_000 * (m + 1) + i), seq: 1n }))]));
console.log(`signed ${total * modes.length} payments in ${Date.now() - t0} ms; tx size ${txsByMode.get(modes[0]!)![0]!.length} B`);

interface NodeResult {
  node: number;
  bytesInPerTx: number;
  bytesOutPerTx: number;
  budget: number;
  duplicateRatio: number;
  fromPeers: number;
  getdataTimeouts: number;
  lateReplies: number;
  withdrawnRequests: number;
  unsolicited: number;
  invSkipped: number;
  /** The largest per-peer GETDATA timeout at the end, ms. */
  maxTimeoutMs: number;
  /** The overlay's event-loop delay during the run (prom-client's monitor), p99 and max, ms. */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
}

interface ModeResult {
  mode: string;
  txBytes: number;
  perNode: NodeResult[];
  /** Flood frames received (headers included), per unique tx per node. */
  bytesInPerTx: number;
  /** Flood frames sent, per unique tx per node: equal to bytesInPerTx but for frames in flight at the end. */
  bytesOutPerTx: number;
  /** bytesInPerTx by frame type. */
  bytesInPerTxByType: Record<(typeof FRAME_TYPES)[number], number>;
  /** INV entries queued to peers per unique tx per node, by cause (new, connect, rebroadcast), and left out unsent. */
  invEntriesPerTx: Record<string, number>;
  /** Whole peer connections (/peers: every protocol above the transport), received and sent, per unique tx per node. */
  connectionBytesPerTx: { in: number; out: number };
  duplicateRatio: number;
  /** GETDATA request → reply times over all nodes (bucket upper bounds of the overlays' histogram), ms. */
  replyMs: { p50: number; p90: number; p99: number };
  latencyMs: { p50: number; p99: number; max: number };
  elapsedSec: number;
}

/** The q-quantile of a cumulative Prometheus histogram given as le → count: the upper bound of its bucket. */
function bucketQuantile(buckets: Map<number, number>, q: number): number {
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total === 0) return NaN;
  return les.find((le) => buckets.get(le)! >= q * total) ?? Infinity;
}

/** Counters of one overlay at one moment: its /metrics and its connections' bytes. */
interface Snapshot {
  m: Map<string, number>;
  connIn: number;
  connOut: number;
}

async function snapshot(o: NetOverlay): Promise<Snapshot> {
  const [m, peers] = await Promise.all([
    metricsOf(o.ready.admin!),
    fetch(`${o.ready.admin!}/peers`).then((r) => r.json() as Promise<{ bytesIn: number; bytesOut: number }[]>),
  ]);
  return { m, connIn: peers.reduce((a, p) => a + p.bytesIn, 0), connOut: peers.reduce((a, p) => a + p.bytesOut, 0) };
}

/**
 * One at a time, and again on a HELLO timeout: eight overlays starting on a loaded machine can take seconds to
 * answer (and, until the overlay sees the abandoned connection close, it refuses the next as ALREADY_CONNECTED).
 */
async function openCore(o: NetOverlay): Promise<CoreConnection> {
  const end = Date.now() + CORE_CONNECT_DEADLINE_MS;
  for (;;) {
    try {
      return await CoreConnection.open({ socketPath: o.socketPath, networkPassphrase: DEFAULT_NETWORK_PASSPHRASE, software: 'bench-flood' });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (Date.now() > end || (code !== 'TIMEOUT' && code !== 'ALREADY_CONNECTED')) throw err;
      console.log(`node ${o.index}: ${code} on HELLO, trying again`);
      await new Promise((r) => setTimeout(r, CORE_CONNECT_RETRY_MS));
    }
  }
}

async function runMode(mode: 'pull' | 'push'): Promise<ModeResult> {
  const txs = txsByMode.get(mode)!;
  const txBytes = txs.reduce((a, t) => a + t.length, 0) / txs.length;
  const net: OverlayNet = await startOverlayNet({
    n,
    dials: dialsOf(n, edges),
    p2p: ['target_outbound = 16', 'max_inbound = 16', ...(values.transport === 'tcp' ? ['quic = false'] : [])],
    toml: `[flood]\nmode = "${mode}"\n${values['flood-config'].replaceAll(';', '\n')}`,
  });
  try {
    const cores: CoreConnection[] = [];
    for (const o of net.overlays) cores.push(await openCore(o));
    const degreeOf = Array.from({ length: n }, (_, i) => edges.filter(([a, b]) => a === i || b === i).length);
    await waitUntil('flood links', async () => {
      const ms = await Promise.all(net.overlays.map((o) => metricsOf(o.ready.admin!)));
      return ms.every((m, i) => (m.get('overlay_flood_links') ?? 0) >= degreeOf[i]!);
    }, 30_000);

    // Mempool sizes, sampled: arrival of the k-th tx at a node = first sample with count ≥ k.
    let rid = 1n;
    const sampler = new MempoolSampler(cores, { pollMs: POLL_MS, nextRequestId: () => rid++ });
    sampler.start();

    const before = await Promise.all(net.overlays.map(snapshot));
    const submittedAt: number[] = [];
    const start = Date.now();
    let next = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
        for (; next < due; next++) {
          submittedAt.push(Date.now());
          cores[injectAt[next]!]!.send({ type: 'SUBMIT_TX_CHECKED', requestId: rid++, tx: txs[next]! });
        }
        if (next >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await waitUntil('every node to hold every tx', async () => sampler.last.every((c) => c >= total), SETTLE_DEADLINE_MS);
    const after = await Promise.all(net.overlays.map(snapshot));
    await sampler.stop();
    const elapsedSec = (Date.now() - start) / 1000;

    const latencies = sampler.latenciesToAll(submittedAt);

    const perNode: NodeResult[] = [];
    const sum = { in: 0, out: 0, connIn: 0, connOut: 0, txs: 0, dup: 0, bodies: 0 };
    const byType = Object.fromEntries(FRAME_TYPES.map((t) => [t, 0])) as Record<(typeof FRAME_TYPES)[number], number>;
    const replyBuckets = new Map<number, number>();
    const invEntries: Record<string, number> = { new: 0, connect: 0, rebroadcast: 0, skipped: 0 };
    for (const o of net.overlays) {
      const a = after[o.index]!;
      const b = before[o.index]!;
      const delta = (prefix: string) => sumOf(a.m, prefix) - sumOf(b.m, prefix);
      const bytesIn = delta('overlay_flood_bytes_total{dir="in"');
      const bytesOut = delta('overlay_flood_bytes_total{dir="out"');
      const dup = delta('overlay_flood_tx_bodies_received_total{kind="duplicate"}');
      const bodies = delta('overlay_flood_tx_bodies_received_total');
      const fromPeers = total - injectAt.filter((x) => x === o.index).length;
      for (const t of FRAME_TYPES) byType[t] += delta(`overlay_flood_bytes_total{dir="in",type="${t}"}`);
      for (const c of ['new', 'connect', 'rebroadcast']) invEntries[c]! += delta(`overlay_flood_announced_total{cause="${c}"}`);
      invEntries['skipped']! += delta('overlay_flood_inv_skipped_total');
      for (const [k, v] of a.m) {
        const le = /^overlay_flood_getdata_reply_seconds_bucket\{le="([^"]+)"\}$/.exec(k)?.[1];
        if (le === undefined) continue;
        const bound = le === '+Inf' ? Infinity : Number(le);
        replyBuckets.set(bound, (replyBuckets.get(bound) ?? 0) + v - (b.m.get(k) ?? 0));
      }
      sum.in += bytesIn;
      sum.out += bytesOut;
      sum.connIn += a.connIn - b.connIn;
      sum.connOut += a.connOut - b.connOut;
      sum.txs += fromPeers;
      sum.dup += dup;
      sum.bodies += bodies;
      perNode.push({
        node: o.index,
        bytesInPerTx: bytesIn / fromPeers,
        bytesOutPerTx: bytesOut / fromPeers,
        budget: 1.3 * txBytes + BUDGET_BYTES_PER_PEER * degreeOf[o.index]!,
        duplicateRatio: bodies === 0 ? 0 : dup / bodies,
        fromPeers,
        getdataTimeouts: delta('overlay_flood_getdata_timeouts'),
        lateReplies: delta('overlay_flood_getdata_late_replies_total'),
        withdrawnRequests: delta('overlay_flood_getdata_cancelled_total'),
        unsolicited: delta('overlay_flood_tx_bodies_received_total{kind="unsolicited"}'),
        invSkipped: delta('overlay_flood_inv_skipped_total'),
        maxTimeoutMs: 1000 * (a.m.get('overlay_flood_getdata_timeout_seconds{stat="max"}') ?? NaN),
        loopLagP99Ms: 1000 * (a.m.get('overlay_nodejs_eventloop_lag_p99_seconds') ?? NaN),
        loopLagMaxMs: 1000 * (a.m.get('overlay_nodejs_eventloop_lag_max_seconds') ?? NaN),
      });
    }
    for (const c of cores) c.close();
    return {
      mode,
      txBytes,
      perNode,
      bytesInPerTx: sum.in / sum.txs,
      bytesOutPerTx: sum.out / sum.txs,
      bytesInPerTxByType: Object.fromEntries(FRAME_TYPES.map((t) => [t, byType[t] / sum.txs])) as ModeResult['bytesInPerTxByType'],
      invEntriesPerTx: Object.fromEntries(Object.entries(invEntries).map(([k, v]) => [k, v / sum.txs])),
      connectionBytesPerTx: { in: sum.connIn / sum.txs, out: sum.connOut / sum.txs },
      duplicateRatio: sum.bodies === 0 ? 0 : sum.dup / sum.bodies,
      replyMs: { p50: 1000 * bucketQuantile(replyBuckets, 0.5), p90: 1000 * bucketQuantile(replyBuckets, 0.9), p99: 1000 * bucketQuantile(replyBuckets, 0.99) },
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      elapsedSec,
    };
  } finally {
    await net.stop();
  }
}

const load0 = loadavg();
const results: ModeResult[] = [];
for (const mode of modes) {
  const r = await runMode(mode);
  results.push(r);
  const types = FRAME_TYPES.map((t) => `${t} ${r.bytesInPerTxByType[t].toFixed(1)}`).join(', ');
  console.log(`\n${mode}: tx ${r.txBytes.toFixed(0)} B; bytes received per unique tx per node ${r.bytesInPerTx.toFixed(0)} B (${types}; sent ${r.bytesOutPerTx.toFixed(0)} B); duplicate bodies ${(100 * r.duplicateRatio).toFixed(2)}%; latency to all nodes p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms (±${POLL_MS} ms)`);
  console.log(`  INV entries queued per unique tx per node: ${Object.entries(r.invEntriesPerTx).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  console.log(`  whole connections per unique tx per node: in ${r.connectionBytesPerTx.in.toFixed(0)} B, out ${r.connectionBytesPerTx.out.toFixed(0)} B`);
  if (mode === 'pull') console.log(`  GETDATA reply times (bucket bounds): p50 ≤ ${r.replyMs.p50} ms, p90 ≤ ${r.replyMs.p90} ms, p99 ≤ ${r.replyMs.p99} ms`);
  console.log('  node  bytes-in/tx  budget(1.3×size+40×deg)  dup-ratio  timeouts  late  withdrawn  unsolicited  inv-skipped  max-timeout-ms  loop-lag-p99/max-ms');
  for (const p of r.perNode) {
    const cols = [
      [p.node, 4],
      [p.bytesInPerTx.toFixed(0), 11],
      [p.budget.toFixed(0), 23],
      [`${(100 * p.duplicateRatio).toFixed(2)}%`, 9],
      [p.getdataTimeouts, 8],
      [p.lateReplies, 4],
      [p.withdrawnRequests, 9],
      [p.unsolicited, 11],
      [p.invSkipped, 11],
      [p.maxTimeoutMs.toFixed(0), 14],
      [`${p.loopLagP99Ms.toFixed(0)}/${p.loopLagMaxMs.toFixed(0)}`, 19],
    ] as const;
    console.log('  ' + cols.map(([v, w]) => String(v).padStart(w)).join('  '));
  }
}
const load1 = loadavg();
const pull = results.find((r) => r.mode === 'pull');
const push = results.find((r) => r.mode === 'push');
const goals = pull
  ? {
      pullWithinBudget: pull.perNode.every((p) => p.bytesInPerTx <= p.budget),
      pullDuplicatesAtMost1Pct: pull.duplicateRatio <= 0.01,
      pushAtLeast2xPull: push ? push.bytesInPerTx >= 2 * pull.bytesInPerTx : null,
    }
  : {};
if (pull && push) {
  const conn = (r: ModeResult) => r.connectionBytesPerTx.in + r.connectionBytesPerTx.out;
  console.log(`\npush / pull bytes per tx: ${(push.bytesInPerTx / pull.bytesInPerTx).toFixed(2)}× (flood frames), ${(conn(push) / conn(pull)).toFixed(2)}× (whole connections)`);
}
console.log('goals:', goals);
mkdirSync('bench-results', { recursive: true });
const out = {
  bench: 'flood',
  command: `node scripts/bench-flood.ts ${process.argv.slice(2).join(' ')}`.trim(),
  at: new Date().toISOString(),
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? '', node: process.version, loadavgStart: load0, loadavgEnd: load1 },
  params: { nodes: n, degree, rate, durationSec, total, pollMs: POLL_MS, transport: values.transport, ...(values['flood-config'] ? { floodConfig: values['flood-config'] } : {}) },
  results,
  goals,
};
writeFileSync(join('bench-results', 'flood.json'), JSON.stringify(out, null, 2) + '\n');
console.log('wrote bench-results/flood.json');
