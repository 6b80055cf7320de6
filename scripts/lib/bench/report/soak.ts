// bench-results/soak.json (scripts/soak.ts) as a section: per process memory after warm-up and at the end (RSS and
// V8 heap in use), the verdict, and the series as charts rather than numbers.
import { fmtNum, markdownTable } from '../format.ts';
import type { BenchRecord } from '../results.ts';
import { lineChart, type Series } from '../svg.ts';
import { chartRef, goalsTable, machineLine, type Chart, type Section } from './section.ts';

/** Chart points: one per this many seconds of the run. */
const CHART_STEP_SEC = 10;

interface SoakProcess {
  name: string;
  startMb: number;
  endMb: number;
  peakMb: number;
  growth: number;
  heapStartMb?: number | null;
  heapEndMb?: number | null;
  heapGrowth?: number | null;
}

type SoakRecord = BenchRecord<
  { minutes: number; tps: number; validators: number; warmupSec: number; windowSec: number; statistic?: 'peak' | 'mean' },
  {
    perProcess: SoakProcess[];
    ledgers: number | null;
    applied: number | null;
    restarts: number;
    series: Record<string, number[]>;
    heapSeries?: Record<string, number[]>;
    heapEverySec?: number;
  }
>;

export function isSoakRecord(d: unknown): d is SoakRecord {
  const x = d as SoakRecord;
  return x !== null && typeof x === 'object' && x.bench === 'soak' && Array.isArray(x.results?.perProcess) && typeof x.results.series === 'object';
}

const mb = (x: number | null | undefined) => (x === null || x === undefined ? '–' : fmtNum(x));

export function renderSoak(d: SoakRecord): Omit<Section, 'title' | 'bench'> {
  const p = d.params;
  const r = d.results;
  const stat = p.statistic ?? 'mean';
  const parts = [
    machineLine(d.machine, d.at, d.command),
    `${p.validators} validators (overlay + reference core each) under ${p.tps} tx/s for ${fmtNum(p.minutes)} min: ${r.ledgers ?? '?'} ledgers, ${r.applied ?? '?'} txs applied, ${r.restarts} restarts. Memory after warm-up is the ${stat} of the ${p.windowSec} s after the first ${p.warmupSec} s; at the end, the ${stat} of the last ${p.windowSec} s.`,
    markdownTable(
      ['process', 'RSS after warm-up MB', 'RSS end MB', 'RSS peak MB', 'RSS end / warm', 'heap after warm-up MB', 'heap end MB', 'heap end / warm'],
      r.perProcess.map((x) => [x.name, mb(x.startMb), mb(x.endMb), mb(x.peakMb), fmtNum(x.growth), mb(x.heapStartMb), mb(x.heapEndMb), x.heapGrowth ? fmtNum(x.heapGrowth) : '–']),
    ),
  ];
  const goals = goalsTable(d.goals);
  if (goals) parts.push('Goals:', goals);
  const charts: Chart[] = [chart('soak-rss.svg', 'RSS of every process over the soak', 'Soak: resident memory (RSS) per process', r.series, 1, p.warmupSec)];
  if (r.heapSeries && Object.keys(r.heapSeries).length > 0) {
    charts.push(chart('soak-heap.svg', 'V8 heap in use of every process over the soak', 'Soak: V8 heap in use per process', r.heapSeries, r.heapEverySec ?? 5, p.warmupSec));
  }
  parts.push(...charts.map(chartRef));
  return { markdown: parts.join('\n\n'), charts };
}

function chart(file: string, alt: string, title: string, series: Record<string, number[]>, everySec: number, warmupSec: number): Chart {
  const step = Math.max(1, Math.round(CHART_STEP_SEC / everySec));
  const lines: Series[] = Object.entries(series).map(([name, s]) => ({
    name,
    points: s.filter((_, i) => i % step === 0).map((v, i) => [(i * step * everySec) / 60, v] as const),
    dashed: name.endsWith('-core'),
  }));
  return {
    file,
    alt,
    svg: lineChart({ title: `${title} (warm-up ends at ${fmtNum(warmupSec / 60)} min)`, xLabel: 'minutes', yLabel: 'MB', series: lines, yFromZero: true }),
  };
}
