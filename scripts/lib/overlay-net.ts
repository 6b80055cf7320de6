// Starts a set of overlay processes on loopback for scripts (benchmarks, the demo): one directory each under a
// temp root, a generated TOML config, ports chosen at run time, a log file per overlay. Callers give the edges.
// The network is always named in the config: an overlay left without one would wait for its core to name it.
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair, Networks } from '@stellar/stellar-base';
import { freePeerPort } from './ports.ts';
import { launchOverlay, type ExitStatus, type LaunchedOverlay, type ReadyRecord } from './overlay-launch.ts';

/** The network the overlays join unless told otherwise: stellar's test network, as the scripts' cores and txs use. */
export const DEFAULT_NETWORK_PASSPHRASE = Networks.TESTNET;

export interface NetOverlay {
  index: number;
  seed: string;
  port: number;
  dir: string;
  socketPath: string;
  ready: ReadyRecord;
  launched: LaunchedOverlay;
  stop(): Promise<ExitStatus>;
}

export interface OverlayNetOptions {
  n: number;
  /** Node i dials the nodes listed in `dials[i]` (its known peers). Default: every lower-numbered node. */
  dials?: number[][];
  /** Extra TOML appended to every config (whole sections). */
  toml?: string;
  /** Extra keys of the [p2p] section. */
  p2p?: string[];
  /** Default DEFAULT_NETWORK_PASSPHRASE. */
  networkPassphrase?: string;
  root?: string;
}

export interface OverlayNet {
  root: string;
  overlays: NetOverlay[];
  stop(): Promise<void>;
}

export async function startOverlayNet(opts: OverlayNetOptions): Promise<OverlayNet> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'overlay-net-'));
  const ports: number[] = [];
  for (let i = 0; i < opts.n; i++) ports.push(await freePeerPort());
  const start = async (i: number): Promise<NetOverlay> => {
    const dir = join(root, `v${i}`);
    mkdirSync(dir, { recursive: true });
    const seed = Keypair.random().secret();
    const port = ports[i]!;
    const socketPath = join(dir, 'ipc', 'overlay.sock');
    const dials = opts.dials?.[i] ?? Array.from({ length: i }, (_, j) => j);
    const known = dials.map((j) => JSON.stringify(`127.0.0.1:${ports[j]}`));
    const config = [
      `data_dir = ${JSON.stringify(join(dir, 'data'))}`,
      `node_seed = "${seed}"`,
      `network_passphrase = ${JSON.stringify(opts.networkPassphrase ?? DEFAULT_NETWORK_PASSPHRASE)}`,
      `[ipc]`,
      `socket = ${JSON.stringify(socketPath)}`,
      `[p2p]`,
      `peer_port = ${port}`,
      `known_peers = [${known.join(', ')}]`,
      `dht = false`,
      ...(opts.p2p ?? []),
      opts.toml ?? '',
    ].join('\n');
    writeFileSync(join(dir, 'overlay.toml'), config + '\n');
    const log = createWriteStream(join(dir, 'overlay.log'));
    const launched = launchOverlay(['--config', join(dir, 'overlay.toml')], { onLine: (l) => log.write(l + '\n') });
    const ready = await launched.ready;
    return {
      index: i,
      seed,
      port,
      dir,
      socketPath,
      ready,
      launched,
      stop: async () => {
        if (launched.proc.exitCode === null && launched.proc.signalCode === null) launched.proc.kill('SIGTERM');
        const r = await launched.exit;
        log.end();
        return r;
      },
    };
  };
  // One overlay failing to start stops the others, so a failed run leaves no orphans behind.
  const started = await Promise.allSettled(Array.from({ length: opts.n }, (_, i) => start(i)));
  const overlays = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(overlays.map((o) => o.stop()));
    if (opts.root === undefined) rmSync(root, { recursive: true, force: true });
    throw failed.reason;
  }
  return {
    root,
    overlays,
    stop: async () => {
      await Promise.all(overlays.map((o) => o.stop()));
      if (opts.root === undefined) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A random d-regular graph on n nodes (configuration model, retried until simple and connected). */
export function randomRegularGraph(n: number, d: number, random: () => number = Math.random): [number, number][] {
  if ((n * d) % 2 !== 0 || d >= n) throw new RangeError(`no ${d}-regular graph on ${n} nodes`);
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const stubs = Array.from({ length: n * d }, (_, i) => Math.floor(i / d));
    for (let i = stubs.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [stubs[i], stubs[j]] = [stubs[j]!, stubs[i]!];
    }
    const edges = new Set<string>();
    let ok = true;
    for (let i = 0; i < stubs.length; i += 2) {
      const a = Math.min(stubs[i]!, stubs[i + 1]!);
      const b = Math.max(stubs[i]!, stubs[i + 1]!);
      if (a === b || edges.has(`${a}-${b}`)) {
        ok = false;
        break;
      }
      edges.add(`${a}-${b}`);
    }
    if (!ok) continue;
    const list = [...edges].map((e) => e.split('-').map(Number) as [number, number]);
    if (connected(n, list)) return list;
  }
  throw new Error('could not build a random regular graph');
}

function connected(n: number, edges: [number, number][]): boolean {
  const adj = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of edges) {
    adj[a]!.push(b);
    adj[b]!.push(a);
  }
  const seen = new Set([0]);
  const stack = [0];
  while (stack.length) for (const m of adj[stack.pop()!]!) if (!seen.has(m)) (seen.add(m), stack.push(m));
  return seen.size === n;
}

/** Known-peer lists for a graph: the higher-numbered end of each edge dials the lower. */
export function dialsOf(n: number, edges: [number, number][]): number[][] {
  const dials = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of edges) dials[b]!.push(a);
  return dials;
}
