// `npm start`: a local network of validators' overlays on loopback, printing one line of live stats a second.
// Until the reference core lands (core-bridge, issue 5), each validator's core is a synthetic driver that signs and
// broadcasts one SCP envelope per ledger (real SCPEnvelope XDR signed by its node key) through its overlay and
// measures how long every other validator's core takes to receive it. Ctrl-C stops everything and prints a summary.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Keypair, xdr } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { CoreConnection } from '../core-bridge/src/client/connection.ts';
import { ScpSigner } from '../core-bridge/src/scp/envelopes.ts';
import { freePeerPort } from './lib/ports.ts';
import { launchOverlay } from './lib/overlay-launch.ts';

const PASSPHRASE = 'Test SDF Network ; September 2015';

const { values } = parseArgs({
  options: {
    validators: { type: 'string', default: '4' },
    'ledger-ms': { type: 'string', default: '1000' },
    duration: { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm start -- [--validators 4] [--ledger-ms 1000] [--duration <seconds, 0 = until Ctrl-C>]');
  process.exit(0);
}
const n = Number(values.validators);
const ledgerMs = Number(values['ledger-ms']);
const durationSec = Number(values.duration);
if (!Number.isInteger(n) || n < 2 || n > 32) throw new Error('--validators: a whole number from 2 to 32');
if (!Number.isInteger(ledgerMs) || ledgerMs < 50) throw new Error('--ledger-ms: a whole number of at least 50');
if (!Number.isFinite(durationSec) || durationSec < 0) throw new Error('--duration: seconds, 0 for until Ctrl-C');

interface Validator {
  name: string;
  seed: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  core?: CoreConnection;
  signer: ScpSigner;
  adminUrl: string;
}

const root = mkdtempSync(join(tmpdir(), 'overlay-net-'));
const networkId = networkIdOf(PASSPHRASE);
const ports: number[] = [];
for (let i = 0; i < n; i++) ports.push(await freePeerPort());

async function startValidator(i: number): Promise<Validator> {
  const dir = join(root, `v${i}`);
  mkdirSync(dir, { recursive: true });
  const seed = Keypair.random().secret();
  const port = ports[i]!;
  const known = ports.filter((_, j) => j !== i).map((p) => JSON.stringify(`127.0.0.1:${p}`));
  writeFileSync(
    join(dir, 'overlay.toml'),
    [`data_dir = ${JSON.stringify(join(dir, 'data'))}`, `node_seed = "${seed}"`, `[ipc]`,
      `socket = ${JSON.stringify(join(dir, 'ipc', 'overlay.sock'))}`, `[p2p]`,
      `peer_port = ${port}`, `known_peers = [${known.join(', ')}]`, `dht = false`].join('\n') + '\n',
  );
  const log = createWriteStream(join(dir, 'overlay.log'));
  const { proc, ready } = launchOverlay(['--config', join(dir, 'overlay.toml')], { onLine: (l) => log.write(l + '\n') });
  const { admin } = await ready;
  return { name: `v${i}`, seed, port, dir, proc, signer: new ScpSigner(seed, networkId), adminUrl: admin ?? '' };
}

console.log(`starting ${n} validators (logs in ${root})…`);
const validators = await Promise.all(Array.from({ length: n }, (_, i) => startValidator(i)));

// Propagation latencies (ms) of envelopes, measured at every receiving core.
let latencies: number[] = [];
const all: number[] = [];
let delivered = 0;
let ledger = 0;
const qsetHash = Buffer.alloc(32);

for (const v of validators) {
  v.core = await CoreConnection.open({ socketPath: join(v.dir, 'ipc', 'overlay.sock'), networkPassphrase: PASSPHRASE, software: 'local-network driver' });
  v.core.on('message', (m) => {
    if (m.type !== 'SCP_RECEIVED') return;
    // The value the driver votes for starts with its send time: propagation = now - then (one clock, one host).
    const vote = xdr.ScpEnvelope.fromXDR(Buffer.from(m.envelope)).statement().pledges().nominate().votes()[0];
    const sentAt = vote ? Number(vote.readBigUInt64BE(0)) : Date.now();
    const ms = Date.now() - sentAt;
    if (ms >= 0 && ms < 60_000) {
      latencies.push(ms);
      all.push(ms);
    }
    delivered++;
  });
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const ledgerTimer = setInterval(() => {
  ledger++;
  for (const v of validators) {
    const value = Buffer.alloc(32);
    value.writeBigUInt64BE(BigInt(Date.now()), 0);
    v.core!.send({ type: 'BROADCAST_SCP', envelope: v.signer.nominate(BigInt(ledger), [value], [], qsetHash) });
  }
}, ledgerMs);

const started = Date.now();
let lastDelivered = 0;
const statsTimer = setInterval(async () => {
  const peers = await Promise.all(
    validators.map((v) => fetch(`${v.adminUrl}/peers`).then((r) => r.json() as Promise<unknown[]>).then((p) => p.length, () => -1)),
  );
  const rate = delivered - lastDelivered;
  lastDelivered = delivered;
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(
    `t=${t}s ledger=${ledger} peers=[${peers.join(',')}] scp delivered/s=${rate} ` +
      `propagation p50=${percentile(latencies, 50).toFixed(1)}ms p99=${percentile(latencies, 99).toFixed(1)}ms`,
  );
  latencies = [];
}, 1000);

let stopping = false;
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(ledgerTimer);
  clearInterval(statsTimer);
  for (const v of validators) v.core?.close();
  await Promise.all(
    validators.map((v) => new Promise<void>((resolve) => {
      if (v.proc.exitCode !== null) return resolve();
      v.proc.once('exit', () => resolve());
      v.proc.kill('SIGTERM');
    })),
  );
  const secs = (Date.now() - started) / 1000;
  console.log(`\nstopped (${why}) after ${secs.toFixed(1)} s: ${ledger} ledgers, ${delivered} envelopes delivered ` +
    `(expected ${ledger * n * (n - 1)}), propagation p50=${percentile(all, 50).toFixed(1)}ms ` +
    `p99=${percentile(all, 99).toFixed(1)}ms max=${Math.max(...all, 0).toFixed(1)}ms`);
  rmSync(root, { recursive: true, force: true });
  process.exit(0);
}
process.once('SIGINT', () => void stop('Ctrl-C'));
process.once('SIGTERM', () => void stop('SIGTERM'));
if (durationSec > 0) setTimeout(() => void stop(`--duration ${durationSec}`), durationSec * 1000);
