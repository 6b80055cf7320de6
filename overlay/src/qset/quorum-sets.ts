// Quorum sets by hash: a bounded store of the sets core handed us (CACHE_QUORUM_SET) or that we fetched, served to
// peers on the qset protocol, and fetched from peers on core's request — first from peers whose SCP envelopes named
// the hash, then from the others, one at a time with a per-peer timeout, within an overall deadline.
import { createHash } from 'node:crypto';
import type { PeerId, Stream } from '@libp2p/interface';
import { xdr } from '@stellar/stellar-base';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OverlayNode } from '../p2p/node.ts';
import { ProtocolError } from '#ipc-protocol';
import { FramedStream } from '../p2p/framed-stream.ts';
import { PeerHints } from '../p2p/peer-hints.ts';
import { request } from '../p2p/request.ts';
import { LruMap } from '../util/bounded.ts';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { shuffled } from '../util/random.ts';
import { toHex } from '../util/bytes.ts';

export const QsetWire = { REQUEST: 1, QUORUM_SET: 2, DONT_HAVE: 3 } as const;
/** Ours: an SCPQuorumSet is small (nested sets of node keys); 64 KiB is far above any real one. */
const MAX_QSET_BYTES = 64 * 1024;
/** stellar-core tx-set/qset fetch: 1.5 s per peer before asking the next. */
const PER_PEER_TIMEOUT_MS = 1500;
const STORE_MAX_BYTES = 16 * 1024 * 1024;

export interface QuorumSetOptions {
  node: OverlayNode;
  protocol: string;
  cacheEntries: number;
  fetchTimeoutMs: number;
  log: Logger;
  registry: Registry;
  /** A peer lied (a reply that is not the set asked for) or sent a malformed request; scored by the caller. */
  onMisbehave?(peer: string, reason: string, kind: 'lying_reply' | 'malformed_frame' | 'oversized_frame'): void;
}

export class QuorumSets {
  private readonly opts: QuorumSetOptions;
  private readonly store: LruMap<string, Uint8Array>;
  private readonly hints = new PeerHints();
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private readonly metrics;

  constructor(opts: QuorumSetOptions) {
    this.opts = opts;
    this.store = new LruMap(opts.cacheEntries, STORE_MAX_BYTES);
    this.metrics = {
      stored: new Gauge({ name: 'overlay_qset_cached', help: 'Quorum sets held', registers: [opts.registry] }),
      fetches: new Counter({
        name: 'overlay_qset_fetches_total',
        help: 'Quorum-set fetches for core, by outcome',
        labelNames: ['outcome'] as const,
        registers: [opts.registry],
      }),
      served: new Counter({
        name: 'overlay_qset_served_total',
        help: 'Quorum-set requests from peers, by outcome',
        labelNames: ['outcome'] as const,
        registers: [opts.registry],
      }),
    };
  }

  async start(): Promise<void> {
    await this.opts.node.handle(this.opts.protocol, (s, c) => this.serve(s, c.remotePeer.toString()), { maxInboundStreams: 16 });
  }

  async stop(): Promise<void> {
    await this.opts.node.unhandle(this.opts.protocol);
  }

  /** Stores a quorum set after checking that it is one and that its hash matches. */
  add(hash: Uint8Array, quorumSet: Uint8Array): void {
    const actual = createHash('sha256').update(quorumSet).digest();
    if (!actual.equals(Buffer.from(hash))) {
      throw new OverlayError('NOT_FOUND', 'quorum set does not hash to the given hash');
    }
    try {
      xdr.ScpQuorumSet.fromXDR(Buffer.from(quorumSet));
    } catch (cause) {
      throw new OverlayError('NOT_FOUND', 'bytes are not an SCPQuorumSet', { cause });
    }
    const copy = Uint8Array.prototype.slice.call(quorumSet);
    this.store.set(toHex(hash), copy, copy.length);
    this.metrics.stored.set(this.store.size);
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.store.get(toHex(hash));
  }

  /** A peer's SCP envelope named `hash`: that peer is the first one to ask. */
  hint(hash: Uint8Array, peer: PeerId): void {
    this.hints.add(hash, peer);
  }

  /** The quorum set from the store, else from peers within the fetch deadline. */
  fetch(hash: Uint8Array): Promise<Uint8Array> {
    const k = toHex(hash);
    const have = this.store.get(k);
    if (have) {
      this.metrics.fetches.labels('cached').inc();
      return Promise.resolve(have);
    }
    let p = this.inflight.get(k);
    if (p === undefined) {
      p = this.fetchFromPeers(hash).finally(() => this.inflight.delete(k));
      this.inflight.set(k, p);
    }
    return p;
  }

  private async fetchFromPeers(hash: Uint8Array): Promise<Uint8Array> {
    const { node } = this.opts;
    const deadline = AbortSignal.timeout(this.opts.fetchTimeoutMs);
    const hinted = new Set(this.hints.peersFor(hash));
    const connected = node.getPeers();
    const order = [
      ...connected.filter((p) => hinted.has(p.toString())),
      ...shuffled(connected.filter((p) => !hinted.has(p.toString()))),
    ];
    for (const peer of order) {
      if (deadline.aborted) break;
      try {
        const frames = await request(node, peer, this.opts.protocol, { type: QsetWire.REQUEST, payload: hash }, {
          timeoutMs: PER_PEER_TIMEOUT_MS,
          maxPayload: MAX_QSET_BYTES,
          maxFrames: 1,
          signal: deadline,
        });
        const f = frames[0];
        if (f?.type === QsetWire.QUORUM_SET) {
          try {
            this.add(hash, f.payload);
          } catch (err) {
            this.opts.onMisbehave?.(peer.toString(), `quorum-set reply is not the set asked for: ${(err as Error).message}`, 'lying_reply');
            throw err;
          }
          this.metrics.fetches.labels('fetched').inc();
          return this.store.get(toHex(hash))!;
        }
      } catch (err) {
        this.opts.log.debug('quorum-set fetch from peer failed', { peer: peer.toString(), err });
      }
    }
    this.metrics.fetches.labels('not_found').inc();
    throw new OverlayError(
      deadline.aborted ? 'TIMEOUT' : 'NOT_FOUND',
      `quorum set ${toHex(hash).slice(0, 16)}… not found at ${order.length} peer(s)`,
    );
  }

  private serve(stream: Stream, peer: string): void {
    const framed = new FramedStream(stream, 64, {
      onFrame: (type, payload) => {
        if (type !== QsetWire.REQUEST || payload.length !== 32) {
          this.metrics.served.labels('malformed').inc();
          this.opts.onMisbehave?.(peer, `malformed quorum-set request (type ${type}, ${payload.length} bytes)`, 'malformed_frame');
          framed.abort('malformed qset request');
          return;
        }
        const q = this.store.get(toHex(payload));
        if (q) framed.send(QsetWire.QUORUM_SET, q);
        else framed.send(QsetWire.DONT_HAVE, payload);
        this.metrics.served.labels(q ? 'found' : 'dont_have').inc();
        void framed.close();
      },
      onEnd: (err) => {
        if (err instanceof ProtocolError) {
          this.opts.onMisbehave?.(peer, `bad quorum-set request: ${err.message}`, err.code === 'FRAME_TOO_LARGE' ? 'oversized_frame' : 'malformed_frame');
        }
      },
    });
  }
}
