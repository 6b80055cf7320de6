// Starts real overlay processes (overlay/bin/overlay-sidecar.ts under this Node) in a temp directory, on ports
// chosen at run time, and waits for their "ready" log line.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair, Networks } from '@stellar/stellar-base';
import { freePeerPort } from '../../scripts/lib/ports.ts';
import { launchOverlay, OVERLAY_BIN, type ExitStatus } from '../../scripts/lib/overlay-launch.ts';

export { OVERLAY_BIN };

/** How long an overlay may take to start. */
const READY_TIMEOUT_MS = 30_000;

export interface OverlayProcess {
  proc: ChildProcess;
  dir: string;
  peerPort: number;
  socketPath: string;
  adminUrl: string;
  seed: string;
  nodeKey: string;
  peerId: string;
  logs: string[];
  /** Peer address as stellar-core writes it in SET_PEER_CONFIG. */
  address: string;
  exit: Promise<ExitStatus>;
  stop(signal?: NodeJS.Signals): Promise<ExitStatus>;
  logged(pattern: RegExp): boolean;
}

export interface StartOptions {
  /** Extra TOML appended to the generated config (sections allowed). */
  toml?: string;
  /** Replace --config with these arguments (e.g. the V2 launch line). */
  args?: (o: { peerPort: number; socketPath: string; dir: string }) => string[];
  seed?: string;
  peerPort?: number;
  knownPeers?: string[];
  preferredPeers?: string[];
  p2p?: Record<string, string | number | boolean | string[]>;
  /** Network passphrase in the config (default: the test network); null leaves it to the first core to name. */
  network?: string | null;
  /** Keep the data dir across a restart: pass the `dir` of the earlier process. */
  dir?: string;
}

const running = new Set<OverlayProcess>();

function tomlValue(v: string | number | boolean | string[]): string {
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export async function startOverlay(opts: StartOptions = {}): Promise<OverlayProcess> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ovl-'));
  const peerPort = opts.peerPort ?? (await freePeerPort());
  const seed = opts.seed ?? Keypair.random().secret();
  const socketPath = join(dir, 'ipc', 'overlay.sock');
  const p2p: Record<string, string | number | boolean | string[]> = {
    peer_port: peerPort,
    known_peers: opts.knownPeers ?? [],
    preferred_peers: opts.preferredPeers ?? [],
    dht: false,
    reconnect_min_ms: 200,
    reconnect_max_ms: 2000,
    ...opts.p2p,
  };
  const network = opts.network === undefined ? Networks.TESTNET : opts.network;
  const config = [
    ...(network === null ? [] : [`network_passphrase = ${JSON.stringify(network)}`]),
    `data_dir = ${JSON.stringify(join(dir, 'data'))}`,
    `node_seed = ${JSON.stringify(seed)}`,
    `log_level = "debug"`,
    `[ipc]`,
    `socket = ${JSON.stringify(socketPath)}`,
    `[p2p]`,
    ...Object.entries(p2p).map(([k, v]) => `${k} = ${tomlValue(v)}`),
    opts.toml ?? '',
  ].join('\n');
  const configPath = join(dir, 'overlay.toml');
  writeFileSync(configPath, config + '\n');
  const args = opts.args ? opts.args({ peerPort, socketPath, dir }) : ['--config', configPath];
  const logs: string[] = [];
  const { proc, ready: readyLine, exit } = launchOverlay(args, { cwd: dir, onLine: (l) => logs.push(l) });
  let exited = false;
  void exit.then(() => (exited = true));
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    readyLine,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`overlay on port ${peerPort} not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    }),
  ])
    .catch((err) => {
      proc.kill('SIGKILL');
      throw err;
    })
    .finally(() => clearTimeout(timer));
  const handle: OverlayProcess = {
    proc,
    dir,
    peerPort,
    socketPath,
    adminUrl: ready.admin ?? '',
    seed,
    nodeKey: ready.nodeKey,
    peerId: ready.peerId,
    logs,
    address: `127.0.0.1:${peerPort}`,
    exit,
    logged: (re) => logs.some((l) => re.test(l)),
    stop: async (signal = 'SIGTERM') => {
      if (!exited) proc.kill(signal);
      const r = await exit;
      running.delete(handle);
      return r;
    },
  };
  running.add(handle);
  return handle;
}

/** Kills every overlay a test left running and removes temp dirs (mocha root hook). */
export async function stopAllOverlays(): Promise<void> {
  await Promise.all(
    [...running].map(async (o) => {
      await o.stop('SIGKILL');
      rmSync(o.dir, { recursive: true, force: true });
    }),
  );
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Sum of a Prometheus metric's samples whose line matches `re` (e.g. /^overlay_mempool_txs /). */
export async function metric(o: OverlayProcess, re: RegExp): Promise<number> {
  const text = await (await fetch(`${o.adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#') && re.test(l))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}
