// Announce-then-pull bookkeeping: which peers announced which tx we lack, which one we asked, and when to ask
// another. One announcer is asked at a time, highest fee first; after `timeoutMs` (or a NOTFOUND, or the peer
// leaving) a different announcer is chosen at random among the untried; after `giveUpMs` the hash is forgotten.
// Pure logic: the flood layer feeds it events and sends the GETDATAs it asks for.

export interface FetcherOptions {
  timeoutMs: number;
  giveUpMs: number;
  maxAnnouncementsPerPeer: number;
  maxInflightPerPeer: number;
  /** All hashes tracked at once, across peers. */
  maxWanted: number;
  /** Queue a GETDATA for `hash` to `peer`. */
  request(peer: string, hash: Uint8Array): void;
  now?: () => number;
  random?: () => number;
}

interface Wanted {
  hash: Uint8Array;
  key: string;
  feePerOp: bigint;
  firstSeen: number;
  /** Every peer that announced it (each counts against that peer's announcement cap). */
  announcers: string[];
  tried: Set<string>;
  /** The peer asked now, if any. */
  asked: string | null;
  askedAt: number;
}

interface PeerState {
  /** Keys this peer announced that we still want. */
  announced: Set<string>;
  /** Keys requested from this peer and not yet answered. */
  inflight: Set<string>;
}

export type AnnounceOutcome = 'new' | 'added' | 'repeat' | 'capped' | 'full';

export class TxFetcher {
  private readonly opts: FetcherOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Insertion order = first-seen order: give-ups walk from the front. */
  private readonly wanted = new Map<string, Wanted>();
  /** Requests in flight, in the order they were sent: timeouts walk from the front. */
  private readonly asked = new Map<string, number>();
  /** Hashes waiting for an announcer to be asked. */
  private readonly ready = new Set<string>();
  private readonly peers = new Map<string, PeerState>();
  timeouts = 0;
  giveUps = 0;

  constructor(opts: FetcherOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  get size(): number {
    return this.wanted.size;
  }

  get inflight(): number {
    return this.asked.size;
  }

  has(key: string): boolean {
    return this.wanted.has(key);
  }

  /** `peer` announced a tx we do not have. `hash` may be a view: it is copied when kept. */
  announced(peer: string, hash: Uint8Array, key: string, feePerOp: bigint): AnnounceOutcome {
    const ps = this.peer(peer);
    let w = this.wanted.get(key);
    if (w?.announcers.includes(peer)) return 'repeat';
    if (ps.announced.size >= this.opts.maxAnnouncementsPerPeer) return 'capped';
    if (w === undefined) {
      if (this.wanted.size >= this.opts.maxWanted) return 'full';
      w = { hash: Uint8Array.prototype.slice.call(hash), key, feePerOp, firstSeen: this.now(), announcers: [], tried: new Set(), asked: null, askedAt: 0 };
      this.wanted.set(key, w);
    } else if (feePerOp > w.feePerOp) {
      w.feePerOp = feePerOp;
    }
    w.announcers.push(peer);
    ps.announced.add(key);
    if (w.asked === null) this.ready.add(key);
    return w.announcers.length === 1 ? 'new' : 'added';
  }

  /** A body for `key` arrived (from anyone). Returns whether we had asked `from` for it. */
  received(key: string, from: string): boolean {
    const w = this.wanted.get(key);
    if (w === undefined) return false;
    const solicited = w.asked === from;
    this.forget(w);
    return solicited;
  }

  /** We no longer need `key` (it reached the mempool another way). */
  drop(key: string): void {
    const w = this.wanted.get(key);
    if (w) this.forget(w);
  }

  notFound(peer: string, key: string): void {
    const w = this.wanted.get(key);
    if (w === undefined || w.asked !== peer) return;
    this.unask(w);
    this.ready.add(key);
  }

  peerGone(peer: string): void {
    const ps = this.peers.get(peer);
    if (ps === undefined) return;
    this.peers.delete(peer);
    for (const key of ps.announced) {
      const w = this.wanted.get(key);
      if (w === undefined) continue;
      w.announcers = w.announcers.filter((p) => p !== peer);
      w.tried.delete(peer);
      if (w.asked === peer) {
        w.asked = null;
        this.asked.delete(key);
      }
      // Nobody else announced it: forget it now, so peers that come and go cannot fill the table with hashes
      // only they knew (it comes back if someone announces it again).
      if (w.announcers.length === 0) this.forget(w);
      else if (w.asked === null) this.ready.add(key);
    }
  }

  /** Housekeeping: expire requests and hashes, then ask. */
  tick(): void {
    const now = this.now();
    for (const [key, at] of this.asked) {
      if (now - at < this.opts.timeoutMs) break;
      const w = this.wanted.get(key)!;
      this.timeouts++;
      this.unask(w);
      this.ready.add(key);
    }
    for (const w of this.wanted.values()) {
      if (now - w.firstSeen < this.opts.giveUpMs) break;
      this.giveUps++;
      this.forget(w);
    }
    this.schedule();
  }

  /** Asks an untried announcer for each ready hash, highest fee per operation first, within per-peer caps. */
  schedule(): void {
    if (this.ready.size === 0) return;
    const ready = [...this.ready].map((k) => this.wanted.get(k)!);
    ready.sort((a, b) => (a.feePerOp > b.feePerOp ? -1 : a.feePerOp < b.feePerOp ? 1 : 0));
    const now = this.now();
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
      w.asked = peer;
      w.askedAt = now;
      w.tried.add(peer);
      this.asked.set(w.key, now);
      this.peers.get(peer)!.inflight.add(w.key);
      this.ready.delete(w.key);
      this.opts.request(peer, w.hash);
    }
  }

  private peer(id: string): PeerState {
    let ps = this.peers.get(id);
    if (ps === undefined) {
      ps = { announced: new Set(), inflight: new Set() };
      this.peers.set(id, ps);
    }
    return ps;
  }

  private unask(w: Wanted): void {
    if (w.asked === null) return;
    this.peers.get(w.asked)?.inflight.delete(w.key);
    this.asked.delete(w.key);
    w.asked = null;
  }

  private forget(w: Wanted): void {
    this.unask(w);
    for (const p of w.announcers) this.peers.get(p)?.announced.delete(w.key);
    this.wanted.delete(w.key);
    this.ready.delete(w.key);
  }
}
