// The report generator as `npm run bench` runs it (a child process), on results written here: a section per known
// bench (with a note where a bench has no results), the hand-written notes in place, charts written and stale ones
// removed, and files that are not benchmark records left out.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IpcRecord } from '../../../scripts/lib/bench/ipc-record.ts';
import { distribution } from '../../../scripts/lib/bench/stats.ts';
import { KNOWN_BENCHES } from '../../../scripts/lib/bench/benches.ts';

const REPORT = new URL('../../../scripts/bench-report.ts', import.meta.url).pathname;
const machine = { cpus: 2, model: 'Test CPU', node: 'v24.0.0', platform: 'linux', loadavgStart: [1.5, 1, 0.5], loadavgEnd: [2, 1, 0.5] };

function ipcRecord(): IpcRecord {
  const mode = { txPerSec: 8000, mbPerSec: 2, coreCpuUsPerTx: 5, overlayCpuUsPerTx: 120, vsBare: 0.01, runs: [] };
  const samples = Array.from({ length: 100 }, (_, i) => 100 + i);
  return {
    bench: 'ipc',
    command: 'node scripts/bench-ipc.ts --quick',
    at: '2026-01-02T03:04:05.000Z',
    machine,
    params: {
      txsPerRound: 3000, rounds: 1, targetSizes: [250], sizes: [256], txShape: { ops: 2, memoBytes: null, muxed: false, bytes: 256 },
      batch: 256, window: 16, envelopes: 1000, scpWindow: 256, roundTrips: 100, verifyThreads: [0, 2], verifiersDir: null, topTxs: 1000,
      rawRateMs: 1000, quick: true,
    },
    results: {
      verifiers: [{ id: 'node-cached', label: 'node:crypto verify, cached KeyObject', version: null, perSec: 13_000, allCoresPerSec: 14_000 }],
      rawVerify: { perRound: [14_000], median: 14_000, threads: 2 },
      rawSodium: { perRound: [24_000], median: 24_000, threads: 2 },
      decodeHash: { perRound: [120_000], median: 120_000, txBytes: 256 },
      submit: [
        {
          txBytes: 256, shape: { ops: 2, memoBytes: null, muxed: false, bytes: 256 }, requestBytes: 67_000, replyBytes: 10_000,
          // The first as records before the backend was reported; the second as now.
          on: [{ ...mode, verifyThreads: 0, vsRawVerify: 0.4 }, { ...mode, verifyThreads: 2, signatureBackend: 'sodium', vsRawVerify: 0.57, vsRawSodium: 0.33 }],
          off: { ...mode, txPerSec: 30_000, vsDecodeHash: 0.25 },
          bare: { txPerSec: 800_000, mbPerSec: 200, runs: [] },
        },
      ],
      scp: { envelopeBytes: 192, envPerSec: 2000, bareEnvPerSec: 300_000, runs: [{ envPerSec: 2000, delivered: 1000, sent: 1000, ms: 500 }], bareRuns: [] },
      roundTrip: [
        { name: 'GET_METRICS', requestBytes: 8, replyBytes: 8000, ours: distribution(samples), bare: distribution(samples.map((x) => x / 4)), p99VsBare: 4, samplesUs: { ours: samples, bare: samples.map((x) => x / 4) } },
      ],
      profiles: [],
    },
    goals: [
      { what: 'submission with signature checks', measured: 0.57, target: 0.7, unit: '×', kind: 'min', met: false },
      { what: 'round trip p99, GET_METRICS', measured: 199, target: 200, unit: 'µs', kind: 'max', met: true },
    ],
  };
}

const flood = {
  bench: 'flood',
  command: 'node scripts/bench-flood.ts --duration 5',
  at: '2026-01-02T03:04:05.000Z',
  machine,
  params: { nodes: 2, degree: 1, rate: 100, durationSec: 5, total: 500, pollMs: 20 },
  results: ['pull', 'push'].map((mode, m) => ({
    mode,
    txBytes: 200,
    perNode: [0, 1].map((node) => ({ node, bytesInPerTx: 300 + 200 * m, budget: 300, duplicateRatio: 0.01 + m / 2, fromPeers: 250 })),
    bytesInPerTx: 300 + 200 * m,
    duplicateRatio: 0.01 + m / 2,
    latencyMs: { p50: 100, p99: 900, max: 1000 },
    elapsedSec: 6,
  })),
  goals: { pullWithinBudget: true, pushAtLeast2xPull: false },
};

const e2e = {
  bench: 'e2e',
  command: 'node scripts/bench-e2e.ts',
  at: '2026-01-02T03:04:05.000Z',
  machine,
  params: { validators: 4, steps: [200, 400] },
  results: {
    steps: [
      { offeredTps: 200, p99Ms: 2001, rssMb: { 'v0-overlay': 264 }, keptUp: true },
      { offeredTps: 400, p99Ms: 3378, rssMb: { 'v0-overlay': 334 }, keptUp: false },
    ],
    bestClosedTps: 195,
  },
  goals: [{ what: 'highest sustained closed TPS', measured: 195, target: 1000, unit: 'tx/s', kind: 'min', met: false }],
};

const codec = {
  benchmark: 'codec',
  date: '2026-01-02T03:04:05.000Z',
  command: 'npm run bench:codec',
  machine: { cpu: 'Test CPU', nproc: 2, node: 'v24.0.0', platform: 'linux', loadavgAtStart: [1, 1, 1] },
  settings: { runs: 5, statistic: 'median' },
  inProcess: [{ label: 'SUBMIT_TX (250 B tx)', frameBytes: 270, encodeMsgsPerSec: 9e6, decodeMsgsPerSec: 8e6, roundTripMsgsPerSec: 2.7e6, roundTripMBPerSec: 725 }],
  socket: [
    { label: 'SUBMIT_TX (250 B tx)', payloadBytes: 262, ours: { msgsPerSec: 2.4e6, mbPerSec: 637, senderCpuUsPerMsg: 0.4, receiverCpuUsPerMsg: 0.24 }, bare: { msgsPerSec: 4.9e6, mbPerSec: 1293, senderCpuUsPerMsg: 0.21, receiverCpuUsPerMsg: 0.09 }, ratio: 0.49 },
  ],
};

describe('bench report generator (child process)', function () {
  this.timeout(60_000);
  let dir: string;
  let doc: string;
  let charts: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const results = join(dir, 'results');
    const notes = join(dir, 'notes');
    charts = join(dir, 'charts');
    for (const d of [results, notes, charts]) mkdirSync(d);
    writeFileSync(join(results, 'ipc.json'), JSON.stringify(ipcRecord()));
    writeFileSync(join(results, 'flood.json'), JSON.stringify(flood));
    writeFileSync(join(results, 'codec.json'), JSON.stringify(codec));
    writeFileSync(join(results, 'e2e.json'), JSON.stringify(e2e));
    writeFileSync(join(results, 'soak.json'), JSON.stringify({ ...e2e, bench: 'soak', command: 'node scripts/soak.ts' }));
    writeFileSync(join(results, 'fuzz-ipc.json'), JSON.stringify({ ok: true, frames: 10 }));
    writeFileSync(join(results, 'broken.json'), '{ not json');
    writeFileSync(join(notes, 'intro.md'), 'INTRO TEXT');
    writeFileSync(join(notes, 'ipc.intro.md'), 'IPC BEFORE');
    writeFileSync(join(notes, 'ipc.md'), 'IPC AFTER');
    writeFileSync(join(charts, 'stale.svg'), '<svg/>');
    const out = join(dir, 'benchmarks.md');
    await promisify(execFile)(process.execPath, [REPORT, '--results', results, '--out', out, '--charts', charts, '--notes', notes]);
    doc = readFileSync(out, 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renders a section per known bench in order, then other benchmark records, never other files', () => {
    const titles = doc.split('\n').filter((l) => l.startsWith('## '));
    expect(titles).to.deep.equal([
      ...KNOWN_BENCHES.map((b) => `## ${b.title} (${b.script})`),
      '## soak (bench-results/soak.json)',
    ]);
    expect(doc).not.to.include('fuzz-ipc');
    expect(doc).not.to.include('broken');
  });

  it('notes a known bench without results', async () => {
    const results = join(dir, 'only-flood');
    mkdirSync(results);
    writeFileSync(join(results, 'flood.json'), JSON.stringify(flood));
    const out = join(dir, 'only-flood.md');
    await promisify(execFile)(process.execPath, [REPORT, '--results', results, '--out', out, '--charts', join(dir, 'charts2'), '--notes', join(dir, 'notes')]);
    const text = readFileSync(out, 'utf8');
    expect(text).to.include('_No results yet: run `node scripts/bench-e2e.ts`');
    expect(text).to.include('_No results yet: run `npm run bench:codec`');
  });

  it('renders any other benchmark record generically: scalars, lists of records as tables, goals', () => {
    const e2eSection = doc.slice(doc.indexOf('## End to end'), doc.indexOf('## soak'));
    expect(e2eSection).to.include('| steps | 200, 400 |');
    expect(e2eSection).to.include('| best closed tps | 195 |');
    expect(e2eSection).to.include('| offered tps | p99 ms | rss mb › v0-overlay | kept up |');
    expect(e2eSection).to.include('| 400 | 3 378 | 334 | no |');
    expect(e2eSection).to.include('| highest sustained closed TPS | ≥ 1 000 tx/s | 195 tx/s | **no** |');
  });

  it('puts the hand-written notes around the generated figures', () => {
    expect(doc.indexOf('INTRO TEXT')).to.be.lessThan(doc.indexOf('## Codec'));
    const before = doc.indexOf('IPC BEFORE');
    const figures = doc.indexOf('Command: `node scripts/bench-ipc.ts --quick`');
    expect(before).to.be.greaterThan(doc.indexOf('## IPC'));
    expect(figures).to.be.greaterThan(before);
    expect(doc.indexOf('IPC AFTER')).to.be.greaterThan(figures);
  });

  it('shows the machine, the figures and the goals of each bench', () => {
    expect(doc).to.include('Machine: Test CPU, 2 CPUs, linux, Node v24.0.0; load average 1.5 / 1 / 0.5 at the start');
    expect(doc).to.include('| SUBMIT_TX (250 B tx) | 262 | 2.40 M | 637 | 4.90 M | 1 293 | **0.49** |');
    expect(doc).to.include('| 256 | on, verify_threads 0 | 8 000 |');
    expect(doc).to.include('| 256 | on (sodium), verify_threads 2 | 8 000 | 2 | 5 + 120 | 800 k | 0.01 | 0.57 × raw node:crypto, 0.33 × raw sodium |');
    expect(doc).to.include('| 256 | on, verify_threads 0 | 8 000 | 2 | 5 + 120 | 800 k | 0.01 | 0.40 × raw node:crypto |');
    expect(doc).to.include('| ed25519 verify, sodium-native (libsodium), 2 threads | 24.0 k |');
    expect(doc).to.include('| submission with signature checks | ≥ 0.7 × | 0.57 × | **no** |');
    expect(doc).to.include('| round trip p99, GET_METRICS | ≤ 200 µs | 199 µs | yes |');
    expect(doc).to.include('| pull within budget | yes |');
    expect(doc).to.include('| push at least 2x pull | **no** |');
  });

  it('writes the charts it links and removes stale ones', () => {
    const files = readdirSync(charts).sort();
    expect(files).not.to.include('stale.svg');
    for (const link of doc.matchAll(/\]\(bench\/([^)]+)\)/g)) {
      expect(files, link[1]).to.include(link[1]);
      expect(readFileSync(join(charts, link[1]!), 'utf8')).to.match(/^<svg /);
    }
    expect(files).to.include.members(['codec-throughput.svg', 'ipc-submit-throughput.svg', 'ipc-round-trip-1.svg', 'flood-latency.svg']);
    expect(existsSync(join(charts, 'ipc-verifiers.svg'))).to.equal(true);
  });
});
