// A scripted stand-in for the overlay on a real Unix socket, speaking ipc-protocol: answers HELLO (with the
// features it is given), records every message core sends, and lets a test script replies or drop the
// connection. The real overlay is exercised by tests/integration/overlay-client.test.ts; this one reaches states
// the real one cannot be put in on demand (tx routes, exact frame order after a reconnect, wrong replies).
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  ALL_FEATURES,
  FrameDecoder,
  FrameWriter,
  decodeMessage,
  localHello,
  negotiate,
  networkIdOf,
  type FeatureName,
  type ToCoreMessage,
  type ToOverlayMessage,
} from '#ipc-protocol';
import { TESTNET } from '../../helpers/raw-core.ts';

export type Script = (msg: ToOverlayMessage, reply: (m: ToCoreMessage) => void) => void;

/** Verdict for a tx as the overlay computes it: SHA-256 of the envelope bytes. */
export const txHash = (tx: Uint8Array) => createHash('sha256').update(tx).digest();

export class ScriptedOverlay {
  readonly dir = mkdtempSync(join(tmpdir(), 'scripted-ovl-'));
  readonly socketPath = join(this.dir, 'overlay.sock');
  /** Every message received, per connection (index 0 = first connection). */
  readonly sessions: ToOverlayMessage[][] = [];
  features: readonly FeatureName[] = ALL_FEATURES;
  script: Script = () => {};
  private server: Server | null = null;
  private socket: Socket | null = null;
  private writer: FrameWriter | null = null;

  async listen(): Promise<void> {
    const server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve) => server.listen(this.socketPath, resolve));
    this.server = server;
  }

  /** Messages of the latest connection. */
  get current(): ToOverlayMessage[] {
    return this.sessions.at(-1) ?? [];
  }

  send(msg: ToCoreMessage): void {
    this.writer?.send(msg);
  }

  /** Drops the connection, as a crashed overlay would. */
  drop(): void {
    this.socket?.destroy();
  }

  /** Stops listening and drops the connection: the "overlay" is away until listen() again. */
  async stop(): Promise<void> {
    this.drop();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: Socket): void {
    this.socket = socket;
    const writer = new FrameWriter(socket);
    this.writer = writer;
    const received: ToOverlayMessage[] = [];
    this.sessions.push(received);
    const decoder = new FrameDecoder();
    socket.on('error', () => {});
    socket.on('data', (chunk) =>
      decoder.push(chunk, (type, payload) => {
        const msg = decodeMessage(type, Buffer.from(payload), { direction: 'toOverlay' }) as ToOverlayMessage;
        received.push(msg);
        if (msg.type === 'HELLO') {
          const ours = localHello('scripted overlay', networkIdOf(TESTNET), this.features);
          const { features } = negotiate(ours, msg.hello);
          writer.send({ type: 'HELLO_ACK', hello: { ...ours, features: [...features], peerId: 'scripted', nodeKey: 'GSCRIPTED' } });
          return;
        }
        this.script(msg, (m) => writer.send(m));
      }),
    );
  }
}
