// The lowest layer of the core side: one Unix-socket connection to an overlay, with connect retry (V2: 10 attempts
// 100 ms apart), the HELLO exchange, coalesced sends and decoded messages as events. The typed OverlayClient
// (request ids, timeouts, reconnect, queueing) is built on it.
import { createConnection, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import {
  ALL_FEATURES,
  FrameDecoder,
  FrameWriter,
  ProtocolError,
  decodeMessage,
  errorCodeName,
  localHello,
  negotiate,
  networkIdOf,
  peekRequestId,
  type FeatureName,
  type HelloAck,
  type ToCoreMessage,
  type ToOverlayMessage,
} from '#ipc-protocol';

/** stellar-core Overlay V2: core connects with 10 attempts, 100 ms apart. */
export const CONNECT_ATTEMPTS = 10;
export const CONNECT_INTERVAL_MS = 100;
/** Ours: how long HELLO_ACK may take. */
const HELLO_TIMEOUT_MS = 5000;

export interface ConnectionEvents {
  message: [ToCoreMessage];
  /** A frame that could not be decoded was skipped; `requestId` is peeked when the type is correlated, else 0. */
  badFrame: [{ type: number; requestId: bigint; error: ProtocolError }];
  /** The socket took everything written so far (after a write it had to buffer). */
  drain: [];
  /** Emitted once, whatever ended the connection. */
  close: [Error | undefined];
}

export interface ConnectOptions {
  socketPath: string;
  networkPassphrase: string;
  software?: string;
  features?: readonly FeatureName[];
  attempts?: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

export class CoreConnection extends EventEmitter<ConnectionEvents> {
  readonly socket: Socket;
  readonly ack: HelloAck;
  readonly features: ReadonlySet<FeatureName>;
  private readonly writer: FrameWriter;
  private ended = false;

  private constructor(
    socket: Socket,
    ack: HelloAck,
    features: ReadonlySet<FeatureName>,
    decoder: FrameDecoder,
    early: ToCoreMessage[],
  ) {
    super();
    this.socket = socket;
    this.ack = ack;
    this.features = features;
    this.writer = new FrameWriter(socket);
    socket.on('data', (chunk) => {
      try {
        decoder.push(chunk, (type, payload) => this.deliver(type, payload));
      } catch (err) {
        // Only the decoder's fatal framing errors get here: the stream cannot be resynchronised.
        socket.destroy(err as Error);
      }
    });
    // Frames that came in the same read as HELLO_ACK, handed over once listeners can be attached.
    setImmediate(() => early.forEach((m) => this.emit('message', m)));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', (err) => this.end(err));
    socket.on('close', () => this.end(undefined));
  }

  /**
   * Connects (with retry) and negotiates extensions. Rejects with ProtocolError: CONNECTION_CLOSED when the overlay
   * cannot be reached (or `signal` aborts), TIMEOUT without HELLO_ACK, the overlay's own code when it refuses HELLO.
   */
  static async open(opts: ConnectOptions): Promise<CoreConnection> {
    const socket = await connectWithRetry(
      opts.socketPath,
      opts.attempts ?? CONNECT_ATTEMPTS,
      opts.intervalMs ?? CONNECT_INTERVAL_MS,
      opts.signal,
    );
    const hello = localHello(opts.software ?? 'core-bridge', networkIdOf(opts.networkPassphrase), opts.features ?? ALL_FEATURES);
    const decoder = new FrameDecoder();
    const early: ToCoreMessage[] = [];
    const writer = new FrameWriter(socket);
    writer.send({ type: 'HELLO', hello });
    const ack = await new Promise<HelloAck>((resolve, reject) => {
      let acked = false;
      const done = () => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.off('error', onError);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error) => {
        done();
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new ProtocolError('TIMEOUT', 'no HELLO_ACK from the overlay')), HELLO_TIMEOUT_MS);
      const onClose = () => fail(new ProtocolError('CONNECTION_CLOSED', 'overlay closed the connection during HELLO'));
      const onError = (err: Error) =>
        fail(new ProtocolError('CONNECTION_CLOSED', `socket error during HELLO: ${err.message}`, 0, { cause: err }));
      const onAbort = () => fail(new ProtocolError('CONNECTION_CLOSED', 'connect aborted', 0, { cause: opts.signal?.reason }));
      const onData = (chunk: Buffer) => {
        try {
          decoder.push(chunk, (type, payload) => {
            if (acked) {
              const msg = decodeOrSkip(type, payload);
              if (msg !== undefined) early.push(msg);
              return;
            }
            acked = true;
            const msg = decodeMessage(type, payload, { direction: 'toCore' }) as ToCoreMessage;
            if (msg.type === 'HELLO_ACK') return resolve(msg.hello);
            // A refusal keeps the overlay's code (NETWORK_MISMATCH, VERSION_MISMATCH, ALREADY_CONNECTED, ...).
            const refusal =
              msg.type === 'ERROR'
                ? new ProtocolError(errorCodeName(msg.error.code) ?? 'PROTOCOL_STATE', `overlay refused HELLO: ${msg.error.message}`)
                : new ProtocolError('PROTOCOL_STATE', `expected HELLO_ACK, got ${msg.type}`);
            fail(refusal);
          });
          if (acked) done();
        } catch (err) {
          fail(err as Error);
        }
      };
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.on('error', onError);
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
    let features: ReadonlySet<FeatureName>;
    try {
      features = negotiate(hello, ack).features;
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return new CoreConnection(socket, ack, features, decoder, early);
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /**
   * Bytes handed to this connection and not yet taken by the kernel: this tick's coalescing buffer plus the
   * socket's own write buffer. The client stops writing above its high-water mark and waits for `drain`.
   */
  get backlogBytes(): number {
    return this.writer.pendingBytes + this.socket.writableLength;
  }

  send(msg: ToOverlayMessage): void {
    this.writer.send(msg);
  }

  /** Queues a frame already encoded by `encodeFrame` (header included). */
  sendFrame(frame: Uint8Array): void {
    const view = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    this.writer.sendRaw(view.readUInt32LE(0), view.subarray(8));
  }

  /** Flushes what is queued and ends the connection politely. */
  close(): void {
    this.writer.flush();
    this.socket.end();
  }

  /** Drops the connection at once (nothing queued is sent). */
  destroy(err?: Error): void {
    this.socket.destroy(err);
  }

  private deliver(type: number, payload: Uint8Array): void {
    let msg: ToCoreMessage;
    try {
      msg = decodeMessage(type, payload, { direction: 'toCore' }) as ToCoreMessage;
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.emit('badFrame', { type, requestId: peekRequestId(type, payload), error: err });
      return;
    }
    try {
      this.emit('message', msg);
    } catch (err) {
      // A listener's bug is not a framing error: keep the connection, and let the bug surface as uncaught.
      process.nextTick(() => {
        throw err;
      });
    }
  }

  private end(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.writer.close();
    this.emit('close', err);
  }
}

/** A frame we cannot read is skipped: framing is intact, so the next frame is fine. */
function decodeOrSkip(type: number, payload: Uint8Array): ToCoreMessage | undefined {
  try {
    return decodeMessage(type, payload, { direction: 'toCore' }) as ToCoreMessage;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return undefined;
  }
}

async function connectWithRetry(path: string, attempts: number, intervalMs: number, signal?: AbortSignal): Promise<Socket> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (signal?.aborted) throw new ProtocolError('CONNECTION_CLOSED', 'connect aborted', 0, { cause: signal.reason });
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = createConnection(path);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
    } catch (err) {
      last = err;
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw new ProtocolError('CONNECTION_CLOSED', `cannot connect to ${path} after ${attempts} attempts: ${(last as Error)?.message}`);
}
