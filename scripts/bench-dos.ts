// `node scripts/bench-dos.ts`: what denial-of-service attacks cost honest traffic. A ring of N overlays (default 5)
// on loopback, each with a core connection; signed payments are injected at a steady rate at node 1, and their
// propagation latency to all nodes is measured (mempool counts sampled every POLL_MS, scripts/lib/bench/
// propagation.ts) first with no attacker (the baseline), then under each attack in turn against node 0, the victim,
// which relays node 1's txs on towards node 4: INV spam beyond the announcement caps, a GETDATA flood, txs with bad
// signatures, and a connection flood from one address (scripts/lib/bench/dos-attacks.ts, in a process of its own).
// Each phase runs on a fresh network with the overlays' default limits. Per attack: honest delivery, p50/p99 against
// the baseline, the victim's limit metric that held the attack, bans, and the CPU of the victim and the attacker.
// No assertions on timings. Results go to bench-results/dos.json.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreConnection } from '../core-bridge/src/client/connection.ts';
import { Attacker } from './lib/bench/dos-attacker.ts';
import { ATTACK_KINDS, type AttackKind, type AttackStats } from './lib/bench/dos-attacks.ts';
import { fmtNum, fmtRatio, textTable } from './lib/bench/format.ts';
import { machineInfo } from './lib/bench/machine.ts';
import { processCpuUs } from './lib/bench/proc-cpu.ts';
import { MempoolSampler, metricsOf, sumOf, waitUntil } from './lib/bench/propagation.ts';
import { commandLine, writeBenchRecord } from './lib/bench/results.ts';
import { paymentSet, shapeFor } from './lib/bench/signed-payments.ts';
import { distribution, median } from './lib/bench/stats.ts';
import { DEFAULT_NETWORK_PASSPHRASE, dialsOf, startOverlayNet, type OverlayNet } from './lib/overlay-net.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Stellar's test network, named explicitly in every overlay's config, to its core connection and to the attackers. */
const PASSPHRASE = DEFAULT_NETWORK_PASSPHRASE;
const VICTIM = 0;
const INJECT_AT = 1;
/** How often every node's mempool size is sampled (the latency resolution), as in bench-flood. */
const POLL_MS = 20;
/** Honest payments: ~200 B, as bench-flood's. */
const TX_BYTES = 200;
/** How long, after the last injection, every node may take to hold every tx; what is missing then is undelivered. */
const SETTLE_DEADLINE_MS = 10_000;
/** How long an attack may take to reach the victim's limit before the honest load starts anyway. */
const ENGAGE_DEADLINE_MS = 5_000;
const LINKS_DEADLINE_MS = 30_000;

/**
 * Per attack: the victim's metric (sample-name prefix) of the limit that holds it, and the attack's default rate
 * (frames/s per identity; connections/s for the flood). Ours: well past each limit, yet modest for 2 shared cores.
 */
const ATTACKS: Record<AttackKind, { limit: string; frames: string | null; rate: number; what: string }> = {
  'inv-spam': {
    limit: 'overlay_flood_announcements_total{outcome="capped"}',
    frames: 'overlay_flood_frames_total{dir="in",type="inv"}',
    rate: 100,
    what: 'INV frames of 1000 unknown hashes (the per-peer cap is 4096 outstanding)',
  },
  'getdata-flood': {
    limit: 'overlay_flood_getdata_served_total{outcome="rate_limited"}',
    frames: 'overlay_flood_frames_total{dir="in",type="getdata"}',
    rate: 50,
    what: 'GETDATA frames of 1000 hashes (the per-peer rate is 10,000/s, bursts of 20,000)',
  },
  'bad-signature-txs': {
    limit: 'overlay_tx_intake_total{origin="peer",status="INVALID",reason="BAD_SIGNATURE"}',
    frames: 'overlay_flood_frames_total{dir="in",type="txs"}',
    rate: 10,
    what: 'TXS frames of 50 payments with bad signatures (each costs a verification; 10 are a ban)',
  },
  'connection-flood': {
    limit: 'overlay_gater_refusals_total{reason="rate_limited"}',
    frames: null,
    rate: 100,
    what: 'raw TCP connections from 127.0.0.1, held 2 s (the per-IP rate is 30/min)',
  },
};

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '8' },
    attacks: { type: 'string', default: ATTACK_KINDS.join(',') },
    slots: { type: 'string', default: '2' },
    /** Keep each phase's overlay directories (configs, logs) under <root>/<attack> instead of deleting them. */
    root: { type: 'string' },
  },
});
const n = Number(values.nodes);
const rate = Number(values.rate);
const durationSec = Number(values.duration);
const slots = Number(values.slots);
const total = Math.round(rate * durationSec);
const attacks = values.attacks.split(',').filter((a) => a !== '') as AttackKind[];
for (const a of attacks) if (!ATTACK_KINDS.includes(a)) throw new Error(`unknown attack ${a}; known: ${ATTACK_KINDS.join(', ')}`);
if (n < 3) throw new Error('at least 3 nodes (a ring)');

interface PhaseResult {
  attack: string;
  /** Share of the honest txs every node held by the settle deadline. */
  deliveredPct: number;
  /** Latency to all nodes of the delivered txs. */
  p50Ms: number;
  p99Ms: number;
  p50VsBaseline: number;
  p99VsBaseline: number;
  /** Median time between mempool samples: the latency resolution actually had (POLL_MS unless the machine lags). */
  sampleEveryMs: number;
  /** The victim's limit metric for this attack (its increase during the phase). */
  limitMetric: string;
  limitCount: number;
  /** Peers the victim banned for misbehaviour, and connections it refused (all reasons). */
  bans: number;
  refusedConnections: number;
  attackerIdentities: number;
  attackFrames: number;
  /** Frames of the attack's type the victim took in (honest ones included: a few per second). */
  framesAtVictim: number;
  /** CPU of the victim overlay and of the attacker process, in % of one core over the phase's window. */
  victimCpuPct: number;
  attackerCpuPct: number;
  elapsedSec: number;
}

// The same honest payments every phase (each phase has a fresh network): distinct sources, no sequence chains.
const t0 = Date.now();
const shape = shapeFor(TX_BYTES);
const txs = paymentSet({ count: total, shape, firstAccount: 1_000_000, signed: true, networkPassphrase: PASSPHRASE });
console.log(`bench-dos: ${n} overlays in a ring, ${rate} tx/s for ${durationSec} s at node ${INJECT_AT} (${total} txs of ${shape.bytes} B, signed in ${Date.now() - t0} ms); victim node ${VICTIM}; attacks ${attacks.join(', ') || 'none'}`);

const ring: [number, number][] = Array.from({ length: n }, (_, i) => [i, (i + 1) % n] as [number, number]).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);

async function runPhase(attack: AttackKind | null): Promise<{ latencies: number[]; sampleEveryMs: number; delivered: number; limit: number; framesAtVictim: number; bans: number; refused: number; stats: AttackStats | null; victimCpuPct: number; attackerCpuPct: number; elapsedSec: number }> {
  const net: OverlayNet = await startOverlayNet({ n, dials: dialsOf(n, ring), networkPassphrase: PASSPHRASE, ...(values.root ? { root: join(values.root, attack ?? 'baseline') } : {}) });
  let attacker: Attacker | null = null;
  const cores: CoreConnection[] = [];
  try {
    for (const o of net.overlays) cores.push(await CoreConnection.open({ socketPath: o.socketPath, networkPassphrase: PASSPHRASE, software: 'bench-dos' }));
    const victim = net.overlays[VICTIM]!;
    const admin = victim.ready.admin!;
    await waitUntil('flood links around the ring', async () => {
      const ms = await Promise.all(net.overlays.map((o) => metricsOf(o.ready.admin!)));
      return ms.every((m) => (m.get('overlay_flood_links') ?? 0) >= 2);
    }, LINKS_DEADLINE_MS);

    let rid = 1n;
    const sampler = new MempoolSampler(cores, { pollMs: POLL_MS, nextRequestId: () => rid++ });
    const m0 = await metricsOf(admin);
    const victimPid = victim.launched.proc.pid;
    const cpu0 = processCpuUs(victimPid);
    const start = Date.now();
    const limitName = attack === null ? null : ATTACKS[attack].limit;
    if (attack !== null) {
      attacker = Attacker.start({ kind: attack, victim: { peerPort: victim.port, peerId: victim.ready.peerId }, passphrase: PASSPHRASE, slots, rate: ATTACKS[attack].rate });
      await waitUntil(`the ${attack} attack to reach the victim's limit`, async () => sumOf(await metricsOf(admin), limitName!) > sumOf(m0, limitName!), ENGAGE_DEADLINE_MS).catch(() =>
        console.log(`  (${attack}: the limit metric did not move within ${ENGAGE_DEADLINE_MS / 1000} s; the honest load starts anyway)`),
      );
    }
    const attackerCpu0 = attacker?.cpuUs() ?? null;
    const loadStart = Date.now();
    sampler.start();

    const submittedAt: number[] = [];
    let next = 0;
    const inject = cores[INJECT_AT]!;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - loadStart) / 1000) * rate));
        for (; next < due; next++) {
          submittedAt.push(Date.now());
          inject.send({ type: 'SUBMIT_TX_CHECKED', requestId: rid++, tx: txs[next]! });
        }
        if (next >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const settled = await waitUntil('every node to hold every tx', async () => sampler.last.length === n && sampler.last.every((c) => c >= total), SETTLE_DEADLINE_MS).then(
      () => true,
      () => false,
    );
    await sampler.stop();
    const elapsedMs = Date.now() - loadStart;
    const victimCpu = processCpuUs(victimPid);
    const victimMs = Date.now() - start;
    const attackerCpu = attacker?.cpuUs() ?? null;
    const stats = attacker ? await attacker.stop() : null;
    attacker = null;
    const m1 = await metricsOf(admin);

    const delivered = sampler.last.length === n ? Math.min(total, ...sampler.last) : 0;
    if (!settled) console.log(`  (not every node held every tx ${SETTLE_DEADLINE_MS / 1000} s after the last injection: ${delivered} of ${total} everywhere; per node ${sampler.last.join(', ')})`);
    const delta = (prefix: string) => sumOf(m1, prefix) - sumOf(m0, prefix);
    const pct = (us: number | null, before: number | null, ms: number) => (us === null || before === null ? NaN : (100 * (us - before)) / 1000 / ms);
    return {
      latencies: sampler.latenciesToAll(submittedAt.slice(0, delivered)),
      sampleEveryMs: median(sampler.samples.slice(1).map((x, i) => x.t - sampler.samples[i]!.t)),
      delivered,
      limit: limitName === null ? 0 : delta(limitName),
      framesAtVictim: attack === null || ATTACKS[attack].frames === null ? 0 : delta(ATTACKS[attack].frames!),
      bans: delta('overlay_peer_score_bans_total'),
      refused: delta('overlay_gater_refusals_total'),
      stats,
      // Victim: from the attack's start (the whole time it was under attack); attacker: over the honest load.
      victimCpuPct: pct(victimCpu, cpu0, victimMs),
      attackerCpuPct: pct(attackerCpu, attackerCpu0, elapsedMs),
      elapsedSec: elapsedMs / 1000,
    };
  } finally {
    attacker?.kill();
    for (const c of cores) c.close();
    await net.stop();
  }
}

const machine = machineInfo();
const at = new Date().toISOString();
const phases: PhaseResult[] = [];
let baseline: { p50: number; p99: number } | null = null;
for (const attack of [null, ...attacks]) {
  const name = attack ?? 'none (baseline)';
  console.log(`\nphase: ${name}${attack ? ` — ${ATTACKS[attack].what}, ${attack === 'connection-flood' ? `${ATTACKS[attack].rate}/s` : `${slots} identities × ${ATTACKS[attack].rate} frames/s`}` : ''}`);
  const r = await runPhase(attack);
  const d = distribution(r.latencies);
  baseline ??= { p50: d.p50, p99: d.p99 };
  const phase: PhaseResult = {
    attack: name,
    deliveredPct: (100 * r.delivered) / total,
    p50Ms: d.p50,
    p99Ms: d.p99,
    p50VsBaseline: d.p50 / baseline.p50,
    p99VsBaseline: d.p99 / baseline.p99,
    sampleEveryMs: r.sampleEveryMs,
    limitMetric: attack ? ATTACKS[attack].limit : '–',
    limitCount: r.limit,
    bans: r.bans,
    refusedConnections: r.refused,
    attackerIdentities: r.stats?.connected ?? 0,
    attackFrames: r.stats?.frames ?? 0,
    framesAtVictim: r.framesAtVictim,
    victimCpuPct: r.victimCpuPct,
    attackerCpuPct: r.attackerCpuPct,
    elapsedSec: r.elapsedSec,
  };
  phases.push(phase);
  console.log(`  delivered ${fmtNum(phase.deliveredPct)} %; latency to all nodes p50 ${fmtNum(d.p50)} ms, p99 ${fmtNum(d.p99)} ms (×${fmtRatio(phase.p50VsBaseline)}, ×${fmtRatio(phase.p99VsBaseline)} the baseline; sampled every ${fmtNum(r.sampleEveryMs)} ms)`);
  if (attack) console.log(`  held by ${phase.limitMetric} +${fmtNum(phase.limitCount)}; ${phase.bans} bans, ${phase.refusedConnections} connections refused; the victim took in ${phase.framesAtVictim} frames of the attack's type; attacker: ${JSON.stringify(r.stats)}`);
  console.log(`  CPU: victim ${fmtNum(phase.victimCpuPct)} %, attacker ${fmtNum(phase.attackerCpuPct)} % of a core`);
}

console.log(
  '\n' +
    textTable(
      ['attack', 'delivered %', 'p50 ms', 'p99 ms', 'p50 ×', 'p99 ×', 'sampled every ms', 'limit metric +', 'bans', 'refused conns', 'victim CPU %', 'attacker CPU %'],
      phases.map((p) => [p.attack, fmtNum(p.deliveredPct), fmtNum(p.p50Ms), fmtNum(p.p99Ms), fmtRatio(p.p50VsBaseline), fmtRatio(p.p99VsBaseline), fmtNum(p.sampleEveryMs), fmtNum(p.limitCount), String(p.bans), String(p.refusedConnections), fmtNum(p.victimCpuPct), fmtNum(p.attackerCpuPct)]),
    ),
);
const file = writeBenchRecord({
  bench: 'dos',
  command: commandLine(),
  at,
  machine: machine.end(),
  params: { nodes: n, topology: 'ring', victim: VICTIM, injectAt: INJECT_AT, rate, durationSec, total, txBytes: shape.bytes, pollMs: POLL_MS, slots, attackRates: Object.fromEntries(attacks.map((a) => [a, ATTACKS[a].rate])) },
  results: { phases },
  goals: {},
});
console.log(`wrote ${file}`);
