// One core connection. The first frame decides the dialect: HELLO switches to our extensions (after negotiation),
// anything else means the V2 dialect for the life of the connection. Bad frames are handled as
// docs/ipc-protocol.md §6 says: fatal framing errors close; the rest get an ERROR (extension) or a counted drop (V2).
import type { Socket } from 'node:net';
import {
  FrameDecoder,
  FrameWriter,
  ProtocolError,
  decodeMessage,
  entryById,
  entryByName,
  negotiate,
  peekRequestId,
  ErrorCode,
  type ErrorCodeName,
  type FeatureName,
  type Hello,
  type HelloAck,
  type Message,
  type ToCoreMessage,
  type ToOverlayMessage,
} from '#ipc-protocol';
import { rateLimited, type Logger } from '../util/log.ts';
import type { IpcMetrics } from './metrics.ts';

export type Dialect = 'pending' | 'v2' | 'extended';

/** Messages towards core that may be dropped (counted) when core falls behind; the rest never are. */
const DROPPABLE: ReadonlySet<string> = new Set(['PEER_CONNECTED', 'PEER_DISCONNECTED']);

/** Ours: a core this far behind (bytes queued) is considered stuck and disconnected; it resyncs on reconnect. */
const HARD_BACKLOG_FACTOR = 4;
/**
 * Ours: until core's first frame decides the dialect, messages towards it are held (an extension core must see
 * HELLO_ACK first). A core silent this long after connecting is taken to speak V2 (V2 cores need not speak first).
 */
export const PENDING_DIALECT_MS = 2000;
/** Ours: messages held while the dialect is pending; beyond, the oldest are dropped (counted). */
const MAX_HELD = 1024;

/**
 * Which network the overlay serves is decided once per process: by config, else by the first core (its HELLO names
 * the network id; a V2 core, which has no HELLO, means the default). Until then the first frame waits here.
 */
export interface NetworkGate {
  /** True once the network is decided and running: frames flow without waiting. */
  readonly ready: boolean;
  /** Core's HELLO network id, or null for a V2 core; resolves once the overlay runs on the decided network. */
  decide(networkId: Uint8Array | null): Promise<void>;
}

export interface SessionOptions {
  socket: Socket;
  maxPayload: number;
  droppableBacklogBytes: number;
  log: Logger;
  metrics: IpcMetrics;
  /** Our side of HELLO (read when core's HELLO arrives: the network may be decided by it); `ack` adds our identity. */
  localHello: () => Hello;
  network: NetworkGate;
  ackExtras: Pick<HelloAck, 'peerId' | 'nodeKey'>;
  onMessage: (msg: ToOverlayMessage, session: CoreSession) => void;
  onClose: (session: CoreSession) => void;
  /** The dialect is decided and held messages are sent. */
  onReady?: (session: CoreSession) => void;
}

export class CoreSession {
  dialect: Dialect = 'pending';
  features: ReadonlySet<FeatureName> = new Set();
  readonly opened = Date.now();
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly opts: SessionOptions;
  private closed = false;
  // Per-type counters resolved once, not per frame.
  private readonly inCounters = new Map<number, { inc(): void }>();
  private readonly outCounters = new Map<string, { inc(): void }>();
  private held: ToCoreMessage[] = [];
  private pendingTimer: NodeJS.Timeout | null;
  /** Frames from core that arrived while the network was being decided (the socket is paused meanwhile). */
  private inbox: Array<[number, Uint8Array]> | null = null;
  /** Bad frames are core's to send at will: their log lines are rate-limited (the metric counts every one). */
  private readonly badFrameLog: Logger;

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.badFrameLog = rateLimited(opts.log);
    this.socket = opts.socket;
    this.decoder = new FrameDecoder({ maxPayload: opts.maxPayload });
    this.writer = new FrameWriter(this.socket, { maxPayload: opts.maxPayload });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => opts.log.debug('core socket error', { err }));
    this.socket.on('close', () => this.finish());
    this.pendingTimer = setTimeout(() => {
      if (this.dialect !== 'pending' || this.inbox !== null) return;
      const assumeV2 = () => {
        if (this.dialect !== 'pending') return;
        this.opts.log.info('core silent since connecting: V2 dialect assumed');
        this.decide('v2');
      };
      if (this.opts.network.ready) assumeV2();
      else this.afterNetwork(null, assumeV2);
    }, PENDING_DIALECT_MS);
    this.pendingTimer.unref();
  }

  /** The dialect is known: send what was held for it (filtered by what it negotiated). */
  private decide(dialect: Exclude<Dialect, 'pending'>): void {
    this.dialect = dialect;
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    this.pendingTimer = null;
    const held = this.held;
    this.held = [];
    for (const m of held) this.send(m);
    this.opts.onReady?.(this);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  has(feature: FeatureName): boolean {
    return this.dialect === 'extended' && this.features.has(feature);
  }

  /**
   * Queues a message towards core. Extension messages are never sent to a V2 core nor for a feature core did not
   * negotiate (counted as drops). Returns false if the message was not queued.
   */
  send(msg: ToCoreMessage): boolean {
    if (this.closed) return false;
    const entry = entryByName(msg.type);
    if (this.dialect === 'pending' && !entry.base) {
      if (this.held.length >= MAX_HELD) this.opts.metrics.drops.labels(this.held.shift()!.type, 'dialect_pending').inc();
      this.held.push(msg);
      return true;
    }
    if (entry.feature !== null || entry.base) {
      const allowed = entry.base ? this.dialect === 'extended' : this.has(entry.feature!);
      if (!allowed) {
        this.opts.metrics.drops.labels(msg.type, 'not_negotiated').inc();
        return false;
      }
    }
    const backlog = this.backlog();
    if (DROPPABLE.has(msg.type) && backlog > this.opts.droppableBacklogBytes) {
      this.opts.metrics.drops.labels(msg.type, 'backlog').inc();
      return false;
    }
    if (backlog > this.opts.droppableBacklogBytes * HARD_BACKLOG_FACTOR) {
      this.opts.log.error('core is not reading; disconnecting it', { backlogBytes: backlog });
      this.close();
      return false;
    }
    try {
      this.writer.send(msg);
    } catch (err) {
      this.opts.log.error('cannot encode message for core', { type: msg.type, err });
      return false;
    }
    this.countOut(msg.type);
    return true;
  }

  /** Answers a request with an ERROR (extension sessions only; a V2 core has no ERROR frame). */
  sendError(requestId: bigint, code: ErrorCodeName, refType: number, message: string): void {
    if (this.dialect !== 'extended' && !(code === 'ALREADY_CONNECTED' || code === 'VERSION_MISMATCH' || code === 'NETWORK_MISMATCH')) return;
    try {
      this.writer.send({ type: 'ERROR', requestId, error: { code: ErrorCode[code], refType, message: message.slice(0, 4096) } });
      this.countOut('ERROR');
    } catch (err) {
      this.opts.log.error('cannot encode ERROR', { err });
    }
  }

  /** Flushes what is queued, then closes. */
  close(): void {
    if (this.closed) return;
    this.writer.flush();
    this.socket.end();
    this.finish();
  }

  private backlog(): number {
    return this.socket.writableLength + this.writer.pendingBytes;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    if (!this.socket.destroyed) this.socket.destroySoon();
    this.opts.onClose(this);
  }

  private countOut(type: string): void {
    let c = this.outCounters.get(type);
    if (c === undefined) {
      c = this.opts.metrics.frames.labels('out', type);
      this.outCounters.set(type, c);
    }
    c.inc();
  }

  private countIn(type: number, name: string): void {
    let c = this.inCounters.get(type);
    if (c === undefined) {
      c = this.opts.metrics.frames.labels('in', name);
      this.inCounters.set(type, c);
    }
    c.inc();
  }

  private onData(chunk: Buffer): void {
    // Reads already under way when we closed still arrive: after a fatal error they would be counted (and
    // answered) again, one ERROR per chunk.
    if (this.closed) return;
    this.opts.metrics.bytes.labels('in').inc(chunk.length);
    try {
      this.decoder.push(chunk, (type, payload) => this.onFrame(type, payload));
    } catch (err) {
      // Only the decoder's own fatal errors reach here: onFrame never throws.
      const pe = err instanceof ProtocolError ? err : new ProtocolError('INTERNAL', String(err), 0, { fatal: true });
      this.reject(pe, 0n);
      this.opts.log.warn('closing core connection: framing lost', { code: pe.code, detail: pe.message });
      this.close();
    }
  }

  private onFrame(type: number, payload: Uint8Array): void {
    if (this.inbox !== null) {
      this.inbox.push([type, payload.slice()]); // a copy: the decoder may reuse its buffer meanwhile
      return;
    }
    let msg: Message;
    try {
      msg = decodeMessage(type, payload, { direction: 'toOverlay' });
      if (this.dialect === 'pending' && !this.opts.network.ready) {
        const copy = payload.slice();
        return this.afterNetwork(msg.type === 'HELLO' ? msg.hello.networkId : null, () => this.onFrame(type, copy));
      }
      this.countIn(type, msg.type);
      if (this.dialect === 'pending') {
        if (msg.type === 'HELLO') return this.onHello(msg.hello);
        this.opts.log.info('core speaks the V2 dialect (no HELLO)');
        this.decide('v2');
      } else if (msg.type === 'HELLO') {
        throw new ProtocolError('PROTOCOL_STATE', 'HELLO must be the first frame of a connection', type);
      }
      const entry = entryById(type)!;
      if (entry.feature !== null && !this.has(entry.feature)) {
        throw new ProtocolError('NOT_NEGOTIATED', `${entry.name} needs feature "${entry.feature}", not negotiated`, type);
      }
    } catch (err) {
      const pe = err instanceof ProtocolError ? err : new ProtocolError('MALFORMED_PAYLOAD', String(err), type);
      this.reject(pe, peekRequestId(type, payload));
      return;
    }
    try {
      this.opts.onMessage(msg as ToOverlayMessage, this);
    } catch (err) {
      this.opts.log.error('handler failed', { type: msg.type, err });
      this.sendError(peekRequestId(type, payload), 'INTERNAL', type, `internal error handling ${msg.type}`);
    }
  }

  /**
   * Core's first frame, before the overlay knows its network: hold what core sends (socket paused), let the overlay
   * join the network the frame implies, then go on with `then` and the held frames in order.
   */
  private afterNetwork(networkId: Uint8Array | null, then: () => void): void {
    this.inbox = [];
    this.socket.pause();
    this.opts.network.decide(networkId).then(
      () => {
        const inbox = this.inbox ?? [];
        this.inbox = null;
        if (this.closed) return;
        then();
        for (const [type, payload] of inbox) {
          if (this.closed) return;
          this.onFrame(type, payload);
        }
        this.socket.resume();
      },
      (err: unknown) => {
        this.inbox = null;
        this.opts.log.error('could not start the network core asked for; closing its connection', { err });
        this.close();
      },
    );
  }

  private onHello(hello: Hello): void {
    try {
      const local = this.opts.localHello();
      const n = negotiate(local, hello);
      this.dialect = 'extended';
      this.features = n.features;
      this.writer.send({
        type: 'HELLO_ACK',
        hello: { ...local, features: [...n.features], ...this.opts.ackExtras },
      });
      this.countOut('HELLO_ACK');
      this.decide('extended');
      this.opts.log.info('core negotiated extensions', { software: hello.software, features: [...n.features] });
    } catch (err) {
      const pe = err instanceof ProtocolError ? err : new ProtocolError('INTERNAL', String(err));
      this.opts.log.warn('refusing core HELLO', { code: pe.code, detail: pe.message });
      this.opts.metrics.errors.labels(pe.code).inc();
      this.sendError(0n, pe.code, entryByName('HELLO').id, pe.message);
      this.close();
    }
  }

  /** A bad frame: counted and logged; an extension core gets an ERROR, a V2 core has the frame dropped. */
  private reject(err: ProtocolError, requestId: bigint): void {
    this.opts.metrics.errors.labels(err.code).inc();
    this.badFrameLog.warn('bad frame from core', { code: err.code, frameType: err.frameType, detail: err.message });
    this.sendError(requestId, err.code, err.frameType, err.message);
  }
}
