// The lowest layer of the core side: one Unix-socket connection to an overlay, with connect retry (V2: 10 attempts
// 100 ms apart), the HELLO exchange, coalesced sends and decoded messages as events. The typed OverlayClient
// (request ids, timeouts, reconnect) is built on it.
import { createConnection, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import {
  ALL_FEATURES,
  FrameDecoder,
  FrameWriter,
  ProtocolError,
  decodeMessage,
  localHello,
  negotiate,
  networkIdOf,
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
  close: [Error | undefined];
}

export interface ConnectOptions {
  socketPath: string;
  networkPassphrase: string;
  software?: string;
  features?: readonly FeatureName[];
  attempts?: number;
  intervalMs?: number;
}

export class CoreConnection extends EventEmitter<ConnectionEvents> {
  readonly socket: Socket;
  readonly ack: HelloAck;
  readonly features: ReadonlySet<FeatureName>;
  private readonly writer: FrameWriter;

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
        decoder.push(chunk, (type, payload) => {
          try {
            this.emit('message', decodeMessage(type, payload, { direction: 'toCore' }) as ToCoreMessage);
          } catch (err) {
            if (!(err instanceof ProtocolError)) throw err;
            // A frame we cannot read is skipped; framing is intact.
          }
        });
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    // Frames that came in the same read as HELLO_ACK, handed over once listeners can be attached.
    setImmediate(() => early.forEach((m) => this.emit('message', m)));
    socket.on('close', () => this.emit('close', undefined));
    socket.on('error', (err) => this.emit('close', err));
  }

  /** Connects (with retry) and negotiates extensions. Rejects with ProtocolError on a refused HELLO. */
  static async open(opts: ConnectOptions): Promise<CoreConnection> {
    const socket = await connectWithRetry(opts.socketPath, opts.attempts ?? CONNECT_ATTEMPTS, opts.intervalMs ?? CONNECT_INTERVAL_MS);
    const hello = localHello(opts.software ?? 'core-bridge', networkIdOf(opts.networkPassphrase), opts.features ?? ALL_FEATURES);
    const decoder = new FrameDecoder();
    const early: ToCoreMessage[] = [];
    let acked = false;
    const writer = new FrameWriter(socket);
    writer.send({ type: 'HELLO', hello });
    const ack = await new Promise<HelloAck>((resolve, reject) => {
      const timer = setTimeout(() => fail(new ProtocolError('TIMEOUT', 'no HELLO_ACK from the overlay')), HELLO_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        try {
          decoder.push(chunk, (type, payload) => {
            const msg = decodeMessage(type, payload, { direction: 'toCore' }) as ToCoreMessage;
            if (acked) return void early.push(msg);
            acked = true;
            socket.off('data', onData);
            clearTimeout(timer);
            if (msg.type === 'HELLO_ACK') resolve(msg.hello);
            else if (msg.type === 'ERROR') reject(new ProtocolError('PROTOCOL_STATE', `overlay refused HELLO: ${msg.error.message}`));
            else reject(new ProtocolError('PROTOCOL_STATE', `expected HELLO_ACK, got ${msg.type}`));
          });
        } catch (err) {
          fail(err as Error);
        }
      };
      socket.on('data', onData);
      socket.once('close', () => fail(new ProtocolError('CONNECTION_CLOSED', 'overlay closed the connection during HELLO')));
    });
    const { features } = negotiate(hello, ack);
    return new CoreConnection(socket, ack, features, decoder, early);
  }

  send(msg: ToOverlayMessage): void {
    this.writer.send(msg);
  }

  close(): void {
    this.writer.flush();
    this.socket.end();
  }
}

async function connectWithRetry(path: string, attempts: number, intervalMs: number): Promise<Socket> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
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
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw new ProtocolError('CONNECTION_CLOSED', `cannot connect to ${path} after ${attempts} attempts: ${(last as Error)?.message}`);
}
