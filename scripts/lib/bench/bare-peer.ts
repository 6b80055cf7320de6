// The bare-socket baseline: this process and a forked child (bare-peer-child.ts) exchanging bare frames
// (bare-frames.ts) of the sizes the IPC benchmark's real messages have, in the same patterns: pipelined
// request/reply with a window, one-at-a-time round trips, and a one-way stream.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BareScanner, bareFrame } from './bare-frames.ts';

const CHILD = new URL('./bare-peer-child.ts', import.meta.url).pathname;
/** Frames per socket write in a stream: up to 64 KiB, as FrameWriter coalesces one event-loop turn. */
const STREAM_CHUNK_BYTES = 64 * 1024;
/** Reply payload the last frame of a stream asks for (the end marker). */
const ACK_BYTES = 4;

export class BarePeer {
  private readonly child: ChildProcess;
  private readonly socket: Socket;
  private readonly dir: string;
  private readonly scanner = new BareScanner();
  /** Called once per reply frame; set by the running measurement. */
  private onReply: () => void = () => {};

  private constructor(child: ChildProcess, socket: Socket, dir: string) {
    this.child = child;
    this.socket = socket;
    this.dir = dir;
    socket.on('data', (chunk: Buffer) => this.scanner.push(chunk, () => this.onReply()));
  }

  static async start(): Promise<BarePeer> {
    const dir = mkdtempSync(join(tmpdir(), 'bare-peer-'));
    const path = join(dir, 'bare.sock');
    const child = fork(CHILD, [path], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`bare peer exited (${code}) before listening`)));
    });
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path, () => resolve(s));
      s.once('error', reject);
    });
    return new BarePeer(child, socket, dir);
  }

  /**
   * `count` requests of `requestBytes` payload, each answered with `replyBytes`, at most `window` unanswered at a
   * time. Milliseconds from the first write to the last reply.
   */
  pipelined(o: { requestBytes: number; replyBytes: number; count: number; window: number }): Promise<number> {
    const frame = bareFrame(o.requestBytes, o.replyBytes);
    let sent = 0;
    let answered = 0;
    const t0 = performance.now();
    return new Promise((resolve) => {
      const fill = () => {
        while (sent < o.count && sent - answered < o.window) {
          this.socket.write(frame);
          sent++;
        }
      };
      this.onReply = () => {
        if (++answered === o.count) resolve(performance.now() - t0);
        else fill();
      };
      fill();
    });
  }

  /** `count` round trips one after the other; each one's time in µs. */
  async roundTrips(o: { requestBytes: number; replyBytes: number; count: number }): Promise<number[]> {
    const frame = bareFrame(o.requestBytes, o.replyBytes);
    const out: number[] = [];
    for (let i = 0; i < o.count; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        this.onReply = resolve;
        this.socket.write(frame);
      });
      out.push((performance.now() - t0) * 1000);
    }
    return out;
  }

  /** `count` frames of `frameBytes` payload one way, coalesced per write; ms until the peer has read them all. */
  stream(o: { frameBytes: number; count: number }): Promise<number> {
    const frame = bareFrame(o.frameBytes);
    const perChunk = Math.max(1, Math.floor(STREAM_CHUNK_BYTES / frame.length));
    const chunk = Buffer.concat(Array.from({ length: perChunk }, () => frame));
    const last = bareFrame(o.frameBytes, ACK_BYTES);
    const t0 = performance.now();
    return new Promise((resolve) => {
      this.onReply = () => resolve(performance.now() - t0);
      let left = o.count - 1;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(perChunk, left);
          left -= n;
          const ok = this.socket.write(n === perChunk ? chunk : chunk.subarray(0, n * frame.length));
          if (!ok) return void this.socket.once('drain', pump);
        }
        this.socket.write(last);
      };
      pump();
    });
  }

  async close(): Promise<void> {
    this.socket.destroy();
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.disconnect();
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
