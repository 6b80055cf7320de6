// The peer manager: decides whom the node is connected to.
//  - preferred peers ("host:port" from config and core) are kept connected, redialled with jittered exponential
//    backoff; the key that answers at a preferred address becomes a preferred key (admitted, never pruned);
//  - target_outbound outbound peers are kept from known peers (config + core) and peers in the libp2p peer store
//    (found by the DHT / identify); above target + OUTBOUND_SLACK the newest non-preferred outbound peers (older
//    than OUTBOUND_PRUNE_GRACE_MS) are closed, down to the target;
//  - inbound connections over max_inbound are closed, newest non-preferred first (the gater refuses most; this
//    catches upgrades that raced past it), and banned peers are hung up on;
//  - each connected peer is pinged every PING_INTERVAL_MS for its round trip time.
// 'connected' / 'disconnected' are emitted once per peer: first connection opened / last connection closed.
//
// Directions: a peer's direction is that of its oldest open connection (peers(), counts(), the outbound target);
// the max_inbound limit counts inbound *connections* (what costs resources).
import { EventEmitter } from 'node:events';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Connection, PeerId } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PeerConfig, PeerDisconnected } from '#ipc-protocol';
import { DEFAULTS } from '../config/defaults.ts';
import { stellarKeyOf, type NodeIdentity } from '../identity/node-key.ts';
import type { OverlayNode } from '../p2p/node.ts';
import { LruMap } from '../util/bounded.ts';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { BanList } from './ban-list.ts';
import { ipOf, OUTBOUND_SLACK, type Gate, type P2pConfig } from './gater.ts';
import type { BanEntry, PeerView } from './types.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: how often the connection targets are re-evaluated when nothing else wakes the manager. */
export const TICK_MS = 2_000;
/** Ours (stellar-core pings peers too, for its latency stats): round-trip measurement period. */
export const PING_INTERVAL_MS = 5_000;
export const PING_TIMEOUT_MS = 5_000;
/** Ours: a QUIC dial gets this long before TCP is tried (UDP gives no "connection refused"; loopback/LAN ~ms). */
export const QUIC_DIAL_TIMEOUT_MS = 3_000;
/** Ours: per TCP address; node.ts's dialTimeout (5 s) is the libp2p ceiling. */
export const TCP_DIAL_TIMEOUT_MS = 5_000;
/** Ours: a connection that lasted less than this counts as a failure for the redial backoff (flapping peers). */
export const STABLE_CONNECTION_MS = 30_000;
/** Ours: freshly opened outbound connections are never pruned (lets a dial wave settle). */
export const OUTBOUND_PRUNE_GRACE_MS = 10_000;
/** Ours: graceful close budget before a connection is aborted. */
export const CLOSE_TIMEOUT_MS = 2_000;
/**
 * Ours: a peer that dials again on the same transport, or whose other connection has been open this long, has
 * restarted (a killed QUIC peer leaves no trace until the idle timeout). Gossipsub keeps its streams on the old,
 * dead connection, so the peer is hung up on entirely and redialled fresh. A simultaneous dial (opposite
 * directions) or a dial racing over QUIC and TCP (two transports) opened together is not this.
 */
export const RESTART_DETECT_MS = 2_000;
/** Bound of each address list (config + SET_PEER_CONFIG): the IPC wire bound of SET_PEER_CONFIG lists. */
export const MAX_ADDRESSES = 10_000;
/** stellar-core DEFAULT_PEER_PORT: the port of a core address written without one ("core1.example.org"). */
export const DEFAULT_PEER_PORT = DEFAULTS.peerPort;
/** Ours: DNS answers used per address. */
export const MAX_IPS_PER_HOST = 8;
/** Ours: peer-store peers examined per evaluation, and discovered peers whose dial backoff is remembered. */
export const MAX_STORE_SCAN = 1_000;
export const MAX_DISCOVERED_BACKOFF = 10_000;
/** Ours: the peer store is scanned at most this often. */
export const SCAN_MIN_INTERVAL_MS = 1_000;
/** Ours: peer-store tag that makes libp2p's own pruner keep preferred peers (tag values sum; default 0). */
export const PREFERRED_TAG = 'overlay-preferred';
export const PREFERRED_TAG_VALUE = 100;

/** The timing constants above, overridable (tests run them faster). */
export interface PeerManagerTuning {
  tickMs: number;
  pingIntervalMs: number;
  outboundPruneGraceMs: number;
  stableConnectionMs: number;
}

export const DEFAULT_TUNING: PeerManagerTuning = {
  tickMs: TICK_MS,
  pingIntervalMs: PING_INTERVAL_MS,
  outboundPruneGraceMs: OUTBOUND_PRUNE_GRACE_MS,
  stableConnectionMs: STABLE_CONNECTION_MS,
};

export interface PeerManagerOptions {
  node: OverlayNode;
  /** The p2p section of the config. */
  config: P2pConfig;
  log: Logger;
  registry: Registry;
  bans: BanList;
  /** From createGater(): its preferred key set is shared and it is attached to `node` here. */
  gate: Gate;
  /** Our identity (defaults to node.peerId); addresses that answer with it are never dialled again. */
  identity?: NodeIdentity;
  /** DNS resolution of a host name to IP addresses (default: node:dns/promises lookup, all addresses). */
  lookup?: (host: string) => Promise<string[]>;
  tuning?: Partial<PeerManagerTuning>;
  /** Wire bytes of the connections to these addresses (p2p/traffic.ts); absent: reported as 0. */
  traffic?: (remoteAddrs: Iterable<{ toString(): string }>) => { bytesIn: number; bytesOut: number };
}

export interface PeerManagerEvents {
  connected: [PeerView];
  disconnected: [PeerDisconnected];
}

type AddressKind = 'preferred' | 'known';
type DialKind = AddressKind | 'discovered';

/** Dial bookkeeping of one configured "host:port". */
interface AddressState {
  address: string;
  kind: AddressKind;
  /** Consecutive failures (failed dials, or connections shorter than STABLE_CONNECTION_MS). */
  failures: number;
  /** `failures` when the last dial succeeded (a short-lived connection resumes from there). */
  failuresAtConnect: number;
  nextAttemptAt: number;
  dialing: AbortController | null;
  /** The peer that last answered here. */
  peer: PeerId | undefined;
  connectedAt: number | undefined;
  /** It is us. */
  self: boolean;
}

interface PeerState {
  peer: PeerId;
  nodeKey: string;
  rttMs: number;
  pinging: boolean;
}

interface Backoff {
  failures: number;
  nextAttemptAt: number;
}

export interface ParsedAddress {
  host: string;
  port: number;
}

/**
 * Parses "host:port" / "[v6]:port"; with `defaultPort`, also a bare "host" / "[v6]" (stellar-core accepts peer
 * addresses without a port). Throws OverlayError('PEER_ADDRESS_INVALID').
 */
export function parseHostPort(address: string, defaultPort?: number): ParsedAddress {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(address) ?? /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(address);
  const port = m?.[2] !== undefined ? Number(m[2]) : (defaultPort ?? NaN);
  if (!m || !(port >= 1 && port <= 65535) || (m[1]!.includes(':') && isIP(m[1]!) !== 6)) {
    throw new OverlayError('PEER_ADDRESS_INVALID', `peer address must be "host:port" with a port 1-65535: ${address.slice(0, 100)}`);
  }
  return { host: m[1]!, port };
}

/** "host:port" ("[v6]:port") text of a parsed address. */
export function formatHostPort(a: ParsedAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** The multiaddrs of one IP and port, QUIC first: /ipX/<ip>/udp/<port+offset>/quic-v1, then /ipX/<ip>/tcp/<port>. */
export function multiaddrsFor(ip: string, port: number, p2p: Pick<P2pConfig, 'quic' | 'tcp' | 'quic_port_offset'>): Multiaddr[] {
  const fam = isIP(ip) === 6 ? 'ip6' : 'ip4';
  const out: Multiaddr[] = [];
  const quicPort = port + p2p.quic_port_offset;
  if (p2p.quic && quicPort <= 65535) out.push(multiaddr(`/${fam}/${ip}/udp/${quicPort}/quic-v1`));
  if (p2p.tcp) out.push(multiaddr(`/${fam}/${ip}/tcp/${port}`));
  return out;
}

/** "ip:port" ("[ip]:port" for IPv6) of a connection's remote address; the multiaddr text otherwise. */
export function socketAddressOf(ma: Multiaddr): string {
  const comps = ma.getComponents();
  const ip = ipOf(ma);
  const port = comps.find((c) => c.name === 'tcp' || c.name === 'udp')?.value;
  if (ip === undefined || port === undefined) return ma.toString();
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function transportOf(ma: Multiaddr): 'quic' | 'tcp' {
  return ma.getComponents().some((c) => c.name === 'quic-v1' || c.name === 'quic') ? 'quic' : 'tcp';
}

async function defaultLookup(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const answers = await dnsLookup(host, { all: true });
  return answers.map((a) => a.address);
}

function jittered(ms: number): number {
  return ms / 2 + (Math.random() * ms) / 2;
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Errors after which trying the peer's other addresses is pointless: it is us, or our gater refused it. */
function isFinalDialError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'InvalidPeerIdError' || name === 'ConnectionInterceptedError' || name === 'DialDeniedError';
}

function isSelfDialError(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'InvalidPeerIdError' && /self/i.test(String((err as Error).message));
}

export class PeerManager extends EventEmitter<PeerManagerEvents> {
  private readonly node: OverlayNode;
  private readonly config: P2pConfig;
  private readonly log: Logger;
  private readonly bans: BanList;
  private readonly gate: Gate;
  private readonly selfId: PeerId;
  private readonly lookup: (host: string) => Promise<string[]>;
  private readonly traffic: PeerManagerOptions['traffic'];
  private readonly tuning: PeerManagerTuning;

  /** Effective lists: config ∪ the latest SET_PEER_CONFIG. */
  private readonly preferredAddrs = new Map<string, AddressState>();
  private readonly knownAddrs = new Map<string, AddressState>();
  private corePeerConfig: PeerConfig | null = null;
  /** Connected peers (freed on disconnect). */
  private readonly peerStates = new Map<string, PeerState>();
  /** Why we closed a peer's connections, reported in 'disconnected' (freed on disconnect). */
  private readonly closeReasons = new Map<string, string>();
  private readonly closing = new WeakSet<Connection>();
  private readonly discoveredBackoff = new LruMap<string, Backoff>(MAX_DISCOVERED_BACKOFF);
  private readonly discoveredDialing = new Set<string>();
  /** Multiaddr (without /p2p) being dialled → the address state it belongs to; lets 'peer:connect' know who it is. */
  private readonly dialTargets = new Map<string, AddressState>();
  private scanning = false;
  private lastScanAt = -Infinity;
  private pruning = false;

  private running = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private pingTimer: NodeJS.Timeout | null = null;
  private kickPending = false;

  private readonly metrics: {
    dials: Counter<'kind'>;
    dialFailures: Counter<'kind'>;
    closes: Counter<'reason'>;
    pingFailures: Counter;
  };

  constructor(opts: PeerManagerOptions) {
    super();
    this.node = opts.node;
    this.config = opts.config;
    this.log = opts.log;
    this.bans = opts.bans;
    this.gate = opts.gate;
    this.selfId = opts.identity?.peerId ?? opts.node.peerId;
    this.lookup = opts.lookup ?? defaultLookup;
    this.traffic = opts.traffic;
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    const self = this;
    const registers = [opts.registry];
    new Gauge({
      name: 'overlay_peers',
      help: 'Connected peers by direction (of their oldest connection)',
      labelNames: ['direction'],
      registers,
      collect() {
        const c = self.counts();
        this.set({ direction: 'inbound' }, c.inbound);
        this.set({ direction: 'outbound' }, c.outbound);
      },
    });
    new Gauge({
      name: 'overlay_peers_preferred',
      help: 'Connected preferred peers',
      registers,
      collect() {
        this.set(self.peers().filter((p) => p.preferred).length);
      },
    });
    this.metrics = {
      dials: new Counter({ name: 'overlay_peer_dials_total', help: 'Dials attempted by the peer manager, by target kind', labelNames: ['kind'], registers }),
      dialFailures: new Counter({ name: 'overlay_peer_dial_failures_total', help: 'Failed dials of the peer manager, by target kind', labelNames: ['kind'], registers }),
      closes: new Counter({ name: 'overlay_peer_closes_total', help: 'Connections closed by the peer manager, by reason', labelNames: ['reason'], registers }),
      pingFailures: new Counter({ name: 'overlay_peer_ping_failures_total', help: 'Failed peer pings', registers }),
    };
    // At once (not in start()): inbound connections arriving before start() are then counted by the gater.
    this.gate.attach(this.node);
    this.rebuildAddressLists();
  }

  // ---- lifecycle --------------------------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.node.addEventListener('peer:connect', this.onPeerConnect);
    this.node.addEventListener('peer:disconnect', this.onPeerDisconnect);
    this.node.addEventListener('connection:open', this.onConnectionOpen);
    this.bans.on('banned', this.onBanned);
    // Peers that connected before we started (the gater was not counting yet): trim, then announce.
    this.enforceInboundLimit();
    for (const peer of this.node.getPeers()) this.peerConnected(peer);
    this.pingTimer = setInterval(() => this.pingAll(), this.tuning.pingIntervalMs);
    this.pingTimer.unref();
    this.log.info('peer manager started', {
      preferred: [...this.preferredAddrs.keys()].slice(0, 20),
      known: this.knownAddrs.size,
      preferredKeys: this.gate.preferred.keys().length,
      targetOutbound: this.config.target_outbound,
      maxInbound: this.config.max_inbound,
      preferredOnly: this.config.preferred_peers_only,
    });
    this.evaluate();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.node.removeEventListener('peer:connect', this.onPeerConnect);
    this.node.removeEventListener('peer:disconnect', this.onPeerDisconnect);
    this.node.removeEventListener('connection:open', this.onConnectionOpen);
    this.bans.off('banned', this.onBanned);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.wakeTimer = this.pingTimer = null;
    this.wakeAt = Infinity;
    for (const a of [...this.preferredAddrs.values(), ...this.knownAddrs.values()]) a.dialing?.abort(new Error('peer manager stopped'));
    this.peerStates.clear();
    this.closeReasons.clear();
    this.dialTargets.clear();
  }

  // ---- configuration ----------------------------------------------------------------------------------------------

  /**
   * SET_PEER_CONFIG from core: its lists are added to the config's (the latest message replaces the previous one's).
   * Invalid addresses are skipped with a warning.
   */
  setPeerConfig(pc: PeerConfig): void {
    // Core's addresses may omit the port (stellar-core's default applies); normalise to "host:port".
    const rejected: string[] = [];
    const normalise = (list: readonly string[]) =>
      list.slice(0, MAX_ADDRESSES).flatMap((a) => {
        try {
          return [formatHostPort(parseHostPort(a.trim(), DEFAULT_PEER_PORT))];
        } catch {
          rejected.push(a.slice(0, 100));
          return [];
        }
      });
    this.corePeerConfig = {
      knownPeers: normalise(pc.knownPeers),
      preferredPeers: normalise(pc.preferredPeers),
      listenPort: pc.listenPort,
    };
    if (rejected.length > 0) {
      this.log.warn('ignoring invalid peer addresses from core', { count: rejected.length, first: rejected.slice(0, 5) });
    }
    this.rebuildAddressLists();
    this.log.info('peer config from core', {
      known: this.knownAddrs.size,
      preferred: this.preferredAddrs.size,
      listenPort: pc.listenPort,
    });
    this.kick();
  }

  private rebuildAddressLists(): void {
    const valid = (list: readonly string[]) =>
      list.filter((a) => {
        try {
          parseHostPort(a);
          return true;
        } catch (err) {
          this.log.warn('ignoring peer address', { address: a, error: (err as Error).message });
          return false;
        }
      });
    const core = this.corePeerConfig;
    const preferred = new Set(valid([...this.config.preferred_peers, ...(core?.preferredPeers ?? [])]).slice(0, MAX_ADDRESSES));
    const known = new Set(valid([...this.config.known_peers, ...(core?.knownPeers ?? [])]).filter((a) => !preferred.has(a)).slice(0, MAX_ADDRESSES));
    const selfPorts = new Set([this.config.peer_port, core?.listenPort].filter((p): p is number => typeof p === 'number' && p > 0));
    const isSelf = (a: string) => {
      const { host, port } = parseHostPort(a);
      return selfPorts.has(port) && (host === this.config.listen_host || host === 'localhost' || host === '127.0.0.1' || host === '::1');
    };

    const sync = (map: Map<string, AddressState>, wanted: Set<string>, kind: AddressKind) => {
      for (const [addr, st] of map) {
        if (wanted.has(addr)) continue;
        st.dialing?.abort(new Error('address removed'));
        map.delete(addr);
        if (kind === 'preferred') {
          for (const key of this.gate.preferred.forgetAddress(addr)) this.untagPreferred(key);
        }
      }
      for (const addr of wanted) {
        if (map.has(addr)) continue;
        const moved = (kind === 'preferred' ? this.knownAddrs : this.preferredAddrs).get(addr);
        map.set(addr, {
          address: addr,
          kind,
          failures: moved?.failures ?? 0,
          failuresAtConnect: 0,
          nextAttemptAt: moved?.nextAttemptAt ?? 0,
          dialing: null,
          peer: moved?.peer,
          connectedAt: moved?.connectedAt,
          self: moved?.self ?? isSelf(addr),
        });
        if (kind === 'preferred' && moved?.peer) this.learnPreferred(moved.peer, addr);
      }
    };
    sync(this.preferredAddrs, preferred, 'preferred');
    sync(this.knownAddrs, known, 'known');
  }

  // ---- views ------------------------------------------------------------------------------------------------------

  /** Connected peers. */
  peers(): PeerView[] {
    const out: PeerView[] = [];
    for (const peer of this.node.getPeers()) {
      const v = this.view(peer);
      if (v) out.push(v);
    }
    return out;
  }

  /** Connected peers by direction (of their oldest open connection). */
  counts(): { inbound: number; outbound: number } {
    let inbound = 0;
    let outbound = 0;
    for (const peer of this.node.getPeers()) {
      const c = this.primaryConnection(peer);
      if (c === undefined) continue;
      if (c.direction === 'inbound') inbound++;
      else outbound++;
    }
    return { inbound, outbound };
  }

  isPreferred(peer: PeerId): boolean {
    return this.gate.preferred.has(stellarKeyOf(peer));
  }

  private openConnections(peer?: PeerId): Connection[] {
    return this.node.getConnections(peer).filter((c) => c.status === 'open' && !this.closing.has(c));
  }

  private primaryConnection(peer: PeerId): Connection | undefined {
    let best: Connection | undefined;
    for (const c of this.openConnections(peer)) if (best === undefined || c.timeline.open < best.timeline.open) best = c;
    return best;
  }

  private view(peer: PeerId): PeerView | undefined {
    const conn = this.primaryConnection(peer);
    if (conn === undefined) return undefined;
    const st = this.peerStates.get(peer.toString());
    const nodeKey = st?.nodeKey ?? stellarKeyOf(peer) ?? '';
    return {
      peerId: peer.toString(),
      nodeKey,
      address: socketAddressOf(conn.remoteAddr),
      direction: conn.direction,
      transport: transportOf(conn.remoteAddr),
      rttMs: st !== undefined && st.rttMs >= 0 ? st.rttMs : (conn.rtt ?? -1),
      ...(this.traffic?.(this.openConnections(peer).map((c) => c.remoteAddr)) ?? { bytesIn: 0, bytesOut: 0 }),
      preferred: this.gate.preferred.has(nodeKey),
    };
  }

  // ---- libp2p events ----------------------------------------------------------------------------------------------

  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => {
    // libp2p dispatches this from inside 'connection:open': enforce the inbound limit first, so a peer refused
    // here is never announced.
    this.enforceInboundLimit();
    this.peerConnected(evt.detail);
  };

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail;
    if (this.resetIfRestarted(conn)) return;
    if (conn.direction === 'inbound') this.enforceInboundLimit();
    else this.matchDialTarget(conn);
  };

  /** See RESTART_DETECT_MS. Returns true when the peer is being reset. */
  private resetIfRestarted(conn: Connection): boolean {
    const now = Date.now();
    const stale = this.node
      .getConnections(conn.remotePeer)
      .some(
        (c) =>
          c !== conn &&
          c.status === 'open' &&
          // A second connection in the same direction on the same transport: the peer dialled anew — it restarted.
          // (A dial racing over QUIC and TCP at once gives two transports; a simultaneous dial, two directions.)
          ((c.direction === conn.direction && transportOf(c.remoteAddr) === transportOf(conn.remoteAddr)) ||
            now - c.timeline.open >= RESTART_DETECT_MS),
      );
    if (!stale) return false;
    const id = conn.remotePeer.toString();
    this.closeReasons.set(id, 'peer restarted: older connection reset');
    this.metrics.closes.inc({ reason: 'restarted' });
    this.log.info('peer reconnected while an older connection was open: resetting it', { peer: id });
    this.node.hangUp(conn.remotePeer).catch((err) => this.log.debug('hang up failed', { peer: id, err }));
    return true;
  }

  /** An outbound connection opened by one of our address dials: bind the peer to the address (and learn its key). */
  private matchDialTarget(conn: Connection): void {
    const a = this.dialTargets.get(conn.remoteAddr.toString().replace(/\/p2p\/[^/]+$/, ''));
    if (a === undefined) return;
    a.peer = conn.remotePeer;
    if (a.kind === 'preferred') this.learnPreferred(conn.remotePeer, a.address);
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail;
    const id = peer.toString();
    const st = this.peerStates.get(id);
    const reason = this.closeReasons.get(id) ?? 'connection closed';
    this.closeReasons.delete(id);
    const now = Date.now();
    for (const a of this.addressStatesOf(peer)) {
      if (a.connectedAt !== undefined && now - a.connectedAt < this.tuning.stableConnectionMs) a.failures = a.failuresAtConnect + 1;
      a.connectedAt = undefined;
      a.nextAttemptAt = now + this.backoffDelay(a.failures);
    }
    this.kick();
    if (st === undefined) return; // never announced
    this.peerStates.delete(id);
    this.log.info('peer disconnected', { peer: id, nodeKey: st.nodeKey, reason });
    this.emit('disconnected', { peerId: id, nodeKey: st.nodeKey, reason });
  };

  private readonly onBanned = (entry: BanEntry): void => {
    for (const peer of this.node.getPeers()) {
      if (stellarKeyOf(peer) !== entry.key) continue;
      this.closeReasons.set(peer.toString(), `banned: ${entry.reason}`.slice(0, 256));
      this.metrics.closes.inc({ reason: 'banned' });
      this.log.info('hanging up on banned peer', { peer: peer.toString(), key: entry.key });
      this.node.hangUp(peer).catch((err) => this.log.debug('hang up failed', { peer: peer.toString(), err }));
    }
  };

  private peerConnected(peer: PeerId): void {
    const id = peer.toString();
    if (this.peerStates.has(id) || !this.running) return;
    if (this.openConnections(peer).length === 0) return; // refused by the inbound check just now
    // The dial that made this connection may not have returned yet: learn a preferred address's key before announcing.
    for (const c of this.openConnections(peer)) if (c.direction === 'outbound') this.matchDialTarget(c);
    const nodeKey = stellarKeyOf(peer) ?? '';
    this.peerStates.set(id, { peer, nodeKey, rttMs: -1, pinging: false });
    if (this.gate.preferred.has(nodeKey)) this.tagPreferred(peer);
    const v = this.view(peer);
    if (v === undefined) return;
    this.log.info('peer connected', { peer: id, nodeKey, address: v.address, direction: v.direction, transport: v.transport, preferred: v.preferred });
    this.emit('connected', v);
    this.pingOne(peer.toString());
  }

  /** Closes the newest non-preferred inbound connections while there are more than max_inbound. */
  private enforceInboundLimit(): void {
    const inbound = this.openConnections().filter((c) => c.direction === 'inbound');
    let excess = inbound.length - this.config.max_inbound;
    if (excess <= 0) return;
    const victims = inbound
      .filter((c) => !this.gate.preferred.has(stellarKeyOf(c.remotePeer)))
      .sort((a, b) => b.timeline.open - a.timeline.open);
    for (const c of victims) {
      if (excess-- <= 0) break;
      this.gate.refused('inbound_full', { peer: c.remotePeer.toString(), inbound: inbound.length, max: this.config.max_inbound, late: true });
      this.closeConnection(c, 'inbound_full', 'too many inbound connections');
    }
  }

  private closeConnection(c: Connection, metricReason: string, reason: string): void {
    if (this.closing.has(c)) return;
    this.closing.add(c);
    this.metrics.closes.inc({ reason: metricReason });
    if (this.openConnections(c.remotePeer).length === 0) this.closeReasons.set(c.remotePeer.toString(), reason);
    c.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) }).catch((err: Error) => c.abort(err));
  }

  // ---- preferred keys ---------------------------------------------------------------------------------------------

  private learnPreferred(peer: PeerId, address: string): void {
    const key = stellarKeyOf(peer);
    if (key === undefined) return;
    if (this.gate.preferred.learn(key, address)) {
      this.log.info('preferred address answered with a new key', { address, key });
    }
    this.tagPreferred(peer);
  }

  private tagPreferred(peer: PeerId): void {
    this.node.peerStore
      .merge(peer, { tags: { [PREFERRED_TAG]: { value: PREFERRED_TAG_VALUE } } })
      .catch((err) => this.log.debug('cannot tag preferred peer', { peer: peer.toString(), err }));
  }

  private untagPreferred(key: string): void {
    for (const peer of this.node.getPeers()) {
      if (stellarKeyOf(peer) !== key) continue;
      this.node.peerStore
        .merge(peer, { tags: { [PREFERRED_TAG]: undefined } })
        .catch((err) => this.log.debug('cannot untag peer', { peer: peer.toString(), err }));
    }
  }

  // ---- the control loop -------------------------------------------------------------------------------------------

  /** Re-evaluates soon (coalesced). */
  private kick(): void {
    if (!this.running || this.kickPending) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      this.evaluate();
    });
  }

  private scheduleWake(at: number): void {
    if (!this.running || at >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.evaluate();
    }, Math.max(0, at - Date.now()));
    this.wakeTimer.unref();
  }

  private evaluate(): void {
    if (!this.running) return;
    const now = Date.now();
    let wake = now + this.tuning.tickMs;
    const due = (a: AddressState): boolean => {
      if (a.self || a.dialing !== null || this.addressConnected(a)) return false;
      if (a.peer !== undefined && this.isBannedPeer(a.peer)) return false;
      if (now < a.nextAttemptAt) {
        wake = Math.min(wake, a.nextAttemptAt);
        return false;
      }
      return true;
    };

    // 1. Every preferred address, whatever the outbound count.
    for (const a of this.preferredAddrs.values()) if (due(a)) void this.dialAddress(a);

    // 2. Outbound target from known addresses, then the peer store (which also finds preferred keys' addresses).
    let need = 0;
    if (!this.config.preferred_peers_only) {
      const inFlight = [...this.knownAddrs.values()].filter((a) => a.dialing !== null).length + this.discoveredDialing.size;
      need = this.config.target_outbound - this.counts().outbound - inFlight;
      if (need > 0) {
        for (const a of shuffle([...this.knownAddrs.values()].filter(due))) {
          if (need <= 0) break;
          need--;
          void this.dialAddress(a);
        }
      }
    }
    if ((need > 0 || this.missingPreferredKey()) && now - this.lastScanAt >= SCAN_MIN_INTERVAL_MS) {
      this.lastScanAt = now;
      void this.dialFromPeerStore(Math.max(0, need));
    }

    // 3. Prune outbound peers above target + slack, down to the target.
    this.pruneOutbound(now);

    this.scheduleWake(wake);
  }

  /** A preferred key with no connection (its address may be in the peer store). */
  private missingPreferredKey(): boolean {
    if (this.gate.preferred.isEmpty()) return false;
    const connected = new Set(this.node.getPeers().map((p) => stellarKeyOf(p)));
    return this.gate.preferred.keys().some((k) => !connected.has(k));
  }

  private addressConnected(a: AddressState): boolean {
    return a.peer !== undefined && this.openConnections(a.peer).length > 0;
  }

  private isBannedPeer(peer: PeerId): boolean {
    const key = stellarKeyOf(peer);
    return key !== undefined && this.bans.isBanned(key);
  }

  private addressStatesOf(peer: PeerId): AddressState[] {
    const out: AddressState[] = [];
    for (const a of this.preferredAddrs.values()) if (a.peer?.equals(peer)) out.push(a);
    for (const a of this.knownAddrs.values()) if (a.peer?.equals(peer)) out.push(a);
    return out;
  }

  private backoffDelay(failures: number): number {
    if (failures <= 0) return 0;
    const { reconnect_min_ms: min, reconnect_max_ms: max } = this.config;
    const exp = Math.min(max, min * 2 ** Math.min(failures - 1, 30));
    return jittered(Math.max(min, exp));
  }

  private pruneOutbound(now: number): void {
    const limit = this.config.target_outbound + OUTBOUND_SLACK;
    const outboundPeers: { peer: PeerId; conns: Connection[]; newest: number }[] = [];
    for (const peer of this.node.getPeers()) {
      const primary = this.primaryConnection(peer);
      if (primary?.direction !== 'outbound') continue;
      const conns = this.openConnections(peer).filter((c) => c.direction === 'outbound');
      outboundPeers.push({ peer, conns, newest: Math.max(...conns.map((c) => c.timeline.open)) });
    }
    // Hysteresis: pruning starts above target + slack and, once started, goes on (as connections age past the grace
    // period) until the target is reached.
    if (outboundPeers.length > limit) this.pruning = true;
    if (outboundPeers.length <= this.config.target_outbound) this.pruning = false;
    if (!this.pruning) return;
    let excess = outboundPeers.length - this.config.target_outbound;
    const victims = outboundPeers
      .filter((p) => !this.isPreferred(p.peer) && now - p.newest >= this.tuning.outboundPruneGraceMs)
      .sort((a, b) => b.newest - a.newest);
    for (const v of victims) {
      if (excess-- <= 0) break;
      this.log.debug('pruning outbound peer', { peer: v.peer.toString(), outbound: outboundPeers.length, target: this.config.target_outbound });
      for (const c of v.conns) this.closeConnection(c, 'outbound_excess', 'too many outbound connections');
    }
  }

  // ---- dialling ---------------------------------------------------------------------------------------------------

  /** QUIC then TCP for each IP of `address` (IPv4 first). */
  async resolve(address: string): Promise<Multiaddr[]> {
    const { host, port } = parseHostPort(address);
    const ips = (await this.lookup(host)).filter((ip) => isIP(ip) !== 0);
    ips.sort((a, b) => isIP(a) - isIP(b));
    return ips.slice(0, MAX_IPS_PER_HOST).flatMap((ip) => multiaddrsFor(ip, port, this.config));
  }

  private async dialAddress(a: AddressState): Promise<void> {
    const ctl = new AbortController();
    a.dialing = ctl;
    this.metrics.dials.inc({ kind: a.kind });
    try {
      const addrs = await this.resolve(a.address);
      if (addrs.length === 0) throw new OverlayError('PEER_ADDRESS_INVALID', `${a.address} resolved to no usable address`);
      const conn = await this.dialFirst(a, addrs, ctl.signal);
      if (ctl.signal.aborted) return;
      a.peer = conn.remotePeer;
      a.failuresAtConnect = a.failures;
      a.failures = 0;
      a.connectedAt = Date.now();
      if (a.kind === 'preferred') this.learnPreferred(conn.remotePeer, a.address);
      this.log.debug('dialled', { address: a.address, kind: a.kind, peer: conn.remotePeer.toString(), via: conn.remoteAddr.toString() });
    } catch (err) {
      if (ctl.signal.aborted) return;
      if (isSelfDialError(err)) {
        a.self = true;
        this.log.info('peer address is this node, not dialling it again', { address: a.address });
        return;
      }
      this.metrics.dialFailures.inc({ kind: a.kind });
      a.failures++;
      a.nextAttemptAt = Date.now() + this.backoffDelay(a.failures);
      this.log.debug('dial failed', { address: a.address, kind: a.kind, failures: a.failures, retryInMs: Math.round(a.nextAttemptAt - Date.now()), error: describe(err) });
    } finally {
      if (a.dialing === ctl) a.dialing = null;
      this.kick();
    }
  }

  /** Dials the addresses one at a time, in order; the first connection wins. */
  private async dialFirst(a: AddressState, addrs: Multiaddr[], signal: AbortSignal): Promise<Connection> {
    const errors: unknown[] = [];
    for (const ma of addrs) {
      const timeout = transportOf(ma) === 'quic' ? QUIC_DIAL_TIMEOUT_MS : TCP_DIAL_TIMEOUT_MS;
      const target = ma.toString();
      this.dialTargets.set(target, a);
      try {
        return await this.node.dial(ma, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]) });
      } catch (err) {
        if (signal.aborted || isFinalDialError(err)) throw err;
        errors.push(err);
      } finally {
        if (this.dialTargets.get(target) === a) this.dialTargets.delete(target);
      }
    }
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, `all ${addrs.length} addresses failed`);
  }

  /** Dials peers found in the peer store (DHT, identify): preferred keys always, others up to `need`. */
  private async dialFromPeerStore(need: number): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const now = Date.now();
      const viaAddress = new Set<string>();
      for (const a of [...this.preferredAddrs.values(), ...this.knownAddrs.values()]) if (a.peer) viaAddress.add(a.peer.toString());
      const found = await this.node.peerStore.all({
        filters: [(p) => p.addresses.length > 0 && !p.id.equals(this.selfId)],
        limit: MAX_STORE_SCAN,
      });
      if (!this.running) return;
      const preferred: PeerId[] = [];
      const others: PeerId[] = [];
      for (const p of found) {
        const id = p.id.toString();
        if (viaAddress.has(id) || this.discoveredDialing.has(id) || this.openConnections(p.id).length > 0) continue;
        const key = stellarKeyOf(p.id);
        if (key === undefined || this.bans.isBanned(key)) continue;
        const b = this.discoveredBackoff.peek(id);
        if (b !== undefined && now < b.nextAttemptAt) continue;
        (this.gate.preferred.has(key) ? preferred : others).push(p.id);
      }
      const chosen = this.config.preferred_peers_only ? preferred : [...preferred, ...shuffle(others).slice(0, need)];
      for (const peer of chosen) void this.dialDiscovered(peer);
    } catch (err) {
      this.log.debug('peer store scan failed', { err });
    } finally {
      this.scanning = false;
    }
  }

  private async dialDiscovered(peer: PeerId): Promise<void> {
    const id = peer.toString();
    this.discoveredDialing.add(id);
    this.metrics.dials.inc({ kind: 'discovered' satisfies DialKind });
    try {
      await this.node.dial(peer, { signal: AbortSignal.timeout(TCP_DIAL_TIMEOUT_MS) });
      this.discoveredBackoff.delete(id);
    } catch (err) {
      if (!this.running) return;
      this.metrics.dialFailures.inc({ kind: 'discovered' });
      const failures = (this.discoveredBackoff.peek(id)?.failures ?? 0) + 1;
      this.discoveredBackoff.set(id, { failures, nextAttemptAt: Date.now() + this.backoffDelay(failures) });
      this.log.debug('dial of discovered peer failed', { peer: id, failures, error: describe(err) });
    } finally {
      this.discoveredDialing.delete(id);
      this.kick();
    }
  }

  // ---- ping -------------------------------------------------------------------------------------------------------

  private pingAll(): void {
    for (const id of this.peerStates.keys()) this.pingOne(id);
  }

  private pingOne(id: string): void {
    const st = this.peerStates.get(id);
    if (st === undefined || st.pinging || !this.running) return;
    // ping() would dial a peer that has just gone; only ping over an open connection.
    if (this.openConnections(st.peer).length === 0) return;
    st.pinging = true;
    this.node.services.ping
      .ping(st.peer, { signal: AbortSignal.timeout(PING_TIMEOUT_MS) })
      .then((rtt: number) => {
        st.rttMs = Math.round(rtt * 1000) / 1000;
      })
      .catch((err: unknown) => {
        if (this.peerStates.get(id) !== st) return;
        this.metrics.pingFailures.inc();
        this.log.debug('ping failed', { peer: id, error: describe(err) });
      })
      .finally(() => {
        st.pinging = false;
      });
  }
}

function describe(err: unknown): string {
  if (err instanceof AggregateError) return err.errors.map(describe).join('; ');
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
