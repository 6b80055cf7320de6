// Framed messages over a libp2p stream, with the same `[type u32 LE][len u32 LE][payload]` framing and incremental
// decoder as the IPC wire. Peer protocols (SCP state, quorum sets, tx flooding, tx sets) are built on it.
import type { Stream } from '@libp2p/interface';
import { FrameDecoder, HEADER_SIZE, ProtocolError } from '#ipc-protocol';

export interface FramedStreamHandlers {
  onFrame(type: number, payload: Uint8Array): void;
  /** The stream ended or failed; `err` is set for protocol violations and transport errors. */
  onEnd?(err?: Error): void;
}

export class FramedStream {
  readonly stream: Stream;
  private readonly decoder: FrameDecoder;
  private ended = false;

  constructor(stream: Stream, maxPayload: number, handlers: FramedStreamHandlers) {
    this.stream = stream;
    this.decoder = new FrameDecoder({ maxPayload });
    const end = (err?: Error) => {
      if (this.ended) return;
      this.ended = true;
      handlers.onEnd?.(err);
    };
    stream.addEventListener('message', (evt) => {
      if (this.ended) return;
      const data = evt.data;
      try {
        if (data instanceof Uint8Array) this.decoder.push(data, handlers.onFrame);
        else for (const buf of data) this.decoder.push(buf, handlers.onFrame);
      } catch (err) {
        const pe = err instanceof ProtocolError ? err : new ProtocolError('MALFORMED_PAYLOAD', String(err));
        stream.abort(pe);
        end(pe);
      }
    });
    stream.addEventListener('close', (evt) => end((evt as { error?: Error }).error));
    stream.addEventListener('remoteCloseWrite', () => end());
  }

  get isOpen(): boolean {
    return !this.ended && this.stream.writeStatus === 'writable';
  }

  /** Sends one frame; returns false if the stream wants to drain first (the frame is still queued). */
  send(type: number, payload: Uint8Array): boolean {
    const frame = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
    frame.writeUInt32LE(type, 0);
    frame.writeUInt32LE(payload.length, 4);
    frame.set(payload, HEADER_SIZE);
    return this.stream.send(frame);
  }

  async close(): Promise<void> {
    try {
      await this.stream.close();
    } catch {
      this.stream.abort(new Error('close failed'));
    }
  }

  abort(reason: string): void {
    this.stream.abort(new Error(reason));
  }
}
