// bench-results/codec.json (scripts/bench-codec.ts, which writes its own keys) as a section: in-process and
// socket tables, and throughput against payload size.
import { fmtNum, fmtRate, fmtRatio, markdownTable } from '../format.ts';
import { lineChart } from '../svg.ts';
import { goal } from '../results.ts';
import { chartRef, goalsTable, machineLine, type Chart, type Section } from './section.ts';

interface CodecJson {
  benchmark: string;
  date: string;
  command: string;
  machine: { cpu: string; nproc: number; node: string; platform?: string; loadavgAtStart: number[] };
  loadavgAtEnd?: number[];
  elapsedSec?: number;
  settings?: { runs: number; statistic: string };
  inProcess: {
    label: string;
    frameBytes: number;
    encodeMsgsPerSec: number;
    decodeMsgsPerSec: number;
    roundTripMsgsPerSec: number;
    roundTripMBPerSec: number;
  }[];
  socket: {
    label: string;
    payloadBytes: number;
    framesPerWrite?: number;
    ours: { msgsPerSec: number; mbPerSec: number; senderCpuUsPerMsg: number; receiverCpuUsPerMsg: number };
    bare: { msgsPerSec: number; mbPerSec: number; senderCpuUsPerMsg: number; receiverCpuUsPerMsg: number };
    ratio: number;
    /** Whether the 0.8 goal applies (absent in older records: every case). */
    goal?: boolean;
  }[];
}

export function isCodecJson(d: unknown): d is CodecJson {
  const x = d as CodecJson;
  return x !== null && typeof x === 'object' && Array.isArray(x.inProcess) && Array.isArray(x.socket) && typeof x.machine?.nproc === 'number';
}

const cpu = (c: { senderCpuUsPerMsg: number; receiverCpuUsPerMsg: number }) => `${fmtNum(c.senderCpuUsPerMsg, 2)} + ${fmtNum(c.receiverCpuUsPerMsg, 2)}`;

export function renderCodec(d: CodecJson): Omit<Section, 'title' | 'bench'> {
  const m = d.machine;
  const parts: string[] = [
    machineLine(
      { cpus: m.nproc, model: m.cpu, node: m.node, loadavgStart: m.loadavgAtStart, ...(m.platform ? { platform: m.platform } : {}), ...(d.loadavgAtEnd ? { loadavgEnd: d.loadavgAtEnd } : {}) },
      d.date,
      d.command,
    ) + (d.settings ? `\n${d.settings.statistic} of ${d.settings.runs} runs${d.elapsedSec ? `, ${fmtNum(d.elapsedSec)} s in all` : ''}.` : ''),
  ];
  if (d.inProcess.length > 0) {
    parts.push(
      'In-process, one thread:',
      markdownTable(
        ['message', 'frame B', 'encode msg/s', 'decode msg/s', 'enc+dec msg/s', 'enc+dec MB/s'],
        d.inProcess.map((r) => [r.label, fmtNum(r.frameBytes), fmtRate(r.encodeMsgsPerSec), fmtRate(r.decodeMsgsPerSec), fmtRate(r.roundTripMsgsPerSec), fmtNum(r.roundTripMBPerSec)]),
      ),
    );
  } else {
    parts.push('_This run measured the socket part only._');
  }
  if (d.socket.length > 0) {
    parts.push(
      'Unix socket, two processes:',
      markdownTable(
        ['message', 'payload B', 'ours msg/s', 'ours MB/s', 'bare msg/s', 'bare MB/s', '**ours/bare**', 'CPU µs/msg ours', 'CPU µs/msg bare'],
        d.socket.map((r) => [
          r.label,
          fmtNum(r.payloadBytes),
          fmtRate(r.ours.msgsPerSec),
          fmtNum(r.ours.mbPerSec),
          fmtRate(r.bare.msgsPerSec),
          fmtNum(r.bare.mbPerSec),
          `**${fmtRatio(r.ratio)}**`,
          cpu(r.ours),
          cpu(r.bare),
        ]),
      ),
    );
    const goals = d.socket.filter((r) => r.goal !== false);
    if (goals.length > 0) {
      parts.push(
        'Goal (issue 2): over the socket, ours at least 0.8 of bare, for SUBMIT_TX and the 1000-hash batch; other cases are shown for information.',
        goalsTable(goals.map((r) => goal(`ours/bare, ${r.label}`, r.ratio, 0.8, '×', 'min'))),
      );
    }
  } else {
    parts.push('_This run measured the in-process part only._');
  }
  const charts: Chart[] = [];
  const series = [
    ...(d.socket.length ? [
      { name: 'socket, ours', points: d.socket.map((r) => [r.payloadBytes, r.ours.mbPerSec] as const), markersOnly: true },
      { name: 'socket, bare', points: d.socket.map((r) => [r.payloadBytes, r.bare.mbPerSec] as const), markersOnly: true },
    ] : []),
    ...(d.inProcess.length ? [{ name: 'in-process enc+dec', points: d.inProcess.map((r) => [r.frameBytes, r.roundTripMBPerSec] as const), markersOnly: true }] : []),
  ];
  // Markers, not lines: the three messages differ in kind (one tx, a hash list, a batch), not only in size.
  if (series.length > 0) {
    charts.push({
      file: 'codec-throughput.svg',
      alt: 'codec throughput against payload size',
      svg: lineChart({ title: 'Codec: throughput against payload size', xLabel: 'payload bytes (log)', yLabel: 'MB/s (log)', series, logX: true, logY: true }),
    });
    parts.push(chartRef(charts[0]!));
  }
  return { markdown: parts.join('\n\n'), charts };
}
