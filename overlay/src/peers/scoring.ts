// Misbehaviour scores of peers, and the ban that follows. Each offence a peer commits on our peer protocols
// (malformed or oversized frames, unknown frame types, announcements beyond the caps, GETDATA beyond its rate, tx
// bodies with bad signatures or XDR, SCP envelopes that do not decode or verify, tx-set / quorum-set replies that
// are not what was asked) adds its weight to the peer's score; the score halves every `halfLifeMs`. Past
// `threshold` the peer's node key is banned for `banMs` through the BanList (whose 'banned' listeners hang up on
// it) and the peer is disconnected.
//
// Weights are ours, chosen so that a peer that is merely slow or unlucky never reaches the threshold while a
// hostile one does within a handful of frames (see docs/security.md). With the default threshold of 100, offences
// in quick succession (decay is 1 % per second) ban as follows:
//  - oversized frames and lying replies weigh 60: the 2nd is a ban;
//  - malformed frames and unknown frame types weigh 30: the 4th is a ban;
//  - bad tx bodies weigh 11: the 10th is a ban (honest overlays check signatures before flooding);
//  - bad SCP envelopes weigh 30: the 4th is a ban (honest overlays verify every envelope before relaying it, SCP is
//    a few envelopes per validator per ledger, and each bad one costs a signature check on our main thread);
//  - INV beyond the announcement cap weighs 0.1 per frame: an honest peer announcing its whole mempool on connect
//    (100,000 txs = 100 frames) adds 10, a spammer at wire speed is banned within a second;
//  - GETDATA beyond the per-peer rate weighs 2 per frame refused (an honest peer catching up may brush the limit).
// One map entry per peer, bounded (least recently reported forgotten first). Also here: PeerRateLimiter, the
// per-peer token bucket that caps the GETDATA hashes we serve.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TxReasonName } from '#ipc-protocol';
import { DEFAULTS } from '../config/defaults.ts';
import { LruMap } from '../util/bounded.ts';
import type { Logger } from '../util/log.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: what each offence adds to a peer's score (threshold 100 by default). */
export const OFFENCE_WEIGHTS = {
  /** A frame that does not decode: bad counts, truncation, trailing bytes, a request that is not a hash. */
  malformed_frame: 30,
  /** A frame announcing more than the protocol allows (framing is lost; the stream is closed). */
  oversized_frame: 60,
  /** A frame type the protocol does not have. */
  unknown_frame: 30,
  /** An INV frame with entries beyond the per-peer announcement cap (go-ethereum's 4096). */
  inv_over_cap: 0.1,
  /** A GETDATA frame refused because the peer asked beyond its rate. */
  getdata_flood: 2,
  /** A tx body from the peer with a bad signature, XDR that does not decode, or for another network. */
  bad_tx: 11,
  /**
   * An SCP envelope from the peer (gossip or SCP state) that does not decode or whose signature does not verify.
   * Not duplicates or old envelopes: those are relayed by honest peers all the time.
   */
  bad_envelope: 30,
  /** A tx-set or quorum-set reply that does not decode or does not hash to what was asked. */
  lying_reply: 60,
} as const;

export type OffenceKind = keyof typeof OFFENCE_WEIGHTS;
export const OFFENCE_KINDS = Object.keys(OFFENCE_WEIGHTS) as OffenceKind[];

/**
 * Tx rejections that are a peer's fault (scored as bad_tx): an honest overlay decodes and verifies a tx before it
 * announces it. Not FEE_TOO_LOW, TOO_LARGE or the mempool's verdicts, which depend on our config and state.
 */
export const PEER_FAULT_TX_REASONS: ReadonlySet<TxReasonName> = new Set(['MALFORMED_XDR', 'BAD_SIGNATURE', 'WRONG_NETWORK']);

/** Peers whose score is remembered; the least recently reported is forgotten first. */
export const MAX_SCORED_PEERS = DEFAULTS.scoreMaxPeers;
/** Ours: a ban reason names the score and the last offence; BanList keeps 256 characters. */
const MAX_DETAIL_CHARS = 120;

export interface PeerScorerOptions {
  /** Score at which the peer is banned. */
  threshold: number;
  /** The score halves every this many ms. */
  halfLifeMs: number;
  /** How long a ban lasts. */
  banMs: number;
  /** Default MAX_SCORED_PEERS. */
  maxPeers?: number;
  /** The node key (G...) of a peer id string, undefined when it has none (then it is only disconnected). */
  keyOf(peer: string): string | undefined;
  /** Bans a node key (BanList.ban); a returned promise that rejects is logged. */
  ban(key: string, opts: { durationMs: number; reason: string }): unknown;
  /**
   * Whether a node key is banned already (BanList.isBanned). Offences its peer commits meanwhile (the rest of a
   * frame that was being checked when the ban came) are counted but not scored: no second ban, no rewrite of the
   * ban file, and the first ban's reason and expiry stand. Default: never.
   */
  isBanned?(key: string): boolean;
  /** Closes our connections to the peer. */
  disconnect(peer: string): void;
  log: Logger;
  registry: Registry;
  /** Clock, ms (tests). */
  now?: () => number;
}

interface Score {
  value: number;
  /** When `value` was last brought up to date. */
  at: number;
}

export class PeerScorer {
  readonly threshold: number;
  private readonly opts: PeerScorerOptions;
  private readonly scores: LruMap<string, Score>;
  private readonly now: () => number;
  private readonly metrics;

  constructor(opts: PeerScorerOptions) {
    if (!(opts.threshold > 0)) throw new RangeError('threshold must be positive');
    if (!(opts.halfLifeMs > 0)) throw new RangeError('halfLifeMs must be positive');
    if (!(opts.banMs > 0)) throw new RangeError('banMs must be positive');
    this.opts = opts;
    this.threshold = opts.threshold;
    this.scores = new LruMap(opts.maxPeers ?? MAX_SCORED_PEERS);
    this.now = opts.now ?? Date.now;
    const registers = [opts.registry];
    const scores = this.scores;
    this.metrics = {
      offences: new Counter({
        name: 'overlay_peer_misbehaviour_total',
        help: 'Offences of peers on the peer protocols, by kind',
        labelNames: ['kind'] as const,
        registers,
      }),
      whileBanned: new Counter({
        name: 'overlay_peer_misbehaviour_while_banned_total',
        help: 'Offences by peers whose node key was banned already (work in flight when the ban came): counted, not scored',
        labelNames: ['kind'] as const,
        registers,
      }),
      bans: new Counter({ name: 'overlay_peer_score_bans_total', help: 'Peers banned because their misbehaviour score passed the threshold', registers }),
      tracked: new Gauge({ name: 'overlay_peer_scores', help: 'Peers with a misbehaviour score remembered', registers, collect() { this.set(scores.size); } }),
      evicted: new Gauge({
        name: 'overlay_peer_scores_evicted',
        help: `Scores forgotten because ${scores.maxEntries} peers were tracked (since start)`,
        registers,
        collect() { this.set(scores.evictions); },
      }),
    };
  }

  /** The peer's score now (0 if unknown). */
  score(peer: string): number {
    const s = this.scores.peek(peer);
    return s === undefined ? 0 : this.decayed(s, this.now());
  }

  /** Peers with a score remembered. */
  get size(): number {
    return this.scores.size;
  }

  /**
   * `peer` committed an offence of `kind` (`count` times). Returns its new score; past the threshold the peer is
   * banned and disconnected, and its score starts again from zero.
   */
  report(peer: string, kind: OffenceKind, detail = '', count = 1): number {
    this.metrics.offences.inc({ kind }, count);
    if (this.opts.isBanned !== undefined) {
      const key = this.opts.keyOf(peer);
      if (key !== undefined && this.opts.isBanned(key)) {
        this.metrics.whileBanned.inc({ kind }, count);
        return 0;
      }
    }
    const now = this.now();
    const s = this.scores.get(peer);
    const value = (s === undefined ? 0 : this.decayed(s, now)) + OFFENCE_WEIGHTS[kind] * count;
    // (Sums of fractional weights land a hair under a round threshold: 1000 × 0.1 is 99.9999….)
    if (value < this.threshold - 1e-9) {
      this.scores.set(peer, { value, at: now });
      this.opts.log.debug('peer misbehaved', { peer, kind, detail, score: round(value) });
      return value;
    }
    this.scores.delete(peer);
    this.punish(peer, kind, detail, value);
    return value;
  }

  private punish(peer: string, kind: OffenceKind, detail: string, value: number): void {
    const key = this.opts.keyOf(peer);
    const reason = `misbehaviour score ${round(value)} ≥ ${this.threshold}; last: ${kind}${detail ? ` (${detail.slice(0, MAX_DETAIL_CHARS)})` : ''}`;
    this.metrics.bans.inc();
    this.opts.log.warn('banning misbehaving peer', { peer, key, kind, detail, score: round(value), banMs: this.opts.banMs });
    if (key !== undefined) {
      try {
        const r = this.opts.ban(key, { durationMs: this.opts.banMs, reason });
        if (r instanceof Promise) r.catch((err: unknown) => this.opts.log.error('cannot persist a misbehaviour ban', { key, err }));
      } catch (err) {
        this.opts.log.error('cannot ban a misbehaving peer', { key, err });
      }
    }
    this.opts.disconnect(peer);
  }

  private decayed(s: Score, now: number): number {
    const dt = Math.max(0, now - s.at);
    return s.value * 2 ** (-dt / this.opts.halfLifeMs);
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

// ---- per-peer rate ----------------------------------------------------------------------------------------------

export interface PeerRateLimiterOptions {
  /** Tokens added per second. */
  perSec: number;
  /** Bucket size (tokens a fresh or idle peer may spend at once). */
  burst: number;
  /** Default MAX_SCORED_PEERS. */
  maxPeers?: number;
  /** With `registry`: the gauge overlay_<name>_limiter_peers counts the peers tracked. */
  name?: string;
  registry?: Registry;
  /** Clock, ms (tests). */
  now?: () => number;
}

/**
 * A token bucket per peer, in a bounded map (least recently used forgotten first; a forgotten peer starts again
 * with a full bucket, which an attacker cycling through 10,000 identities could use — each needs a connection
 * past the gater and its per-IP limit).
 */
export class PeerRateLimiter {
  private readonly opts: PeerRateLimiterOptions;
  private readonly buckets: LruMap<string, Score>;
  private readonly now: () => number;

  constructor(opts: PeerRateLimiterOptions) {
    if (!(opts.perSec > 0) || !(opts.burst >= 1)) throw new RangeError('perSec must be positive and burst at least 1');
    this.opts = opts;
    this.buckets = new LruMap(opts.maxPeers ?? MAX_SCORED_PEERS);
    this.now = opts.now ?? (() => performance.now());
    if (opts.registry && opts.name) {
      const buckets = this.buckets;
      new Gauge({
        name: `overlay_${opts.name}_limiter_peers`,
        help: `Peers tracked by the ${opts.name} rate limiter (at most ${buckets.maxEntries}, least recently used forgotten first)`,
        registers: [opts.registry],
        collect() { this.set(buckets.size); },
      });
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes `n` tokens from the peer's bucket; false (nothing taken) when it holds fewer. */
  take(peer: string, n: number): boolean {
    const now = this.now();
    const b = this.buckets.get(peer);
    const tokens = b === undefined ? this.opts.burst : Math.min(this.opts.burst, b.value + ((now - b.at) * this.opts.perSec) / 1000);
    const ok = tokens >= n;
    this.buckets.set(peer, { value: ok ? tokens - n : tokens, at: now });
    return ok;
  }

  forget(peer: string): void {
    this.buckets.delete(peer);
  }
}
