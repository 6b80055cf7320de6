// A supervised network of validators on loopback — an overlay process and a reference core each, fully meshed —
// for `npm start` and the end-to-end benchmark. Seeds and ports are chosen at run time; one log file per process.
import { readyFields } from './ready-line.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, Networks } from '@stellar/stellar-base';
import type { Logger } from '../../overlay/src/util/log.ts';
import { freePeerPort } from './ports.ts';
import { Supervisor, overlayProcess } from '../supervisor.ts';

export const CORE_BIN = new URL('../../core-bridge/bin/reference-core.ts', import.meta.url).pathname;
/**
 * Ours: the reference core's young generation capped as the overlay's is (2 × 4 MB semi-spaces instead of up to
 * 2 × 64 MB): V8 grows it under the load generator's allocation rate and keeps it, so a core's RSS stepped up by
 * ~50 MB mid-soak with its heap in use flat (soak of 2026-11-21, 10 min at 200 tx/s).
 */
const CORE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
/** The validators' network: stellar's test network, as the load generator's txs use. */
export const PASSPHRASE = Networks.TESTNET;
/** Ours: live displays poll /stats every second, so a later answer counts as none. */
const LIVE_TIMEOUT_MS = 900;

export interface ValidatorNetOptions {
  root: string;
  validators: number;
  ledgerMs: number;
  accounts: number;
  /** Extra TOML for every overlay (whole sections). */
  overlayToml?: string;
  /** Which transports the overlays listen on and dial (config p2p.quic / p2p.tcp); default both, QUIC first. */
  transports?: { quic: boolean; tcp: boolean };
  coreArgs?: string[];
  /**
   * When set, every overlay and core runs under `node --cpu-prof`, writing its profiles (one per thread, on exit)
   * to `<cpuProfileDir>/<name>-overlay/` and `<name>-core/`.
   */
  cpuProfileDir?: string;
  log?: Logger;
}

export interface ValidatorNet {
  supervisor: Supervisor;
  names: string[];
  /** Start everyone (resolves when all are ready) and return each core's HTTP base URL. */
  start(): Promise<string[]>;
  /** Each overlay's admin base URL (after start; a restarted overlay keeps its port only if configured). */
  adminUrls(): string[];
}

export async function validatorNet(opts: ValidatorNetOptions): Promise<ValidatorNet> {
  const n = opts.validators;
  const seeds = Array.from({ length: n }, () => Keypair.random().secret());
  const keys = seeds.map((s) => Keypair.fromSecret(s).publicKey());
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePeerPort());
  const nodeFlags = (child: string): string[] => {
    if (opts.cpuProfileDir === undefined) return [];
    const dir = join(opts.cpuProfileDir, child);
    mkdirSync(dir, { recursive: true });
    return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  };
  const validators = seeds.map((seed, i) => {
    const dir = join(opts.root, `v${i}`);
    mkdirSync(dir, { recursive: true });
    const socket = join(dir, 'ipc', 'overlay.sock');
    const known = ports.filter((_, j) => j !== i).map((p) => JSON.stringify(`127.0.0.1:${p}`));
    const config = join(dir, 'overlay.toml');
    writeFileSync(
      config,
      [
        `data_dir = ${JSON.stringify(join(dir, 'overlay-data'))}`,
        `node_seed = "${seed}"`,
        `network_passphrase = ${JSON.stringify(PASSPHRASE)}`,
        `log_level = "info"`,
        `[ipc]`,
        `socket = ${JSON.stringify(socket)}`,
        `[p2p]`,
        `peer_port = ${ports[i]}`,
        `known_peers = [${known.join(', ')}]`,
        `dht = false`,
        ...(opts.transports ? [`quic = ${opts.transports.quic}`, `tcp = ${opts.transports.tcp}`] : []),
        opts.overlayToml ?? '',
      ].join('\n') + '\n',
    );
    const overlay = overlayProcess(['--config', config]);
    const [node, ...overlayArgs] = overlay.command;
    return {
      name: `v${i}`,
      overlay: { ...overlay, command: [node!, ...nodeFlags(`v${i}-overlay`), ...overlayArgs] },
      core: {
        command: [
          process.execPath, ...CORE_NODE_FLAGS, ...nodeFlags(`v${i}-core`), CORE_BIN,
          '--socket', socket,
          '--seed', seed,
          '--validators', keys.join(','),
          '--ledger-ms', String(opts.ledgerMs),
          '--accounts', String(opts.accounts),
          '--data-dir', join(dir, 'core-data'),
          '--network', PASSPHRASE,
          '--http-port', '0',
          ...(opts.coreArgs ?? []),
        ] as [string, ...string[]],
        readiness: { kind: 'log-line' as const, pattern: '"msg":"ready"' },
      },
    };
  });
  const supervisor = new Supervisor({ logDir: join(opts.root, 'logs'), validators, ...(opts.log ? { log: opts.log } : {}) });
  const names = validators.map((v) => v.name);
  const coreUrlOf = (name: string): string => {
    const ready = readyFields<{ http?: string }>(supervisor.child(`${name}-core`).readyLine);
    if (!ready.http) throw new Error(`${name}: the core's ready line has no http address`);
    return ready.http;
  };
  const adminUrlOf = (name: string): string => {
    const ready = readyFields<{ admin?: string | null }>(supervisor.child(`${name}-overlay`).readyLine);
    if (!ready.admin) throw new Error(`${name}: the overlay's ready line has no admin address`);
    return ready.admin;
  };
  return {
    supervisor,
    names,
    start: async () => {
      await supervisor.start();
      return names.map(coreUrlOf);
    },
    adminUrls: () => names.map(adminUrlOf),
  };
}

/** Every core's /stats (null for a core that did not answer in time). */
export interface CoreStats {
  ledger: { seq: number; hash: string; closedTps: number | null; totals: { applied: number; skipped: number; ledgers: number } };
  submissions: { p50: number | null; p99: number | null; samples: number };
  overlay: { mempoolTxs?: number; peersInbound?: number; peersOutbound?: number } | null;
}

export async function coreStats(url: string): Promise<CoreStats | null> {
  return fetchCoreStats(url, '', LIVE_TIMEOUT_MS);
}

/**
 * /stats with the latency percentiles of the txs externalized since `sinceMs` only (ms since the epoch), for a
 * benchmark's window; `timeoutMs` as the caller can afford.
 */
export async function coreStatsSince(url: string, sinceMs: number, timeoutMs: number): Promise<CoreStats | null> {
  return fetchCoreStats(url, `?since=${Math.floor(sinceMs)}`, timeoutMs);
}

async function fetchCoreStats(url: string, query: string, timeoutMs: number): Promise<CoreStats | null> {
  try {
    const r = await fetch(`${url}/stats${query}`, { signal: AbortSignal.timeout(timeoutMs) });
    return r.ok ? ((await r.json()) as CoreStats) : null;
  } catch {
    return null;
  }
}
