// Starts real overlay processes (overlay/bin/overlay-sidecar.ts under this Node) in a temp directory, on ports
// chosen at run time, and waits for their "ready" log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@stellar/stellar-base';
import { freePeerPort } from '../../scripts/lib/ports.ts';
import { waitFor } from './wait.ts';

export const OVERLAY_BIN = new URL('../../overlay/bin/overlay-sidecar.ts', import.meta.url).pathname;

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
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
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
  const config = [
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
  const proc = spawn(process.execPath, [OVERLAY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  const logs: string[] = [];
  let buf = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      logs.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  proc.stdout!.resume();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exited = false;
  void exit.then(() => (exited = true));
  const ready = await waitFor(
    `overlay on port ${peerPort} to be ready`,
    () => {
      if (exited) throw new Error(`overlay exited early:\n${logs.slice(-20).join('\n')}`);
      const line = logs.find((l) => l.includes('"msg":"ready"'));
      return line ? (JSON.parse(line) as { peerId: string; nodeKey: string; admin: string }) : undefined;
    },
    30_000,
  ).catch((err) => {
    proc.kill('SIGKILL');
    throw err;
  });
  const handle: OverlayProcess = {
    proc,
    dir,
    peerPort,
    socketPath,
    adminUrl: ready.admin,
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
