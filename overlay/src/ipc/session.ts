// One core connection. The first frame decides the dialect: HELLO switches to our extensions (after negotiation),
// anything else means the V2 dialect for the life of the connection. Bad frames are handled as
// docs/ipc-protocol.md §6 says: fatal framing errors close; the rest get an ERROR (extension) or a counted drop (V2).
import type { Socket } from 'node:net';
import {
  FrameWriter,
  MessageDecoder,
  MESSAGE_NAMES,
  MsgType,
  ProtocolError,
  TYPE_TABLE_SIZE,
  copyMessage,
  entryByName,
  negotiate,
  peekRequestId,
  ErrorCode,
  type ErrorCodeName,
  type FeatureName,
  type Hello,
  type HelloAck,
  type MessageHandler,
  type MessageName,
  type ToCoreMessage,
  type ToOverlayMessage,
} from '#ipc-protocol';
import { rateLimited, type Logger } from '../util/log.ts';
import type { IpcMetrics, IpcTallies } from './metrics.ts';
import { requestIdOf, submitTxMessage, type MessageSink } from './router.ts';

export type Dialect = 'pending' | 'v2' | 'extended';

/** Messages towards core that may be dropped (counted) when core falls behind; the rest never are. */
const DROPPABLE: ReadonlySet<MessageName> = new Set(['PEER_CONNECTED', 'PEER_DISCONNECTED']);

/** Ours: a core this far behind (bytes queued) is considered stuck and disconnected; it resyncs on reconnect. */
const HARD_BACKLOG_FACTOR = 4;
/**
 * Ours: until core's first frame decides the dialect, messages towards it are held (an extension core must see
 * HELLO_ACK first). A core silent this long after connecting is taken to speak V2 (V2 cores need not speak first).
 */
export const PENDING_DIALECT_MS = 2000;
/** Ours: messages held while the dialect is pending; beyond, the oldest are dropped (counted). */
const MAX_HELD = 1024;

/** What the session needs to know per message type, resolved once from the catalogue rather than per frame. */
interface TypeRule {
  readonly id: number;
  readonly name: MessageName;
  /** The extension feature it needs, null for V2 and base messages. */
  readonly feature: FeatureName | null;
  readonly base: boolean;
  /** Towards core: may be dropped (counted) when core falls behind. */
  readonly droppable: boolean;
}

const rulesByName = new Map<MessageName, TypeRule>();
/** Indexed by frame type; only types travelling to the overlay (others never decode here). */
const toOverlayRules = new Array<TypeRule | undefined>(TYPE_TABLE_SIZE).fill(undefined);
for (const name of MESSAGE_NAMES) {
  const { id, direction, feature, base } = entryByName(name);
  const rule: TypeRule = { id, name, feature, base, droppable: DROPPABLE.has(name) };
  rulesByName.set(name, rule);
  if (direction === 'toOverlay') toOverlayRules[id] = rule;
}

const SUBMIT_TX_RULE = rulesByName.get('SUBMIT_TX')!;
const HELLO_ACK_RULE = rulesByName.get('HELLO_ACK')!;
const ERROR_RULE = rulesByName.get('ERROR')!;

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
  /** Core's messages, with their frame type (router.ts createRouter); SUBMIT_TX as fields if it has `submitTx`. */
  onMessage: MessageSink;
  onClose: (session: CoreSession) => void;
  /** The dialect is decided and held messages are sent. */
  onReady?: (session: CoreSession) => void;
}

export class CoreSession {
  dialect: Dialect = 'pending';
  features: ReadonlySet<FeatureName> = new Set();
  readonly opened = Date.now();
  private readonly socket: Socket;
  private readonly decoder: MessageDecoder<'toOverlay'>;
  private readonly writer: FrameWriter;
  private readonly opts: SessionOptions;
  private closed = false;
  /** Per-type frame counts (metrics.ts IpcTallies): plain numbers per frame, folded into the counters when read. */
  private readonly tallies: IpcTallies;
  /** What the decoder calls per frame: one long-lived object (MessageDecoder's contract). */
  private readonly receiver: MessageHandler<ToOverlayMessage>;
  private held: ToCoreMessage[] = [];
  private pendingTimer: NodeJS.Timeout | null;
  /**
   * Core's frames that arrived while the network was being decided, as steps to replay in order. Bounded by the
   * pause: the socket is paused meanwhile, so this is at most the rest of the read being decoded when it began.
   */
  private inbox: Array<() => void> | null = null;
  /** Bad frames are core's to send at will: their log lines are rate-limited (the metric counts every one). */
  private readonly badFrameLog: Logger;

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.badFrameLog = rateLimited(opts.log);
    this.socket = opts.socket;
    this.tallies = opts.metrics.tallies;
    this.decoder = new MessageDecoder({ direction: 'toOverlay', maxPayload: opts.maxPayload });
    this.writer = new FrameWriter(this.socket, { maxPayload: opts.maxPayload });
    this.receiver = {
      onMessage: (msg, type) => this.onMessage(msg, type),
      onSubmitTx: (tx, numOps, fee) => this.onSubmitTx(tx, numOps, fee),
      onBadFrame: (err, type, payload) => this.onBadFrame(err, type, payload),
    };
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
    const rule = rulesByName.get(msg.type)!;
    if (this.dialect === 'pending' && !rule.base) {
      if (this.held.length >= MAX_HELD) this.opts.metrics.drops.labels(this.held.shift()!.type, 'dialect_pending').inc();
      this.held.push(msg);
      return true;
    }
    if (rule.feature !== null || rule.base) {
      const allowed = rule.base ? this.dialect === 'extended' : this.has(rule.feature!);
      if (!allowed) {
        this.opts.metrics.drops.labels(msg.type, 'not_negotiated').inc();
        return false;
      }
    }
    const backlog = this.backlog();
    if (rule.droppable && backlog > this.opts.droppableBacklogBytes) {
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
    this.tallies.frameOut(rule.id);
    return true;
  }

  /** Answers a request with an ERROR (extension sessions only; a V2 core has no ERROR frame). */
  sendError(requestId: bigint, code: ErrorCodeName, refType: number, message: string): void {
    if (this.dialect !== 'extended' && !(code === 'ALREADY_CONNECTED' || code === 'VERSION_MISMATCH' || code === 'NETWORK_MISMATCH')) return;
    try {
      this.writer.send({ type: 'ERROR', requestId, error: { code: ErrorCode[code], refType, message: message.slice(0, 4096) } });
      this.tallies.frameOut(ERROR_RULE.id);
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

  private onData(chunk: Buffer): void {
    // Reads already under way when we closed still arrive: after a fatal error they would be counted (and
    // answered) again, one ERROR per chunk.
    if (this.closed) return;
    this.tallies.bytesIn(chunk.length);
    try {
      this.decoder.push(chunk, this.receiver);
    } catch (err) {
      // Only the decoder's own fatal errors reach here: the receiver's methods never throw.
      const pe = err instanceof ProtocolError ? err : new ProtocolError('INTERNAL', String(err), 0, { fatal: true });
      this.reject(pe, 0n);
      this.opts.log.warn('closing core connection: framing lost', { code: pe.code, detail: pe.message });
      this.close();
    }
  }

  /** A frame that did not decode (UNKNOWN_TYPE, WRONG_DIRECTION, MALFORMED_PAYLOAD): answered or dropped, in turn. */
  private onBadFrame(err: ProtocolError, type: number, payload: Uint8Array): void {
    const requestId = peekRequestId(type, payload);
    if (this.inbox !== null) this.inbox.push(() => this.reject(err, requestId));
    else this.reject(err, requestId);
  }

  /**
   * SUBMIT_TX as its fields. Once the dialect is settled it goes straight to the sink (no message object when the
   * sink takes fields); before that, and while frames are held, it takes the general path as a message.
   */
  private onSubmitTx(tx: Uint8Array, numOps: number, fee: number | bigint): void {
    if (this.dialect === 'pending' || this.inbox !== null) {
      this.onMessage(submitTxMessage(tx, numOps, fee), MsgType.SUBMIT_TX);
      return;
    }
    this.tallies.frameIn(SUBMIT_TX_RULE.id);
    const sink = this.opts.onMessage;
    try {
      if (sink.submitTx !== undefined) sink.submitTx(tx, numOps, fee, this);
      else sink(submitTxMessage(tx, numOps, fee), this, MsgType.SUBMIT_TX);
    } catch (err) {
      this.handlerFailed('SUBMIT_TX', MsgType.SUBMIT_TX, 0n, err);
    }
  }

  private onMessage(msg: ToOverlayMessage, type: number): void {
    if (this.inbox !== null) {
      const copy = copyMessage(msg); // the decoder's views are valid only during this call
      this.inbox.push(() => this.onMessage(copy, type));
      return;
    }
    const rule = toOverlayRules[type]!; // a decoded message's type travels to the overlay
    try {
      if (this.dialect === 'pending' && !this.opts.network.ready) {
        const copy = copyMessage(msg);
        return this.afterNetwork(copy.type === 'HELLO' ? copy.hello.networkId : null, () => this.onMessage(copy, type));
      }
      this.tallies.frameIn(rule.id);
      if (this.dialect === 'pending') {
        if (msg.type === 'HELLO') return this.onHello(msg.hello);
        this.opts.log.info('core speaks the V2 dialect (no HELLO)');
        this.decide('v2');
      } else if (msg.type === 'HELLO') {
        throw new ProtocolError('PROTOCOL_STATE', 'HELLO must be the first frame of a connection', type);
      }
      if (rule.feature !== null && !this.has(rule.feature)) {
        throw new ProtocolError('NOT_NEGOTIATED', `${rule.name} needs feature "${rule.feature}", not negotiated`, type);
      }
    } catch (err) {
      const pe = err instanceof ProtocolError ? err : new ProtocolError('MALFORMED_PAYLOAD', String(err), type);
      this.reject(pe, requestIdOf(msg));
      return;
    }
    try {
      this.opts.onMessage(msg, this, type);
    } catch (err) {
      this.handlerFailed(msg.type, type, requestIdOf(msg), err);
    }
  }

  private handlerFailed(name: MessageName, type: number, requestId: bigint, err: unknown): void {
    this.opts.log.error('handler failed', { type: name, err });
    this.sendError(requestId, 'INTERNAL', type, `internal error handling ${name}`);
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
        for (const step of inbox) {
          if (this.closed) return;
          step();
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
      this.tallies.frameOut(HELLO_ACK_RULE.id);
      this.decide('extended');
      this.opts.log.info('core negotiated extensions', { software: hello.software, features: [...n.features] });
    } catch (err) {
      const pe = err instanceof ProtocolError ? err : new ProtocolError('INTERNAL', String(err));
      this.opts.log.warn('refusing core HELLO', { code: pe.code, detail: pe.message });
      this.opts.metrics.errors.labels(pe.code).inc();
      this.sendError(0n, pe.code, MsgType.HELLO, pe.message);
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
