// bench-results/ipc.json (scripts/bench-ipc.ts) as a section: raw rates, verifiers, submission, SCP, round trips,
// goals, CPU profiles when taken; charts of throughput against tx size, verifiers and latency distributions.
import { fmtNum, fmtRate, fmtRatio, markdownTable } from '../format.ts';
import type { IpcRecord, IpcResults, SubmitMode } from '../ipc-record.ts';
import { cdfPoints } from '../stats.ts';
import { barChart, lineChart } from '../svg.ts';
import { chartRef, goalsTable, machineLine, type Chart, type Section } from './section.ts';

/** A round-trip result as a table row (the report's markdown and bench-ipc's console table). */
export const ROUND_TRIP_HEADER = ['request', 'request B', 'reply B', 'p50', 'p90', 'p99', 'max', 'bare p50', 'bare p99', 'bare max', 'p99 ours/bare'];

export function roundTripRow(x: IpcResults['roundTrip'][number]): string[] {
  return [
    x.name,
    fmtNum(x.requestBytes),
    fmtNum(x.replyBytes),
    ...[x.ours.p50, x.ours.p90, x.ours.p99, x.ours.max, x.bare.p50, x.bare.p99, x.bare.max].map((v) => fmtNum(v)),
    fmtRatio(x.p99VsBare),
  ];
}

export function isIpcRecord(d: unknown): d is IpcRecord {
  const x = d as IpcRecord;
  return x !== null && typeof x === 'object' && x.bench === 'ipc' && Array.isArray(x.results?.submit) && Array.isArray(x.results?.roundTrip);
}

const cpu = (m: SubmitMode) => `${fmtNum(m.coreCpuUsPerTx)} + ${m.overlayCpuUsPerTx === null ? '?' : fmtNum(m.overlayCpuUsPerTx)}`;
const list = (xs: number[]) => xs.map((x) => fmtRate(x)).join(', ');

export function renderIpc(d: IpcRecord): Omit<Section, 'title' | 'bench'> {
  const { params: p, results: r } = d;
  const main = r.submit[0]!;
  const parts: string[] = [
    machineLine(d.machine, d.at, d.command),
    `${p.rounds} round(s) of ${fmtNum(p.txsPerRound)} txs per size; SUBMIT_TX_BATCH of ${p.batch} txs, ${p.window} in flight; ` +
      `signature checks with tx.verify_threads = ${p.verifyThreads.map((t) => (t === 0 ? "0 (the overlay's default: one per core less one)" : String(t))).join(' and ')}` +
      `${p.signatureBackends === undefined ? '' : ` × tx.signature_backend = ${p.signatureBackends.join(' and ')}`}, one overlay each; figures are medians of the rounds.`,
    'Raw rates, measured in each round just before its submissions:',
    markdownTable(
      ['rate', 'median /s', 'per round'],
      [
        [`ed25519 verify, node:crypto with cached KeyObjects, ${r.rawVerify.threads} threads (the goal's baseline)`, fmtRate(r.rawVerify.median), list(r.rawVerify.perRound)],
        ...(r.rawSodium === undefined
          ? []
          : [[`ed25519 verify, sodium-native (libsodium), ${r.rawSodium.threads} threads`, fmtRate(r.rawSodium.median), list(r.rawSodium.perRound)]]),
        [`decode (stellar-base fromXDR) + SHA-256 of the ${r.decodeHash.txBytes} B envelopes, 1 thread`, fmtRate(r.decodeHash.median), list(r.decodeHash.perRound)],
      ],
    ),
    'Tx submission through to mempool insertion (ACCEPTED verdicts), beside the bare-socket baseline (frames of the same payload sizes, the same window):',
    markdownTable(
      ['tx B', 'signature checks', 'tx/s', 'MB/s', 'CPU µs/tx core + overlay', 'bare tx/s', 'ours/bare', 'against the raw rates (goal: × node:crypto)'],
      r.submit.flatMap((s) => {
        const rows: string[][] = s.on.map((m) => [
          fmtNum(s.txBytes),
          `on${m.signatureBackend === undefined ? '' : ` (${m.signatureBackend})`}, verify_threads ${m.verifyThreads}`,
          fmtRate(m.txPerSec),
          fmtNum(m.mbPerSec),
          cpu(m),
          fmtRate(s.bare.txPerSec),
          fmtRatio(m.vsBare),
          `${fmtRatio(m.vsRawVerify)} × raw node:crypto` + (m.vsRawSodium === undefined ? '' : `, ${fmtRatio(m.vsRawSodium)} × raw sodium`),
        ]);
        rows.push([
          fmtNum(s.txBytes),
          'off',
          fmtRate(s.off.txPerSec),
          fmtNum(s.off.mbPerSec),
          cpu(s.off),
          fmtRate(s.bare.txPerSec),
          fmtRatio(s.off.vsBare),
          s.off.vsDecodeHash === null ? '' : `${fmtRatio(s.off.vsDecodeHash)} × decode+hash`,
        ]);
        return rows;
      }),
    ),
    `SCP envelopes (${fmtNum(r.scp.envelopeBytes)} B) from one core through its overlay, gossipsub and a second overlay to the second core, at most ${p.scpWindow} in flight; bare: the same frames one way between two processes:`,
    markdownTable(
      ['envelopes/s', 'bare envelopes/s', 'ours/bare', 'per round'],
      [[fmtRate(r.scp.envPerSec), fmtRate(r.scp.bareEnvPerSec), fmtRatio(r.scp.envPerSec / r.scp.bareEnvPerSec), list(r.scp.runs.map((x) => x.envPerSec))]],
    ),
    `Request/response round trips, one at a time, ${fmtNum(p.roundTrips)} each (µs):`,
    markdownTable(
      ROUND_TRIP_HEADER,
      r.roundTrip.map(roundTripRow),
    ),
  ];
  const goals = goalsTable(d.goals);
  if (goals) parts.push('Goals (ratios measured in the same run):', goals);
  parts.push(
    'ed25519 verifiers, measured in the same run (one thread each; all cores for node:crypto and sodium-native). sodium-native is the overlay\'s verifier (a dependency since the verifier choice); @noble/ed25519 is loaded from `--verifiers-dir`, never installed in the project:',
    markdownTable(
      ['verifier', 'version', 'verifies/s, 1 thread', 'all cores'],
      r.verifiers.map((v) => [v.label, v.version ?? '', v.perSec === null ? `– ${v.note ?? ''}` : fmtRate(v.perSec), v.allCoresPerSec === null ? '' : fmtRate(v.allCoresPerSec)]),
    ),
  );

  const charts: Chart[] = [];
  const bySize = (f: (s: (typeof r.submit)[number]) => number | null) =>
    r.submit.map((s) => [s.txBytes, f(s)] as const).filter((x): x is readonly [number, number] => x[1] !== null).sort((a, b) => a[0] - b[0]);
  charts.push({
    file: 'ipc-submit-throughput.svg',
    alt: 'tx submission throughput against tx size',
    svg: lineChart({
      title: 'Tx submission: throughput against tx size',
      xLabel: 'tx envelope bytes (log)',
      yLabel: 'txs/s (log)',
      logX: true,
      logY: true,
      series: [
        { name: 'checks off', points: bySize((s) => s.off.txPerSec) },
        ...(main.on.map((m) => ({ name: `checks on, verify_threads ${m.verifyThreads}`, points: [[main.txBytes, m.txPerSec] as const], markersOnly: true }))),
        { name: 'bare socket', points: bySize((s) => s.bare.txPerSec), dashed: true },
      ],
      refLines: [
        { y: 0.7 * r.rawVerify.median, label: 'goal, checks on: 0.7 × raw verify (node:crypto)' },
        ...(r.rawSodium === undefined ? [] : [{ y: 0.7 * r.rawSodium.median, label: '0.7 × raw verify (sodium), for comparison' }]),
        { y: 0.5 * r.decodeHash.median, label: `goal, checks off: 0.5 × decode+hash (${main.txBytes} B)` },
      ],
    }),
  });
  const measured = r.verifiers.filter((v) => v.perSec !== null);
  charts.push({
    file: 'ipc-verifiers.svg',
    alt: 'ed25519 verifies per second by verifier',
    svg: barChart({
      title: 'ed25519 verifies/s by verifier',
      yLabel: 'verifies/s (log)',
      logY: true,
      categories: measured.map((v) => v.id),
      series: [
        { name: '1 thread', values: measured.map((v) => v.perSec) },
        { name: 'all cores', values: measured.map((v) => v.allCoresPerSec) },
      ],
    }),
  });
  r.roundTrip.forEach((x, i) => {
    charts.push({
      file: `ipc-round-trip-${i + 1}.svg`,
      alt: `round-trip latency distribution, ${x.name}`,
      svg: lineChart({
        title: `Round trip: ${x.name}, reply ${fmtNum(x.replyBytes)} B`,
        xLabel: 'µs (log)',
        yLabel: '% of round trips at most',
        logX: true,
        series: [
          { name: 'ours', points: cdfPoints(x.samplesUs.ours) },
          { name: 'bare socket', points: cdfPoints(x.samplesUs.bare), dashed: true },
        ],
        refLines: [{ y: 99, label: 'p99' }],
        fmtY: (v) => String(v),
      }),
    });
  });
  parts.push(charts.map(chartRef).join('\n'));

  if (r.profiles.length > 0) {
    parts.push('CPU profiles of the submission overlays (`--profile`), busiest threads first; self time as a share of each thread\'s busy time:');
    for (const prof of r.profiles.slice(0, 4)) {
      parts.push(
        `\`${prof.file.split('/').pop()}\`: busy ${fmtNum(prof.busyMs)} ms of ${fmtNum(prof.wallMs)} ms`,
        markdownTable(['function', 'self %', 'self ms'], prof.top.slice(0, 10).map((h) => [`\`${h.fn}\``, fmtNum(h.selfPct), fmtNum(h.selfMs)])),
      );
    }
  }
  return { markdown: parts.join('\n\n'), charts };
}
