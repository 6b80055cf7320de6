// `npm run bench:flood`: tx flooding cost on N overlays (default 8) in a random 4-regular graph on loopback, pull
// (INV/GETDATA) against push (full bodies to every peer) in the same run. Signed payments are injected at random
// nodes at a set rate; per node it prints bytes received per unique tx against the tx size, the duplicate-body ratio,
// and propagation latency to all nodes (p50/p99, estimated from mempool counts sampled every POLL_MS).
// Results go to bench-results/flood.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreConnection } from '../core-bridge/src/client/connection.ts';
import { makePayment, testKeypair } from '../tests/fixtures/txs.ts';
import { MempoolSampler, metricsOf, sumOf, waitUntil } from './lib/bench/propagation.ts';
import { dialsOf, randomRegularGraph, startOverlayNet, type OverlayNet } from './lib/overlay-net.ts';

const PASSPHRASE = 'Test SDF Network ; September 2015';
/** How often every node's mempool size is sampled (latency resolution). */
const POLL_MS = 20;
/** How long to wait, after the last injection, for every node to hold every tx. */
const SETTLE_DEADLINE_MS = 60_000;
const INV_ENTRY_BYTES = 40;

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '8' },
    degree: { type: 'string', default: '4' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '10' },
    modes: { type: 'string', default: 'pull,push' },
    seed: { type: 'string', default: '1' },
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

interface ModeResult {
  mode: string;
  txBytes: number;
  perNode: { node: number; bytesInPerTx: number; budget: number; duplicateRatio: number; fromPeers: number; getdataTimeouts: number; unsolicited: number }[];
  bytesInPerTx: number;
  duplicateRatio: number;
  latencyMs: { p50: number; p99: number; max: number };
  elapsedSec: number;
}

async function runMode(mode: 'pull' | 'push'): Promise<ModeResult> {
  const txs = txsByMode.get(mode)!;
  const txBytes = txs.reduce((a, t) => a + t.length, 0) / txs.length;
  const net: OverlayNet = await startOverlayNet({
    n,
    dials: dialsOf(n, edges),
    p2p: ['target_outbound = 16', 'max_inbound = 16'],
    toml: `log_level = "warn"\n[flood]\nmode = "${mode}"`.replace('log_level = "warn"\n', ''),
  });
  try {
    const cores = await Promise.all(net.overlays.map((o) => CoreConnection.open({ socketPath: o.socketPath, networkPassphrase: PASSPHRASE, software: 'bench-flood' })));
    const degreeOf = Array.from({ length: n }, (_, i) => edges.filter(([a, b]) => a === i || b === i).length);
    await waitUntil('flood links', async () => {
      const ms = await Promise.all(net.overlays.map((o) => metricsOf(o.ready.admin!)));
      return ms.every((m, i) => (m.get('overlay_flood_links') ?? 0) >= degreeOf[i]!);
    }, 30_000);

    // Mempool sizes, sampled: arrival of the k-th tx at a node = first sample with count ≥ k.
    let rid = 1n;
    const sampler = new MempoolSampler(cores, { pollMs: POLL_MS, nextRequestId: () => rid++ });
    sampler.start();

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
    await sampler.stop();
    const elapsedSec = (Date.now() - start) / 1000;

    const latencies = sampler.latenciesToAll(submittedAt);

    const perNode = [];
    let sumBytes = 0;
    let sumTxs = 0;
    let sumDup = 0;
    let sumBodies = 0;
    for (const o of net.overlays) {
      const m = await metricsOf(o.ready.admin!);
      const bytesIn = sumOf(m, 'overlay_flood_bytes_total{dir="in"');
      const dup = sumOf(m, 'overlay_flood_tx_bodies_received_total{kind="duplicate"}');
      const bodies = sumOf(m, 'overlay_flood_tx_bodies_received_total');
      const fromPeers = total - injectAt.filter((x) => x === o.index).length;
      sumBytes += bytesIn;
      sumTxs += fromPeers;
      sumDup += dup;
      sumBodies += bodies;
      perNode.push({
        node: o.index,
        bytesInPerTx: bytesIn / fromPeers,
        budget: 1.3 * txBytes + INV_ENTRY_BYTES * degreeOf[o.index]!,
        duplicateRatio: bodies === 0 ? 0 : dup / bodies,
        fromPeers,
        getdataTimeouts: m.get('overlay_flood_getdata_timeouts') ?? 0,
        unsolicited: sumOf(m, 'overlay_flood_tx_bodies_received_total{kind="unsolicited"}'),
      });
    }
    for (const c of cores) c.close();
    return {
      mode,
      txBytes,
      perNode,
      bytesInPerTx: sumBytes / sumTxs,
      duplicateRatio: sumBodies === 0 ? 0 : sumDup / sumBodies,
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
  console.log(`\n${mode}: tx ${r.txBytes.toFixed(0)} B; bytes received per unique tx per node ${r.bytesInPerTx.toFixed(0)} B; duplicate bodies ${(100 * r.duplicateRatio).toFixed(2)}%; latency to all nodes p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms (±${POLL_MS} ms)`);
  console.log('  node  bytes-in/tx  budget(1.3×size+40×deg)  dup-ratio  getdata-timeouts  unsolicited');
  for (const p of r.perNode) {
    console.log(`  ${String(p.node).padStart(4)}  ${p.bytesInPerTx.toFixed(0).padStart(11)}  ${p.budget.toFixed(0).padStart(23)}  ${(100 * p.duplicateRatio).toFixed(2).padStart(8)}%  ${String(p.getdataTimeouts).padStart(16)}  ${String(p.unsolicited).padStart(11)}`);
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
if (pull && push) console.log(`\npush / pull bytes per tx: ${(push.bytesInPerTx / pull.bytesInPerTx).toFixed(2)}×`);
console.log('goals:', goals);
mkdirSync('bench-results', { recursive: true });
const out = {
  bench: 'flood',
  command: `node scripts/bench-flood.ts ${process.argv.slice(2).join(' ')}`.trim(),
  at: new Date().toISOString(),
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? '', node: process.version, loadavgStart: load0, loadavgEnd: load1 },
  params: { nodes: n, degree, rate, durationSec, total, pollMs: POLL_MS },
  results,
  goals,
};
writeFileSync(join('bench-results', 'flood.json'), JSON.stringify(out, null, 2) + '\n');
console.log('wrote bench-results/flood.json');
