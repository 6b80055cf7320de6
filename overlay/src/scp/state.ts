// SCP state exchange (V2: REQUEST_SCP_STATE / PEER_REQUESTS_SCP_STATE / SCP_STATE_RESPONSE). Our core's request goes
// to a few random peers; a peer's request goes to our core with a fresh request id, and core's answer is streamed
// back to that peer. Envelopes received this way go through the same checks and dedup as gossip.
import type { PeerId, Stream } from '@libp2p/interface';
import type { OverlayNode } from '../p2p/node.ts';
import { FramedStream } from '../p2p/framed-stream.ts';
import { request } from '../p2p/request.ts';
import type { Logger } from '../util/log.ts';
import { shuffled } from '../util/random.ts';
import type { ScpMetrics } from './metrics.ts';

/** Peer wire of the scp-state protocol. */
export const ScpStateWire = { REQUEST: 1, ENVELOPE: 2 } as const;
/** Ours: an SCP envelope is a few KiB at most; a state response a few hundred envelopes. */
const MAX_ENVELOPE_BYTES = 64 * 1024;
const MAX_ENVELOPES_PER_RESPONSE = 2000;
/** Ours: peer requests waiting for our core at once; more are refused. */
const MAX_PENDING = 64;

export interface ScpStateOptions {
  node: OverlayNode;
  protocol: string;
  peersToAsk: number;
  timeoutMs: number;
  log: Logger;
  metrics: ScpMetrics;
  /** Forward a peer's request to our core; returns false if no core can answer. */
  askCore: (requestId: bigint, ledgerSeq: number) => boolean;
  /** An envelope a peer sent in answer to our request. */
  receive: (bytes: Uint8Array, from: PeerId) => void;
}

interface Pending {
  framed: FramedStream;
  timer: NodeJS.Timeout;
}

export class ScpState {
  private readonly opts: ScpStateOptions;
  private readonly pending = new Map<bigint, Pending>();
  private nextId = 1n;

  constructor(opts: ScpStateOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    await this.opts.node.handle(this.opts.protocol, (stream) => this.onInbound(stream), { maxInboundStreams: 8 });
  }

  async stop(): Promise<void> {
    for (const [id] of this.pending) this.finish(id, 'shutdown');
    await this.opts.node.unhandle(this.opts.protocol);
  }

  /** Our core wants SCP state from `ledgerSeq` on: ask a few random peers. */
  requestFromPeers(ledgerSeq: number): void {
    const peers = shuffled(this.opts.node.getPeers()).slice(0, this.opts.peersToAsk);
    const payload = Buffer.alloc(4);
    payload.writeUInt32LE(ledgerSeq);
    for (const peer of peers) {
      request(this.opts.node, peer, this.opts.protocol, { type: ScpStateWire.REQUEST, payload }, {
        timeoutMs: this.opts.timeoutMs,
        maxPayload: MAX_ENVELOPE_BYTES,
        maxFrames: MAX_ENVELOPES_PER_RESPONSE,
        onFrame: (f) => {
          if (f.type === ScpStateWire.ENVELOPE) this.opts.receive(f.payload, peer);
        },
      }).then(
        () => this.opts.metrics.stateRequests.labels('sent', 'ok').inc(),
        (err) => {
          this.opts.metrics.stateRequests.labels('sent', 'failed').inc();
          this.opts.log.debug('SCP state request failed', { peer: peer.toString(), err });
        },
      );
    }
  }

  /** Our core's answer to a peer's request. Unknown ids (timed out) are ignored. */
  respond(requestId: bigint, envelopes: Uint8Array[]): void {
    const p = this.pending.get(requestId);
    if (p === undefined) return;
    for (const env of envelopes) p.framed.send(ScpStateWire.ENVELOPE, env);
    this.finish(requestId, 'answered');
  }

  private onInbound(stream: Stream): void {
    const { metrics } = this.opts;
    let handled = false;
    const framed = new FramedStream(stream, 64, {
      onFrame: (type, payload) => {
        if (handled || type !== ScpStateWire.REQUEST || payload.length !== 4) {
          metrics.stateRequests.labels('served', 'malformed').inc();
          framed.abort('malformed scp-state request');
          return;
        }
        handled = true;
        const ledgerSeq = Buffer.from(payload).readUInt32LE(0);
        if (this.pending.size >= MAX_PENDING) {
          metrics.stateRequests.labels('served', 'busy').inc();
          void framed.close();
          return;
        }
        const id = this.nextId++;
        if (!this.opts.askCore(id, ledgerSeq)) {
          metrics.stateRequests.labels('served', 'no_core').inc();
          void framed.close();
          return;
        }
        const timer = setTimeout(() => this.finish(id, 'timeout'), this.opts.timeoutMs);
        this.pending.set(id, { framed, timer });
        metrics.pendingState.set(this.pending.size);
      },
    });
  }

  private finish(id: bigint, outcome: string): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    this.opts.metrics.pendingState.set(this.pending.size);
    this.opts.metrics.stateRequests.labels('served', outcome).inc();
    void p.framed.close();
  }
}
