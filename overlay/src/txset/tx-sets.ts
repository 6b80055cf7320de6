// Tx sets by hash, for SCP: the ledger-window cache of the sets core built or handed us (and those we fetched),
// served to peers on the tx-set protocol, and fetched from peers on core's request — first from peers whose SCP
// envelopes named the hash, then from the others, one at a time with a per-peer timeout, in rounds (as
// stellar-core's fetcher does: a peer may get the set a moment after naming it) until an overall deadline.
import type { PeerId, Stream } from '@libp2p/interface';
import { Counter, type Registry } from 'prom-client';
import type { OverlayNode } from '../p2p/node.ts';
import { ProtocolError } from '#ipc-protocol';
import { FramedStream } from '../p2p/framed-stream.ts';
import { PeerHints } from '../p2p/peer-hints.ts';
import { request } from '../p2p/request.ts';
import { toHex } from '../util/bytes.ts';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { shuffled } from '../util/random.ts';
import type { TxSetCache } from './cache.ts';
import { checkTxSetHash, txsOfTxSet } from './decode.ts';

export const TxSetWire = { REQUEST: 1, TX_SET: 2, DONT_HAVE: 3 } as const;
/**
 * stellar-core MAX_MESSAGE_SIZE (16 MiB): core ships a tx set to its peers in one StellarMessage, so no set core
 * accepts is larger (its own cap, MAX_TX_SET_ALLOWANCE, is 10 MiB). A bigger answer is a hostile peer's.
 */
const MAX_TXSET_BYTES = 16 * 1024 * 1024;
/** Ours: a request is one 32-byte hash. */
const MAX_REQUEST_BYTES = 64;
const HASH_BYTES = 32;
/** Ours: concurrent requests a peer may have open with us (a few slots in flight at once, plus catch-up). */
const MAX_INBOUND_STREAMS = 16;
/** stellar-core Tracker: after asking every peer, wait 1.5 s × rounds so far (at most 10) before asking again. */
const MAX_ROUND_BACKOFF = 10;

export interface TxSetsOptions {
  node: OverlayNode;
  protocol: string;
  cache: TxSetCache;
  /** Config tx_sets.peer_timeout_ms (stellar-core: 1.5 s). */
  peerTimeoutMs: number;
  /** Config tx_sets.fetch_deadline_ms. */
  fetchDeadlineMs: number;
  log: Logger;
  registry: Registry;
  /** A peer lied (a reply that is not the set asked for) or sent a malformed request; scored by the caller. */
  onMisbehave?(peer: string, reason: string, kind: 'lying_reply' | 'malformed_frame' | 'oversized_frame'): void;
}

/** One fetch from peers, shared by every caller asking for the same hash meanwhile. */
interface Attempt {
  promise: Promise<Uint8Array>;
  /** The latest ledger a caller fetched it for: the cache tag once it arrives. */
  tag: { ledgerSeq: number };
  /** Callers still waiting; when the last one gives up, the attempt stops. */
  waiters: number;
  stop: AbortController;
}

type ReplyOutcome = 'tx_set' | 'dont_have' | 'invalid' | 'error';

export class TxSets {
  private readonly opts: TxSetsOptions;
  private readonly hints = new PeerHints();
  /** Bounded by the callers: core asks for the sets of a few slots at a time; each attempt ends by its deadline. */
  private readonly inflight = new Map<string, Attempt>();
  /** Aborted by stop(): ends every attempt. */
  private lifetime = new AbortController();
  private readonly metrics;

  constructor(opts: TxSetsOptions) {
    this.opts = opts;
    const { registry } = opts;
    this.metrics = {
      fetches: new Counter({
        name: 'overlay_txset_fetches_total',
        help: 'Tx-set fetches for core, by outcome (cached, fetched, timeout, aborted)',
        labelNames: ['outcome'] as const,
        registers: [registry],
      }),
      replies: new Counter({
        name: 'overlay_txset_peer_replies_total',
        help: 'Answers of peers asked for a tx set, by outcome (tx_set, dont_have, invalid, error)',
        labelNames: ['outcome'] as const,
        registers: [registry],
      }),
      served: new Counter({
        name: 'overlay_txset_served_total',
        help: 'Tx-set requests from peers, by outcome (found, dont_have, malformed)',
        labelNames: ['outcome'] as const,
        registers: [registry],
      }),
    };
  }

  async start(): Promise<void> {
    this.lifetime = new AbortController();
    await this.opts.node.handle(this.opts.protocol, (s, c) => this.serve(s, c.remotePeer.toString()), { maxInboundStreams: MAX_INBOUND_STREAMS });
  }

  async stop(): Promise<void> {
    this.lifetime.abort(new OverlayError('TIMEOUT', 'tx-set service stopped'));
    await this.opts.node.unhandle(this.opts.protocol);
  }

  /** Keeps a set for `ledgerSeq` after checking that it is a tx set and that `hash` names it. */
  add(hash: Uint8Array, xdr: Uint8Array, ledgerSeq: number): void {
    if (this.opts.cache.has(hash)) {
      this.opts.cache.add(hash, xdr, ledgerSeq); // re-tags it for the later ledger
      return;
    }
    const decoded = txsOfTxSet(xdr);
    if (!Buffer.from(decoded.hash).equals(Buffer.from(hash))) {
      throw new OverlayError('TXSET_INVALID', `${decoded.kind} tx set does not hash to ${short(hash)}`);
    }
    const copy = Uint8Array.prototype.slice.call(xdr);
    if (!this.opts.cache.add(hash, copy, ledgerSeq)) {
      this.opts.log.warn('tx set not cached: over the byte cap', { hash: toHex(hash), bytes: xdr.length });
    }
  }

  /** Keeps a set this overlay built itself (already hashed, owned): no decode on the hot path of a ledger. */
  addBuilt(hash: Uint8Array, xdr: Uint8Array, ledgerSeq: number): void {
    if (!this.opts.cache.add(hash, xdr, ledgerSeq)) {
      this.opts.log.warn('tx set not cached: over the byte cap', { hash: toHex(hash), bytes: xdr.length });
    }
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.opts.cache.get(hash);
  }

  /** Ledger `seq` closed: the cache's window moves on. */
  ledgerClosed(seq: number): void {
    this.opts.cache.ledgerClosed(seq);
  }

  /** A peer's SCP envelope named `hash`: that peer is among the first to ask. */
  hint(hash: Uint8Array, peer: PeerId): void {
    this.hints.add(hash, peer);
  }

  /**
   * The set from the cache, else from peers within the fetch deadline (OverlayError TIMEOUT past it). A set is
   * accepted only if it decodes and hashes to `hash`. Callers asking for one hash at once share one attempt;
   * `signal` withdraws this caller only (rejecting with its reason).
   */
  fetch(hash: Uint8Array, ledgerSeq: number, signal?: AbortSignal): Promise<Uint8Array> {
    const have = this.opts.cache.get(hash);
    if (have) {
      this.opts.cache.add(hash, have, ledgerSeq);
      this.metrics.fetches.labels('cached').inc();
      return Promise.resolve(have);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const k = toHex(hash);
    let attempt = this.inflight.get(k);
    if (attempt === undefined) {
      const stop = new AbortController();
      const tag = { ledgerSeq };
      const promise = this.fetchFromPeers(hash, stop.signal, () => tag.ledgerSeq).finally(() => this.inflight.delete(k));
      promise.catch(() => {}); // each waiter handles the rejection; this one only keeps it from being unhandled
      attempt = { promise, tag, waiters: 0, stop };
      this.inflight.set(k, attempt);
    }
    attempt.tag.ledgerSeq = Math.max(attempt.tag.ledgerSeq, ledgerSeq);
    return this.wait(attempt, signal);
  }

  /** One caller's view of a shared attempt: its own signal can end its wait without ending the others'. */
  private wait(attempt: Attempt, signal?: AbortSignal): Promise<Uint8Array> {
    attempt.waiters++;
    if (!signal) return attempt.promise;
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        if (--attempt.waiters === 0) attempt.stop.abort(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      attempt.promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  private async fetchFromPeers(hash: Uint8Array, stop: AbortSignal, ledgerSeq: () => number): Promise<Uint8Array> {
    const { node, log } = this.opts;
    const deadline = AbortSignal.timeout(this.opts.fetchDeadlineMs);
    const signal = AbortSignal.any([deadline, stop, this.lifetime.signal]);
    const k = toHex(hash);
    let asked = 0;
    for (let round = 1; !signal.aborted; round++) {
      const hinted = this.hints.peersFor(k);
      const connected = node.getPeers();
      const byId = new Map(connected.map((p) => [p.toString(), p]));
      const order = [
        ...hinted.flatMap((id) => byId.get(id) ?? []),
        ...shuffled(connected.filter((p) => !hinted.includes(p.toString()))),
      ];
      for (const peer of order) {
        if (signal.aborted) break;
        asked++;
        const xdr = await this.askPeer(peer, hash, signal);
        if (xdr) {
          this.opts.cache.add(hash, xdr, ledgerSeq());
          this.metrics.fetches.labels('fetched').inc();
          return xdr;
        }
      }
      // Everyone asked (or no one connected): wait, as stellar-core does, then ask again — peers get sets late.
      await pause(this.opts.peerTimeoutMs * Math.min(round, MAX_ROUND_BACKOFF), signal);
    }
    const outcome = deadline.aborted ? 'timeout' : 'aborted';
    this.metrics.fetches.labels(outcome).inc();
    log.info('tx set not fetched', { hash: k, outcome, asked });
    if (!deadline.aborted && signal.reason instanceof Error) throw signal.reason;
    throw new OverlayError('TIMEOUT', `tx set ${short(hash)} not fetched within ${this.opts.fetchDeadlineMs} ms (${asked} asks)`);
  }

  /** Asks one peer; the set if it answered with the one `hash` names, else null. */
  private async askPeer(peer: PeerId, hash: Uint8Array, signal: AbortSignal): Promise<Uint8Array | null> {
    const note = (outcome: ReplyOutcome, err?: unknown) => {
      this.metrics.replies.labels(outcome).inc();
      const level = outcome === 'invalid' ? 'warn' : 'debug';
      this.opts.log[level]('tx-set ask answered without the set', { peer: peer.toString(), hash: toHex(hash), outcome, err });
    };
    let frames;
    try {
      frames = await request(this.opts.node, peer, this.opts.protocol, { type: TxSetWire.REQUEST, payload: hash }, {
        timeoutMs: this.opts.peerTimeoutMs,
        maxPayload: MAX_TXSET_BYTES,
        maxFrames: 1,
        signal,
      });
    } catch (err) {
      note('error', err);
      return null;
    }
    const f = frames[0];
    if (f?.type === TxSetWire.DONT_HAVE) {
      note('dont_have');
      return null;
    }
    if (f?.type !== TxSetWire.TX_SET) {
      note('error', new Error(f ? `unexpected frame type ${f.type}` : 'no answer'));
      return null;
    }
    try {
      checkTxSetHash(f.payload, hash);
    } catch (err) {
      note('invalid', err);
      this.opts.onMisbehave?.(peer.toString(), `tx-set reply is not the set asked for: ${(err as Error).message}`, 'lying_reply');
      return null;
    }
    this.metrics.replies.labels('tx_set').inc();
    return f.payload; // request() hands out owned copies
  }

  private serve(stream: Stream, peer: string): void {
    const framed = new FramedStream(stream, MAX_REQUEST_BYTES, {
      onFrame: (type, payload) => {
        if (type !== TxSetWire.REQUEST || payload.length !== HASH_BYTES) {
          this.metrics.served.labels('malformed').inc();
          this.opts.onMisbehave?.(peer, `malformed tx-set request (type ${type}, ${payload.length} bytes)`, 'malformed_frame');
          framed.abort('malformed tx-set request');
          return;
        }
        const set = this.opts.cache.get(payload);
        if (set) framed.send(TxSetWire.TX_SET, set);
        else framed.send(TxSetWire.DONT_HAVE, payload);
        this.metrics.served.labels(set ? 'found' : 'dont_have').inc();
        void framed.close();
      },
      onEnd: (err) => {
        if (err instanceof ProtocolError) {
          this.opts.onMisbehave?.(peer, `bad tx-set request: ${err.message}`, err.code === 'FRAME_TOO_LARGE' ? 'oversized_frame' : 'malformed_frame');
        }
      },
    });
  }
}

function short(hash: Uint8Array): string {
  return `${toHex(hash).slice(0, 16)}…`;
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
