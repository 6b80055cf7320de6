// Helpers of the peers tests: real libp2p nodes on 127.0.0.1, ports chosen at run time, polling with deadlines.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrKey } from '@stellar/stellar-base';
import type { Registry } from 'prom-client';
import { configSchema, type ConfigInput } from '../../../overlay/src/config/schema.ts';
import { identityFromSeed, type NodeIdentity } from '../../../overlay/src/identity/node-key.ts';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { createOverlayNode, type OverlayNode } from '../../../overlay/src/p2p/node.ts';
import { protocolIds } from '../../../overlay/src/p2p/protocols.ts';
import { createLogger, type Logger } from '../../../overlay/src/util/log.ts';
import { BanList } from '../../../overlay/src/peers/ban-list.ts';
import { createGater, type Gate, type P2pConfig } from '../../../overlay/src/peers/gater.ts';
import { waitFor } from '../../helpers/wait.ts';

export const PROTOCOLS = protocolIds('00'.repeat(32));

export const quietLog: Logger = createLogger('test', (process.env.OVERLAY_TEST_LOG as 'debug' | undefined) ?? 'error');

export { waitFor };

/** Polls `probe` for `ms` and fails as soon as it is false (an invariant over a period). */
export async function holdsFor(what: string, probe: () => boolean, ms: number, intervalMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!probe()) throw new Error(`no longer true: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  if (!probe()) throw new Error(`no longer true: ${what}`);
}

export function p2pConfig(p2p: NonNullable<ConfigInput['p2p']> = {}): P2pConfig {
  return configSchema.parse({ p2p }).p2p;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'overlay-peers-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function newIdentity(): Promise<NodeIdentity> {
  return identityFromSeed(StrKey.encodeEd25519SecretSeed(randomBytes(32)));
}

export function randomNodeKey(): string {
  return StrKey.encodeEd25519PublicKey(randomBytes(32));
}

export async function metric(registry: Registry, name: string): Promise<number> {
  return (await flatMetrics(registry))[name] ?? 0;
}

/** A node with the overlay's gater (its own ban list, registry and config). */
export interface TestPeer {
  node: OverlayNode;
  identity: NodeIdentity;
  gate: Gate;
  bans: BanList;
  registry: Registry;
  config: P2pConfig;
  dataDir: string;
  tcpPort: number;
  quicPort: number;
  stop(): Promise<void>;
}

export interface TestPeerOptions {
  p2p?: NonNullable<ConfigInput['p2p']>;
  identity?: NodeIdentity;
  /** Default 0 (the OS picks). */
  tcpPort?: number | null;
  quicPort?: number | null;
  /** Keep this data dir (restart with the same bans). */
  dataDir?: string;
}

export async function startPeer(opts: TestPeerOptions = {}): Promise<TestPeer> {
  const identity = opts.identity ?? (await newIdentity());
  const config = p2pConfig(opts.p2p);
  const registry = createRegistry({ processMetrics: false });
  const tmp = opts.dataDir === undefined ? tempDir() : null;
  const dataDir = opts.dataDir ?? tmp!.dir;
  const bans = new BanList({ dataDir, log: quietLog, registry });
  const gate = createGater({ config, bans, log: quietLog, registry });
  const node = await createOverlayNode({
    identity,
    protocols: PROTOCOLS,
    listenHost: '127.0.0.1',
    tcpPort: opts.tcpPort === undefined ? 0 : opts.tcpPort,
    quicPort: opts.quicPort === undefined ? 0 : opts.quicPort,
    gater: gate.gater,
    maxConnections: 64,
    dht: false,
  });
  await node.start();
  const portOf = (proto: 'tcp' | 'udp') =>
    Number(node.getMultiaddrs().flatMap((m) => m.getComponents()).find((c) => c.name === proto)?.value ?? -1);
  return {
    node,
    identity,
    gate,
    bans,
    registry,
    config,
    dataDir,
    tcpPort: portOf('tcp'),
    quicPort: portOf('udp'),
    async stop() {
      await node.stop();
      await bans.flush();
      tmp?.cleanup();
    },
  };
}

export function gateAttached(p: TestPeer): TestPeer {
  p.gate.attach(p.node);
  return p;
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A peer port p (chosen at run time) with UDP p + offset free too: a peer reached by "host:port" listens QUIC on
 * port + quic_port_offset, which port 0 cannot express.
 */
export async function freePeerPort(offset = 1000): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const p = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await tcpFree(p)) && (await udpFree(p + offset))) return p;
  }
  throw new Error('no free port pair found');
}

/** A peer listening on TCP p and QUIC p + 1000, retried on a port race. */
export async function startPeerOnPeerPort(opts: Omit<TestPeerOptions, 'tcpPort' | 'quicPort'> & { port?: number } = {}): Promise<TestPeer> {
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePeerPort());
    try {
      return await startPeer({ ...opts, tcpPort: port, quicPort: port + 1000 });
    } catch (err) {
      if (opts.port !== undefined || attempt >= 4) throw err;
    }
  }
}
