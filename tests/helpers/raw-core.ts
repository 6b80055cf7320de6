// A bare-bones core for protocol tests: a Unix socket speaking frames directly, with a queue of decoded messages.
// Higher-level tests use core-bridge's OverlayClient; this one can also send garbage.
import { createConnection, type Socket } from 'node:net';
import {
  FrameDecoder,
  FrameWriter,
  decodeMessage,
  localHello,
  networkIdOf,
  ALL_FEATURES,
  type Message,
  type ToCoreMessage,
  type ToOverlayMessage,
} from '#ipc-protocol';
import { waitFor } from './wait.ts';

export const TESTNET = 'Test SDF Network ; September 2015';

export class RawCore {
  readonly socket: Socket;
  readonly received: ToCoreMessage[] = [];
  private readonly writer: FrameWriter;
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.writer = new FrameWriter(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) =>
      decoder.push(chunk, (t, p) => this.received.push(decodeMessage(t, Buffer.from(p), { direction: 'toCore' }) as ToCoreMessage)),
    );
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static connect(path: string): Promise<RawCore> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new RawCore(s)));
      s.once('error', reject);
    });
  }

  /** Connects and negotiates extensions. */
  static async hello(path: string, passphrase = TESTNET): Promise<RawCore> {
    const core = await RawCore.connect(path);
    core.send({ type: 'HELLO', hello: localHello('raw-core test', networkIdOf(passphrase), ALL_FEATURES) });
    await core.next('HELLO_ACK');
    return core;
  }

  send(msg: ToOverlayMessage): void {
    this.writer.send(msg);
  }

  sendRaw(bytes: Uint8Array): void {
    this.writer.flush();
    this.socket.write(bytes);
  }

  /** Waits for (and removes) the first received message of `type` matching `pred`. */
  async next<K extends ToCoreMessage['type']>(
    type: K,
    pred: (m: Extract<Message, { type: K }>) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Extract<Message, { type: K }>> {
    return waitFor(`${type} from the overlay`, () => {
      const i = this.received.findIndex((m) => m.type === type && pred(m as Extract<Message, { type: K }>));
      if (i < 0) return undefined;
      return this.received.splice(i, 1)[0] as Extract<Message, { type: K }>;
    }, timeoutMs);
  }

  private nextRequestId = 1_000_000n;

  /** SUBMIT_TX_CHECKED, then its verdict. */
  async submitChecked(tx: Uint8Array) {
    const requestId = this.nextRequestId++;
    this.send({ type: 'SUBMIT_TX_CHECKED', requestId, tx });
    return (await this.next('TX_VERDICT', (v) => v.requestId === requestId)).verdict;
  }

  /** Whether the overlay's mempool holds `tx` (GET_TOP_TXS_REQ of everything). */
  async holds(tx: Uint8Array): Promise<boolean> {
    const requestId = this.nextRequestId++;
    this.send({ type: 'GET_TOP_TXS_REQ', requestId, count: 100_000 });
    const r = await this.next('TOP_TXS_REPLY', (m) => m.requestId === requestId);
    const want = Buffer.from(tx);
    return r.txs.some((t) => want.equals(t));
  }

  count(type: ToCoreMessage['type']): number {
    return this.received.filter((m) => m.type === type).length;
  }

  close(): void {
    this.writer.flush();
    this.socket.end();
  }
}
