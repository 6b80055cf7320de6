// bench-results/flood.json (scripts/bench-flood.ts) as a section: per mode bytes per tx, duplicates, latency;
// per node against the budget; charts of both.
import { fmtNum, markdownTable } from '../format.ts';
import { barChart } from '../svg.ts';
import type { BenchRecord } from '../results.ts';
import { chartRef, goalsTable, machineLine, type Chart, type Section } from './section.ts';

interface FloodMode {
  mode: string;
  txBytes: number;
  perNode: { node: number; bytesInPerTx: number; budget: number; duplicateRatio: number; fromPeers: number }[];
  bytesInPerTx: number;
  duplicateRatio: number;
  latencyMs: { p50: number; p99: number; max: number };
  elapsedSec: number;
}

type FloodRecord = BenchRecord<{ nodes: number; degree: number; rate: number; durationSec: number; total: number; pollMs: number }, FloodMode[]>;

export function isFloodRecord(d: unknown): d is FloodRecord {
  const x = d as FloodRecord;
  return x !== null && typeof x === 'object' && x.bench === 'flood' && Array.isArray(x.results) && x.results.every((r) => Array.isArray(r.perNode));
}

const pct = (x: number) => `${fmtNum(100 * x)} %`;

export function renderFlood(d: FloodRecord): Omit<Section, 'title' | 'bench'> {
  const p = d.params;
  const parts: string[] = [
    machineLine(d.machine, d.at, d.command),
    `${p.nodes} overlays in a random ${p.degree}-regular graph on loopback; ${p.total} signed payments injected at random nodes at ${p.rate} tx/s for ${p.durationSec} s per mode; mempool counts sampled every ${p.pollMs} ms (the latency resolution).`,
    markdownTable(
      ['mode', 'tx B', 'bytes received per unique tx per node', 'duplicate bodies', 'latency to all nodes p50 ms', 'p99 ms', 'max ms', 'elapsed s'],
      d.results.map((r) => [r.mode, fmtNum(r.txBytes), fmtNum(r.bytesInPerTx), pct(r.duplicateRatio), fmtNum(r.latencyMs.p50), fmtNum(r.latencyMs.p99), fmtNum(r.latencyMs.max), fmtNum(r.elapsedSec)]),
    ),
  ];
  const pull = d.results.find((r) => r.mode === 'pull');
  const push = d.results.find((r) => r.mode === 'push');
  if (pull && push) parts.push(`Push receives ${fmtNum(push.bytesInPerTx / pull.bytesInPerTx)}× the bytes of pull per unique tx.`);
  const nodes = d.results[0]?.perNode.map((n) => n.node) ?? [];
  parts.push(
    'Per node (bytes received per unique tx; the budget is 1.3 × tx size + 40 B × degree):',
    markdownTable(
      ['node', ...d.results.flatMap((r) => [`${r.mode} B/tx`, `${r.mode} dup`]), 'budget B/tx'],
      nodes.map((n) => [
        String(n),
        ...d.results.flatMap((r) => {
          const x = r.perNode.find((q) => q.node === n);
          return x ? [fmtNum(x.bytesInPerTx), pct(x.duplicateRatio)] : ['–', '–'];
        }),
        fmtNum(d.results[0]!.perNode.find((q) => q.node === n)!.budget),
      ]),
    ),
  );
  const goals = goalsTable(d.goals);
  if (goals) parts.push('Goals:', goals);
  const charts: Chart[] = [
    {
      file: 'flood-bytes-per-node.svg',
      alt: 'bytes received per unique tx, per node and mode',
      svg: barChart({
        title: 'Tx flooding: bytes received per unique tx, per node',
        yLabel: 'bytes per tx',
        categories: nodes.map((n) => `node ${n}`),
        series: [
          ...d.results.map((r) => ({ name: r.mode, values: nodes.map((n) => r.perNode.find((q) => q.node === n)?.bytesInPerTx ?? null) })),
          { name: 'budget', values: nodes.map((n) => d.results[0]!.perNode.find((q) => q.node === n)?.budget ?? null) },
        ],
      }),
    },
    {
      file: 'flood-latency.svg',
      alt: 'propagation latency to all nodes, per mode',
      svg: barChart({
        title: 'Tx flooding: latency until every node holds the tx',
        yLabel: 'ms',
        categories: ['p50', 'p99', 'max'],
        series: d.results.map((r) => ({ name: r.mode, values: [r.latencyMs.p50, r.latencyMs.p99, r.latencyMs.max] })),
      }),
    },
  ];
  parts.push(charts.map(chartRef).join('\n'));
  return { markdown: parts.join('\n\n'), charts };
}
