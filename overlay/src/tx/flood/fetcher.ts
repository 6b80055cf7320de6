// Announce-then-pull bookkeeping: which peers announced which tx we lack, which one we asked, and when to ask
// another. Txs are named as on the wire, by short id (short-id.ts), and keyed by its hex. One announcer is asked at a time, highest fee first; when that peer's request timeout passes (or on a
// NOTFOUND, or the peer leaving) a different announcer is chosen at random among the untried; after `giveUpMs` the
// hash is forgotten. Pure logic: the flood layer feeds it events and sends the GETDATAs it asks for.
//
// The request timeout is per peer and adaptive (request-timeout.ts): at least `timeoutMs` (Overlay V2's fixed 1 s,
// also the value before a peer's first reply), more for a peer whose replies have been slow or irregular, at most
// `maxTimeoutMs`. A deviation from V2's fixed 1 s, because under load replies past 1 s made us ask a second announcer
// and receive both bodies. A reply after its timeout still counts: it is measured, the body is taken as asked for
// (no penalty), and any request for the same hash we had queued to another peer but not yet sent is withdrawn.
// Our own stalls do not count against a peer: with `tickMs` given, time between two ticks beyond two tick periods
// (the process starved of CPU, a long GC) is left out of request ages, for the reply may be sitting unread in our
// socket while the timer fires first; the request → reply times fed to the estimator leave it out too.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { RequestTimeout } from './request-timeout.ts';

/** Request → reply times, 5 ms to 10 s (loopback at rest to a stalled peer). */
const REPLY_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10];

export interface FetcherOptions {
  /** The shortest per-peer request timeout, and a peer's timeout before its first reply. */
  timeoutMs: number;
  /** The longest per-peer request timeout (config flood.getdata_timeout_max_ms). Default `timeoutMs`: fixed. */
  maxTimeoutMs?: number;
  giveUpMs: number;
  maxAnnouncementsPerPeer: number;
  /** Requests in flight to one peer; also the bound on its timed-out requests still awaiting a late reply. */
  maxInflightPerPeer: number;
  /** All hashes tracked at once, across peers. */
  maxWanted: number;
  /** How often the caller calls tick(); given, our own stalls beyond 2 ticks do not age requests (see above). */
  tickMs?: number;
  /** Queue a GETDATA for the short id `id` to `peer`. */
  request(peer: string, id: Uint8Array): void;
  /** Withdraw a GETDATA queued by request() (the same `id` array) if not sent yet; true if it was withdrawn. */
  cancel?(peer: string, id: Uint8Array): boolean;
  registry?: Registry;
  now?: () => number;
  random?: () => number;
}

interface Wanted {
  /** The short id (owned), as sent in GETDATA. */
  id: Uint8Array;
  /** Its hex: the key of every table here. */
  key: string;
  feePerOp: bigint;
  firstSeen: number;
  /** Every peer that announced it (each counts against that peer's announcement cap). */
  announcers: string[];
  tried: Set<string>;
  /** The peer asked now, if any. */
  asked: string | null;
}

/** When a request was made: wall-clock time, and request-clock time (wall clock less our own stalls). */
interface AskedAt {
  at: number;
  clock: number;
}

interface PeerState {
  /** Keys this peer announced that we still want. */
  announced: Set<string>;
  /** Requests to this peer not yet answered nor timed out, in the order sent. */
  inflight: Map<string, AskedAt>;
  /** Requests to this peer that timed out unanswered, oldest first (for late replies). */
  expired: Map<string, AskedAt>;
  timeout: RequestTimeout;
}

export type AnnounceOutcome = 'new' | 'added' | 'repeat' | 'capped' | 'full';

export class TxFetcher {
  private readonly opts: FetcherOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxTimeoutMs: number;
  /** The most the request clock moves between two ticks. */
  private readonly maxStepMs: number;
  /** The request clock at the last tick, and the wall clock then. */
  private clockAtTick = 0;
  private lastTickAt: number;
  /** Wall-clock time left off the request clock (our own stalls), ms. */
  stalledMs = 0;
  /** Insertion order = first-seen order: give-ups walk from the front. */
  private readonly wanted = new Map<string, Wanted>();
  /** Hashes waiting for an announcer to be asked. */
  private readonly ready = new Set<string>();
  private readonly peers = new Map<string, PeerState>();
  private inflightCount = 0;
  timeouts = 0;
  giveUps = 0;
  lateReplies = 0;
  cancelled = 0;
  private readonly m;

  constructor(opts: FetcherOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.maxTimeoutMs = opts.maxTimeoutMs ?? opts.timeoutMs;
    this.maxStepMs = opts.tickMs === undefined ? Infinity : 2 * opts.tickMs;
    this.lastTickAt = this.now();
    this.m = this.metrics(opts.registry);
  }

  get size(): number {
    return this.wanted.size;
  }

  get inflight(): number {
    return this.inflightCount;
  }

  has(key: string): boolean {
    return this.wanted.has(key);
  }

  /** `peer`'s request timeout now (the floor for a peer not seen yet). */
  timeoutOf(peer: string): number {
    return this.peers.get(peer)?.timeout.timeoutMs ?? this.opts.timeoutMs;
  }

  /** Whether `peer` has as many announcements outstanding as it may: anything more it announces is ignored. */
  isCapped(peer: string): boolean {
    const ps = this.peers.get(peer);
    return ps !== undefined && ps.announced.size >= this.opts.maxAnnouncementsPerPeer;
  }

  /** `peer` announced a tx we do not have, by short id `id` (hex `key`). `id` may be a view: it is copied when kept. */
  announced(peer: string, id: Uint8Array, key: string, feePerOp: bigint): AnnounceOutcome {
    const ps = this.peer(peer);
    let w = this.wanted.get(key);
    if (w?.announcers.includes(peer)) return 'repeat';
    if (ps.announced.size >= this.opts.maxAnnouncementsPerPeer) return 'capped';
    if (w === undefined) {
      if (this.wanted.size >= this.opts.maxWanted) return 'full';
      w = { id: Uint8Array.prototype.slice.call(id), key, feePerOp, firstSeen: this.now(), announcers: [], tried: new Set(), asked: null };
      this.wanted.set(key, w);
    } else if (feePerOp > w.feePerOp) {
      w.feePerOp = feePerOp;
    }
    w.announcers.push(peer);
    ps.announced.add(key);
    if (w.asked === null) this.ready.add(key);
    return w.announcers.length === 1 ? 'new' : 'added';
  }

  /**
   * A body for `key` arrived from `from` (first copy or not). Returns whether we had asked `from` for it, including
   * a request that timed out (a late reply counts as received).
   */
  received(key: string, from: string): boolean {
    const asked = this.replied(from, key, 'body');
    const w = this.wanted.get(key);
    if (w !== undefined) this.forget(w, from);
    return asked;
  }

  /** We no longer need `key` (it reached the mempool another way). */
  drop(key: string): void {
    const w = this.wanted.get(key);
    if (w) this.forget(w, null);
  }

  notFound(peer: string, key: string): void {
    this.replied(peer, key, 'notfound');
    const w = this.wanted.get(key);
    if (w === undefined || w.asked !== peer) return;
    this.unask(w);
    this.ready.add(key);
  }

  peerGone(peer: string): void {
    const ps = this.peers.get(peer);
    if (ps === undefined) return;
    this.peers.delete(peer);
    this.inflightCount -= ps.inflight.size;
    for (const key of ps.announced) {
      const w = this.wanted.get(key);
      if (w === undefined) continue;
      w.announcers = w.announcers.filter((p) => p !== peer);
      w.tried.delete(peer);
      if (w.asked === peer) w.asked = null;
      // Nobody else announced it: forget it now, so peers that come and go cannot fill the table with hashes
      // only they knew (it comes back if someone announces it again).
      if (w.announcers.length === 0) this.forget(w, null);
      else if (w.asked === null) this.ready.add(key);
    }
  }

  /** Housekeeping: expire requests (each peer by its own timeout) and hashes, then ask. */
  tick(): void {
    const now = this.now();
    const clock = this.clock(now);
    this.stalledMs += Math.max(0, now - this.lastTickAt - (clock - this.clockAtTick));
    this.clockAtTick = clock;
    this.lastTickAt = now;
    for (const ps of this.peers.values()) {
      const limit = ps.timeout.timeoutMs;
      // Sent in order and measured against one limit: the first not yet due ends the walk.
      for (const [key, asked] of ps.inflight) {
        if (clock - asked.clock < limit) break;
        this.timeouts++;
        this.unask(this.wanted.get(key)!);
        this.awaitLate(ps, key, asked);
        this.ready.add(key);
      }
      for (const [key, asked] of ps.expired) {
        if (now - asked.at < this.opts.giveUpMs) break;
        ps.expired.delete(key);
      }
    }
    for (const w of this.wanted.values()) {
      if (now - w.firstSeen < this.opts.giveUpMs) break;
      this.giveUps++;
      this.forget(w, null);
    }
    this.schedule();
  }

  /** Asks an untried announcer for each ready hash, highest fee per operation first, within per-peer caps. */
  schedule(): void {
    if (this.ready.size === 0) return;
    const ready = [...this.ready].map((k) => this.wanted.get(k)!);
    ready.sort((a, b) => (a.feePerOp > b.feePerOp ? -1 : a.feePerOp < b.feePerOp ? 1 : 0));
    const now = this.now();
    const asked: AskedAt = { at: now, clock: this.clock(now) };
    for (const w of ready) {
      const candidates = w.announcers.filter(
        (p) => !w.tried.has(p) && this.peers.get(p)!.inflight.size < this.opts.maxInflightPerPeer,
      );
      if (candidates.length === 0) {
        // Everyone was tried: wait for a new announcer (or give up). Busy announcers: try again next pass.
        if (w.announcers.every((p) => w.tried.has(p))) this.ready.delete(w.key);
        continue;
      }
      const peer = candidates[Math.floor(this.random() * candidates.length)]!;
      const ps = this.peers.get(peer)!;
      w.asked = peer;
      w.tried.add(peer);
      ps.inflight.set(w.key, asked);
      ps.expired.delete(w.key);
      this.inflightCount++;
      this.ready.delete(w.key);
      this.opts.request(peer, w.id);
    }
  }

  private peer(id: string): PeerState {
    let ps = this.peers.get(id);
    if (ps === undefined) {
      ps = {
        announced: new Set(),
        inflight: new Map(),
        expired: new Map(),
        timeout: new RequestTimeout({ floorMs: this.opts.timeoutMs, capMs: this.maxTimeoutMs }),
      };
      this.peers.set(id, ps);
    }
    return ps;
  }

  /** The request clock now: the wall clock less our own stalls, as of the last tick plus at most one step since. */
  private clock(now: number): number {
    return this.clockAtTick + Math.min(Math.max(0, now - this.lastTickAt), this.maxStepMs);
  }

  /** `peer` answered a request for `key` (in time or late): measures it. Returns whether we had asked. */
  private replied(peer: string, key: string, kind: 'body' | 'notfound'): boolean {
    const ps = this.peers.get(peer);
    if (ps === undefined) return false;
    let asked = ps.inflight.get(key);
    if (asked === undefined) {
      asked = ps.expired.get(key);
      if (asked === undefined) return false;
      ps.expired.delete(key);
      this.lateReplies++;
      this.m.late.inc({ kind });
    }
    const now = this.now();
    ps.timeout.sample(this.clock(now) - asked.clock);
    this.m.reply.observe((now - asked.at) / 1000);
    return true;
  }

  /** Remembers a timed-out request so a late reply is recognised; bounded per peer, oldest dropped first. */
  private awaitLate(ps: PeerState, key: string, asked: AskedAt): void {
    ps.expired.delete(key);
    ps.expired.set(key, asked);
    if (ps.expired.size > this.opts.maxInflightPerPeer) ps.expired.delete(ps.expired.keys().next().value!);
  }

  private unask(w: Wanted): void {
    if (w.asked === null) return;
    if (this.peers.get(w.asked)?.inflight.delete(w.key)) this.inflightCount--;
    w.asked = null;
  }

  /** Stops tracking `w`; a request for it still queued to a peer other than `from` is withdrawn. */
  private forget(w: Wanted, from: string | null): void {
    if (w.asked !== null && w.asked !== from && this.opts.cancel?.(w.asked, w.id)) {
      this.cancelled++;
      this.m.cancelled.inc();
    }
    this.unask(w);
    for (const p of w.announcers) this.peers.get(p)?.announced.delete(w.key);
    this.wanted.delete(w.key);
    this.ready.delete(w.key);
  }

  private metrics(registry: Registry | undefined) {
    const registers = registry ? [registry] : [];
    const fetcher = this;
    const peers = this.peers;
    const floor = this.opts.timeoutMs;
    return {
      reply: new Histogram({
        name: 'overlay_flood_getdata_reply_seconds',
        help: 'GETDATA request to reply (body or NOTFOUND, late ones included), per hash',
        buckets: REPLY_SECONDS_BUCKETS,
        registers,
      }),
      late: new Counter({
        name: 'overlay_flood_getdata_late_replies_total',
        help: 'Replies to GETDATA requests that had timed out (counted as received, measured)',
        labelNames: ['kind'] as const,
        registers,
      }),
      stalled: new Gauge({
        name: 'overlay_flood_getdata_stalled_seconds',
        help: 'Our own event-loop stalls (gaps between fetcher ticks beyond two periods) not counted against peers (since start)',
        registers,
        collect() {
          this.set(fetcher.stalledMs / 1000);
        },
      }),
      cancelled: new Counter({
        name: 'overlay_flood_getdata_cancelled_total',
        help: 'GETDATA requests withdrawn before they were sent: the body came another way',
        registers,
      }),
      timeout: new Gauge({
        name: 'overlay_flood_getdata_timeout_seconds',
        help: 'Per-peer GETDATA timeouts now, over the peers that announced to us: min, mean, max',
        labelNames: ['stat'] as const,
        registers,
        collect() {
          let min = Infinity;
          let max = 0;
          let sum = 0;
          for (const ps of peers.values()) {
            const t = ps.timeout.timeoutMs;
            min = Math.min(min, t);
            max = Math.max(max, t);
            sum += t;
          }
          if (peers.size === 0) min = max = sum = floor;
          this.set({ stat: 'min' }, min / 1000);
          this.set({ stat: 'mean' }, sum / Math.max(1, peers.size) / 1000);
          this.set({ stat: 'max' }, max / 1000);
        },
      }),
      awaitingLate: new Gauge({
        name: 'overlay_flood_getdata_awaiting_late',
        help: 'Timed-out GETDATA requests remembered for a late reply (bounded per peer by max_inflight_per_peer)',
        registers,
        collect() {
          let n = 0;
          for (const ps of peers.values()) n += ps.expired.size;
          this.set(n);
        },
      }),
    };
  }
}
