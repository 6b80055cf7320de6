// Transaction flooding between overlays. Pull mode (default): a tx entering our mempool is announced (INV) to every
// peer that has not told us it has it; a peer that lacks it asks one announcer (GETDATA) and gets the body once.
// Push mode (the legacy behaviour, kept as the benchmark's baseline): bodies go to every such peer at once.
// Pending txs are announced again on a budget, and to every peer that connects, so no tx is stranded.
// Peers name txs by short id (short-id.ts: the first 8 bytes of the hash), and so do the tables here; the mempool
// keys txs by full hash, and a pending index maps one to the other.
import { createHash } from 'node:crypto';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Stream, Connection } from '@libp2p/interface';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ProtocolError } from '#ipc-protocol';
import type { OverlayNode } from '../../p2p/node.ts';
import { FramedStream } from '../../p2p/framed-stream.ts';
import { BoundedSet, LruMap, RecentSet } from '../../util/bounded.ts';
import { toHex } from '../../util/bytes.ts';
import type { Logger } from '../../util/log.ts';
import type { TxInfo } from '../types.ts';
import { TxFetcher } from './fetcher.ts';
import { PeerLink } from './peer-link.ts';
import { pendingShortKey, shortIdOf, shortKeyOf, shortKeyOfKey } from './short-id.ts';
import { FloodFrame, MAX_FLOOD_FRAME, decodeIds, decodeInv, decodeTxs, invEntriesAtMost } from './wire.ts';

/** Overlay V2: housekeeping tick 50 ms (request timeouts, give-ups, scheduling). */
const TICK_MS = 50;
/**
 * Ours: a pending tx is announced again to peers not known to have it once this old: several ledgers, when a tx
 * normally closes within one or two, so it is likely stranded (an INV lost with a link, a partition). A peer whose
 * fetcher still tracks the id (give-up 30 s) ignores the repeat, at ~10 B an entry.
 */
const REBROADCAST_AFTER_MS = 10_000;
/**
 * Ours: short ids of bodies from peers and of txs that just left the pool, to count duplicates and to skip
 * re-fetching what is being checked or was just included, expired or evicted (the mempool's bans are keyed by full
 * hash, which an INV no longer carries). Pending txs need no entry (the pending index answers for them): room for
 * every check the checker can hold (64 batches × tx.verify_batch, 16,384 by default) four times over.
 */
const SEEN_BODIES = 65_536;
/**
 * Ours: and only for a while: a check takes milliseconds to seconds, so a body is remembered for 1–2 minutes. Under
 * steady load the set then holds rate × 1–2 min (24,000 at 200 tx/s) instead of growing to its bound over the
 * first quarter of an hour (soak, 2026-11-21: the heap still filling after 10 min).
 */
const SEEN_BODIES_MS = 60_000;
/** Ours: short ids of txs that failed checks, never fetched again (for a while). */
const REJECTED = 100_000;
/** Ours: at most this many peers remembered per tx as already having it. */
const HAVE_FROM_PEERS = 64;
/** Ours: announcement times are kept in units of 100 ms since start, small integers V8 stores without a box. */
const ANNOUNCE_CLOCK_MS = 100;
/** Ours: one inbound flood stream per peer connection, plus one for a reconnect race. */
const MAX_INBOUND_STREAMS = 2;
/** Ours: hashes tracked as wanted across all peers. */
const MAX_WANTED = 200_000;

const frameNames: Record<number, string> = { 1: 'inv', 2: 'getdata', 3: 'txs', 4: 'notfound' };

/** What a peer did wrong on the flood protocol (the caller scores it; see peers/scoring.ts). */
export type FloodOffence = 'malformed_frame' | 'oversized_frame' | 'unknown_frame' | 'inv_over_cap' | 'getdata_flood';

export interface FloodConfig {
  mode: 'pull' | 'push';
  inv_max_hashes: number;
  inv_interval_ms: number;
  getdata_timeout_ms: number;
  getdata_timeout_max_ms: number;
  getdata_give_up_ms: number;
  max_announcements_per_peer: number;
  max_inflight_per_peer: number;
  rebroadcast_interval_ms: number;
  rebroadcast_budget: number;
}

/** What flooding needs of the mempool. */
export interface FloodMempool {
  /** Its capacity: bounds what flooding remembers of pending txs. */
  readonly maxTxs: number;
  has(key: string): boolean;
  get(key: string): TxInfo | undefined;
  isBanned(key: string): boolean;
  values(): IterableIterator<TxInfo>;
  readonly size: number;
}

export interface TxFloodOptions {
  node: OverlayNode;
  protocol: string;
  config: FloodConfig;
  maxTxBytes: number;
  mempool: FloodMempool;
  /** A body from a peer, for intake (check, then mempool). `bytes` is owned. */
  accept(bytes: Uint8Array, from: string): void;
  /** A peer broke the protocol (scored by the caller). */
  onMisbehave?(peer: string, reason: string, kind: FloodOffence): void;
  /** Takes `n` hashes from the peer's GETDATA budget; false: the request is refused unserved. Default: no limit. */
  allowGetData?(peer: string, n: number): boolean;
  /**
   * Pull mode: takes one from the peer's budget of bodies sent unasked; false: the body is dropped unchecked (it can
   * still come from an announcer). Default: no limit.
   */
  allowUnsolicited?(peer: string): boolean;
  log: Logger;
  registry: Registry;
}

export class TxFlood {
  private readonly opts: TxFloodOptions;
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Map<string, Set<FramedStream>>();
  private readonly fetcher: TxFetcher;
  /** Short ids (as every table below). */
  private readonly seenBodies = new RecentSet<string>(SEEN_BODIES, SEEN_BODIES_MS);
  private readonly rejectedKeys = new BoundedSet<string>(REJECTED);
  /**
   * Short id → the peers known to have its tx: one peer id, or (rarer) an exact-size array of several. Only for txs
   * in play (pending, wanted or being checked): an entry goes when its tx leaves the pool or fails its checks, and
   * none is made for a tx the pool has already banned or included (late announcements), so the map stays near the
   * pool's size instead of filling to its bound.
   */
  private readonly haveFrom: LruMap<string, string | readonly string[]>;
  /**
   * Short id → the full key of the pending tx it names: to serve GETDATA and to tell whether we hold an announced tx.
   * An entry is made when a tx is announced and goes when it leaves the pool, so it is bounded by the pool.
   * Two pending txs whose short ids collide (2^-64 per pair for honest txs; an attacker can make pairs of its own txs
   * collide with ~2^32 work): the first keeps the id, and the second is neither announced nor served until the
   * first leaves, nor is a body whose id another pending tx holds taken from a peer. Only the colliding txs'
   * propagation suffers. No salting: an id salted per link would defeat the fetcher's dedup across announcers.
   */
  private readonly pendingIds = new Map<string, string>();
  /**
   * Pending txs by last announcement time, in ANNOUNCE_CLOCK_MS units since `epoch` (oldest first).
   * This and pendingIds are not rebuilt as the mempool's maps are (util/map-rebuild.ts): measured, rebuilding them
   * lowered the end RSS of bench-mempool a little but raised its high-water mark (323 / 323 MB against 299 / 308
   * without), the old and new tables both alive at each rebuild.
   */
  private readonly lastAnnounced = new Map<string, number>();
  private readonly epoch = Date.now();
  private tick: NodeJS.Timeout | null = null;
  private rebroadcastTimer: NodeJS.Timeout | null = null;
  private readonly m;

  constructor(opts: TxFloodOptions) {
    this.opts = opts;
    const c = opts.config;
    // Entries for every pending tx and every tx we want, plus the bodies being checked.
    this.haveFrom = new LruMap(opts.mempool.maxTxs + MAX_WANTED + SEEN_BODIES);
    this.fetcher = new TxFetcher({
      timeoutMs: c.getdata_timeout_ms,
      maxTimeoutMs: c.getdata_timeout_max_ms,
      giveUpMs: c.getdata_give_up_ms,
      tickMs: TICK_MS,
      maxAnnouncementsPerPeer: c.max_announcements_per_peer,
      maxInflightPerPeer: c.max_inflight_per_peer,
      maxWanted: MAX_WANTED,
      request: (peer, hash) => this.links.get(peer)?.request(hash),
      cancel: (peer, hash) => this.links.get(peer)?.cancelRequest(hash) ?? false,
      registry: opts.registry,
    });
    const registers = [opts.registry];
    const fetcher = this.fetcher;
    this.m = {
      frames: new Counter({ name: 'overlay_flood_frames_total', help: 'Tx-flood frames by direction and type', labelNames: ['dir', 'type'] as const, registers }),
      bytes: new Counter({ name: 'overlay_flood_bytes_total', help: 'Tx-flood payload bytes by direction and type', labelNames: ['dir', 'type'] as const, registers }),
      bodies: new Counter({
        name: 'overlay_flood_tx_bodies_received_total',
        help: 'Tx bodies received from peers: new (first copy), duplicate (seen before), unsolicited (not asked for), unsolicited_dropped (not asked for, beyond the peer budget: not checked)',
        labelNames: ['kind'] as const,
        registers,
      }),
      announcements: new Counter({ name: 'overlay_flood_announcements_total', help: 'INV entries received, by outcome', labelNames: ['outcome'] as const, registers }),
      announced: new Counter({ name: 'overlay_flood_announced_total', help: 'INV entries queued to peers, by cause', labelNames: ['cause'] as const, registers }),
      invSkipped: new Counter({ name: 'overlay_flood_inv_skipped_total', help: 'Queued INV entries left out: the peer had the tx by the time the batch went', registers }),
      pushed: new Counter({ name: 'overlay_flood_pushed_total', help: 'Tx bodies pushed unasked (push mode)', registers }),
      served: new Counter({ name: 'overlay_flood_getdata_served_total', help: 'Hashes asked of us, by outcome', labelNames: ['outcome'] as const, registers }),
      dropped: new Counter({ name: 'overlay_flood_dropped_frames_total', help: 'Frames dropped: queue towards the peer full or stream failed', labelNames: ['type'] as const, registers }),
      violations: new Counter({ name: 'overlay_flood_violations_total', help: 'Peer protocol violations on the flood protocol', labelNames: ['reason'] as const, registers }),
      wanted: new Gauge({ name: 'overlay_flood_wanted', help: 'Announced txs we lack and track', registers, collect() { this.set(fetcher.size); } }),
      inflight: new Gauge({ name: 'overlay_flood_inflight', help: 'Hashes requested and not yet answered', registers, collect() { this.set(fetcher.inflight); } }),
      timeouts: new Gauge({ name: 'overlay_flood_getdata_timeouts', help: 'GETDATA requests that timed out (since start)', registers, collect() { this.set(fetcher.timeouts); } }),
      giveUps: new Gauge({ name: 'overlay_flood_give_ups', help: 'Hashes forgotten unfetched after the give-up time (since start)', registers, collect() { this.set(fetcher.giveUps); } }),
      links: new Gauge({ name: 'overlay_flood_links', help: 'Peers with a flood link', registers }),
      collisions: new Counter({
        name: 'overlay_flood_short_id_collisions_total',
        help: 'Short ids held by another pending tx: a tx entering our pool (not announced), a body from a peer (dropped)',
        labelNames: ['where'] as const,
        registers,
      }),
      tables: new Gauge({
        name: 'overlay_flood_table_entries',
        help: 'Entries in the flood tables: have_from (peers known to hold a tx), seen_bodies, rejected, last_announced, pending_ids (short id → pending tx)',
        labelNames: ['table'] as const,
        registers,
        collect: () => {
          const t = this.m.tables;
          t.set({ table: 'have_from' }, this.haveFrom.size);
          t.set({ table: 'seen_bodies' }, this.seenBodies.size);
          t.set({ table: 'rejected' }, this.rejectedKeys.size);
          t.set({ table: 'last_announced' }, this.lastAnnounced.size);
          t.set({ table: 'pending_ids' }, this.pendingIds.size);
        },
      }),
    };
  }

  async start(): Promise<void> {
    await this.opts.node.handle(this.opts.protocol, (stream, connection) => this.onInbound(stream, connection), {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      runOnLimitedConnection: false,
    });
    this.tick = setInterval(() => this.fetcher.tick(), TICK_MS);
    this.rebroadcastTimer = setInterval(() => this.rebroadcast(), this.opts.config.rebroadcast_interval_ms);
    this.tick.unref();
    this.rebroadcastTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    if (this.rebroadcastTimer) clearInterval(this.rebroadcastTimer);
    for (const id of [...this.links.keys()]) this.peerDisconnected(id);
    await this.opts.node.unhandle(this.opts.protocol).catch(() => {});
  }

  /** A peer connected: open a link and tell it what we hold. */
  peerConnected(peer: string): void {
    if (this.links.has(peer)) return;
    const pid = peerIdFromString(peer);
    const link = new PeerLink({
      peer,
      invMaxHashes: this.opts.config.inv_max_hashes,
      invIntervalMs: this.opts.config.inv_interval_ms,
      open: () => this.opts.node.dialProtocol(pid, this.opts.protocol),
      onSent: (type, bytes) => this.count('out', type, bytes),
      onDrop: (type) => this.m.dropped.inc({ type: frameNames[type] ?? 'unknown' }),
      onError: (err) => this.opts.log.debug('flood link error', { peer, err }),
      peerHas: (id) => this.peerHas(toHex(id), peer),
      onInvSkipped: (n) => this.m.invSkipped.inc(n),
    });
    this.links.set(peer, link);
    this.m.links.set(this.links.size);
    for (const [id, key] of this.pendingIds) {
      const tx = this.opts.mempool.get(key);
      if (tx === undefined || this.peerHas(id, peer)) continue;
      link.announce({ id: shortIdOf(tx.hash), feePerOp: feePerOp(tx) });
      this.m.announced.inc({ cause: 'connect' });
    }
  }

  /** A peer left: free everything we kept for it. */
  peerDisconnected(peer: string): void {
    this.links.get(peer)?.close();
    this.links.delete(peer);
    for (const f of this.inbound.get(peer) ?? []) f.abort('peer disconnected');
    this.inbound.delete(peer);
    this.fetcher.peerGone(peer);
    this.fetcher.schedule();
    this.m.links.set(this.links.size);
  }

  /** A tx entered our mempool (from core or a peer): announce it (pull) or push it (push). */
  announce(tx: TxInfo): void {
    const id = pendingShortKey(tx.key);
    this.fetcher.drop(id);
    this.lastAnnounced.set(tx.key, this.clock());
    if (this.claimId(id, tx.key)) this.fanOut(tx, id, 'new');
  }

  /** A tx left our mempool: its short id is remembered a while, so late announcements of it are not fetched. */
  forget(key: string): void {
    this.lastAnnounced.delete(key);
    const id = shortKeyOfKey(key);
    if (this.pendingIds.get(id) !== key) return; // a colliding tx that never held its id: the holder's entries stay
    this.pendingIds.delete(id);
    this.haveFrom.delete(id);
    // From now, whatever generation its body was seen in.
    this.seenBodies.delete(id);
    this.seenBodies.add(id);
  }

  /** A body failed its checks: never fetch its short id again (for a while). */
  rejected(key: string): void {
    const id = shortKeyOfKey(key);
    if (this.holdsOther(id, key)) return; // the id names another tx we hold: nothing of its to forget
    this.rejectedKeys.add(id);
    this.haveFrom.delete(id);
    this.fetcher.drop(id);
  }

  /** Gives `id` to the pending tx `key` unless another pending tx holds it; whether `key` holds it. */
  private claimId(id: string, key: string): boolean {
    const holder = this.pendingIds.get(id);
    if (holder === undefined) this.pendingIds.set(id, key);
    else if (holder !== key) {
      this.m.collisions.inc({ where: 'pending' });
      this.opts.log.debug('short id collision: the first pending tx keeps the id', { id, holder, key });
      return false;
    }
    return true;
  }

  /** Whether a pending tx other than `key` holds the short id `id`. */
  private holdsOther(id: string, key: string): boolean {
    const holder = this.pendingIds.get(id);
    return holder !== undefined && holder !== key;
  }

  private fanOut(tx: TxInfo, id: string, cause: 'new' | 'rebroadcast'): void {
    if (this.links.size === 0) return; // no entry to build (a lone overlay, or core submitting before peers come)
    const push = this.opts.config.mode === 'push' && cause === 'new';
    const entry = { id: shortIdOf(tx.hash), feePerOp: feePerOp(tx) };
    for (const [peer, link] of this.links) {
      if (this.peerHas(id, peer)) continue;
      if (push) {
        link.sendTx(tx.bytes);
        this.m.pushed.inc();
      } else {
        link.announce(entry);
        this.m.announced.inc({ cause });
      }
    }
  }

  /** Announces again the oldest-announced pending txs, within the budget. */
  private rebroadcast(): void {
    const now = this.clock();
    let budget = this.opts.config.rebroadcast_budget;
    for (const [key, at] of this.lastAnnounced) {
      if (budget <= 0 || (now - at) * ANNOUNCE_CLOCK_MS < REBROADCAST_AFTER_MS) break;
      this.lastAnnounced.delete(key);
      const tx = this.opts.mempool.get(key);
      if (tx === undefined) continue;
      this.lastAnnounced.set(key, now);
      // A tx whose id another pending tx held takes it once that one has left.
      const id = pendingShortKey(key);
      if (!this.claimId(id, key)) continue;
      this.fanOut(tx, id, 'rebroadcast');
      budget--;
    }
  }

  private clock(): number {
    return Math.floor((Date.now() - this.epoch) / ANNOUNCE_CLOCK_MS);
  }

  private peerHas(id: string, peer: string): boolean {
    const have = this.haveFrom.peek(id);
    return have === peer || (typeof have === 'object' && have.includes(peer));
  }

  /** Whether a tx is still to be announced or fetched: pending, or not yet banned nor included. */
  private inPlay(key: string): boolean {
    return this.opts.mempool.has(key) || !this.opts.mempool.isBanned(key);
  }

  private notePeerHas(id: string, peer: string): void {
    const have = this.haveFrom.peek(id);
    if (have === undefined) this.haveFrom.set(id, peer);
    else if (typeof have === 'string') {
      if (have !== peer) this.haveFrom.set(id, [have, peer]);
    } else if (!have.includes(peer) && have.length < HAVE_FROM_PEERS) {
      this.haveFrom.set(id, [...have, peer]);
    }
  }

  private onInbound(stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString();
    stream.inactivityTimeout = 0;
    let set = this.inbound.get(peer);
    if (set === undefined) {
      set = new Set();
      this.inbound.set(peer, set);
    }
    // One offence per stream: frames already read behind the bad one are not held against the peer again.
    let violated = false;
    const framed: FramedStream = new FramedStream(stream, MAX_FLOOD_FRAME, {
      onFrame: (type, payload) => {
        if (violated) return;
        this.count('in', type, payload.length);
        try {
          this.onFrame(peer, type, payload);
        } catch (err) {
          violated = true;
          this.misbehaved(peer, err instanceof Error ? err.message : String(err), type in frameNames ? 'malformed_frame' : 'unknown_frame');
          framed.abort('protocol violation');
        }
      },
      onEnd: (err) => {
        this.inbound.get(peer)?.delete(framed);
        // Framing errors are the peer's; transport errors (resets, our own abort) are not misbehaviour.
        if (err instanceof ProtocolError && !violated) {
          violated = true;
          this.misbehaved(peer, err.message, err.code === 'FRAME_TOO_LARGE' ? 'oversized_frame' : 'malformed_frame');
        } else if (err) {
          this.opts.log.debug('flood stream ended', { peer, err });
        }
      },
    });
    set.add(framed);
  }

  private onFrame(peer: string, type: number, payload: Uint8Array): void {
    switch (type) {
      case FloodFrame.INV:
        return this.onInv(peer, payload);
      case FloodFrame.GETDATA:
        return this.onGetData(peer, payload);
      case FloodFrame.TXS:
        return this.onTxs(peer, payload);
      case FloodFrame.NOTFOUND:
        for (const id of decodeIds(payload, 'NOTFOUND')) this.fetcher.notFound(peer, toHex(id));
        this.fetcher.schedule();
        return;
      default:
        throw new Error(`unknown flood frame type ${type}`);
    }
  }

  private onInv(peer: string, payload: Uint8Array): void {
    if (this.fetcher.isCapped(peer)) {
      // Refused whole, in constant time: an INV spammer at its cap must not cost a hash and a lookup per entry
      // (bench-dos: per-entry handling of capped INVs took a core and slowed honest txs ×10–38).
      const entries = invEntriesAtMost(payload);
      this.m.announcements.inc({ outcome: 'capped' }, entries);
      this.misbehaved(peer, `INV beyond the announcement cap: ${entries} entries ignored`, 'inv_over_cap');
      return;
    }
    let capped = 0;
    for (const e of decodeInv(payload)) {
      const id = toHex(e.id);
      const pending = this.pendingIds.has(id);
      if (pending || this.seenBodies.has(id)) {
        // In play: pending, or being checked (its entry was made when it was announced or its body came). A tx
        // that left the pool or failed its checks has none, and gets none.
        if (pending || this.haveFrom.has(id)) this.notePeerHas(id, peer);
        this.m.announcements.inc({ outcome: 'known' });
        continue;
      }
      if (this.rejectedKeys.has(id)) {
        this.m.announcements.inc({ outcome: 'rejected' });
        continue;
      }
      const outcome = this.fetcher.announced(peer, e.id, id, e.feePerOp);
      if (outcome === 'new' || outcome === 'added') this.notePeerHas(id, peer);
      if (outcome === 'capped') capped++;
      this.m.announcements.inc({ outcome });
    }
    if (capped > 0) this.misbehaved(peer, `INV beyond the announcement cap: ${capped} entries ignored`, 'inv_over_cap');
    this.fetcher.schedule();
  }

  private onGetData(peer: string, payload: Uint8Array): void {
    const link = this.links.get(peer);
    if (link === undefined) return;
    const ids = decodeIds(payload, 'GETDATA');
    if (this.opts.allowGetData && !this.opts.allowGetData(peer, ids.length)) {
      this.m.served.inc({ outcome: 'rate_limited' }, ids.length);
      this.misbehaved(peer, `GETDATA beyond the peer's rate: ${ids.length} hashes refused`, 'getdata_flood');
      return;
    }
    for (const raw of ids) {
      const id = toHex(raw);
      const key = this.pendingIds.get(id);
      const tx = key === undefined ? undefined : this.opts.mempool.get(key);
      if (tx === undefined) {
        link.notHave(Uint8Array.prototype.slice.call(raw));
        this.m.served.inc({ outcome: 'notfound' });
      } else {
        link.sendTx(tx.bytes);
        this.notePeerHas(id, peer);
        this.m.served.inc({ outcome: 'sent' });
      }
    }
  }

  private onTxs(peer: string, payload: Uint8Array): void {
    for (const body of decodeTxs(payload, this.opts.maxTxBytes)) {
      // The full hash, from the body itself: its short id says which request this answers.
      const hash = createHash('sha256').update(body).digest();
      const key = hash.toString('hex');
      const id = shortKeyOf(hash);
      if (this.holdsOther(id, key)) {
        // Not the tx its id names here (we never ask for an id we hold): the first keeps the id.
        this.m.collisions.inc({ where: 'body' });
        continue;
      }
      if (this.inPlay(key)) this.notePeerHas(id, peer);
      if (!this.seenBodies.add(id) || this.opts.mempool.has(key) || this.opts.mempool.isBanned(key)) {
        this.fetcher.received(id, peer); // measures a late reply, if it is one
        this.m.bodies.inc({ kind: 'duplicate' });
        continue;
      }
      const solicited = this.fetcher.received(id, peer);
      if (!solicited && this.opts.config.mode === 'pull' && this.opts.allowUnsolicited?.(peer) === false) {
        // Not checked, so not seen: an announcer may still bring it.
        this.seenBodies.delete(id);
        this.m.bodies.inc({ kind: 'unsolicited_dropped' });
        continue;
      }
      this.m.bodies.inc({ kind: solicited ? 'new' : 'unsolicited' });
      if (this.rejectedKeys.has(id)) continue;
      this.opts.accept(Uint8Array.prototype.slice.call(body), peer);
    }
    this.fetcher.schedule();
  }

  private misbehaved(peer: string, reason: string, kind: FloodOffence): void {
    const short = reason.split(':')[0]!.slice(0, 48);
    this.m.violations.inc({ reason: short });
    this.opts.log.debug('flood protocol violation', { peer, reason, kind });
    this.opts.onMisbehave?.(peer, reason, kind);
  }

  private count(dir: 'in' | 'out', type: number, bytes: number): void {
    const t = frameNames[type] ?? 'unknown';
    this.m.frames.inc({ dir, type: t });
    this.m.bytes.inc({ dir, type: t }, bytes + 8);
  }
}

/** Fee per operation, rounded down (what an INV entry carries). */
export function feePerOp(tx: { fee: bigint; ops: number }): bigint {
  return tx.fee / BigInt(tx.ops);
}
