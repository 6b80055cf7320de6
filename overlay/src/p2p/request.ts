// One request/response exchange on a fresh stream: open, send one frame, collect the frames the peer answers
// until it closes its side, all within a deadline. Used by SCP state, quorum-set and tx-set fetching.
import type { PeerId } from '@libp2p/interface';
import type { OverlayNode } from './node.ts';
import { FramedStream } from './framed-stream.ts';

export interface Frame {
  type: number;
  payload: Uint8Array;
}

export interface RequestOptions {
  timeoutMs: number;
  maxPayload: number;
  /** Stop after this many frames (the peer may be hostile). */
  maxFrames: number;
  /** Called for each frame as it arrives (streaming consumers); frames are then not collected. */
  onFrame?: (frame: Frame) => void;
  signal?: AbortSignal;
}

export async function request(
  node: OverlayNode,
  peer: PeerId,
  protocol: string,
  req: Frame,
  opts: RequestOptions,
): Promise<Frame[]> {
  const signals = [AbortSignal.timeout(opts.timeoutMs)];
  if (opts.signal) signals.push(opts.signal);
  const signal = AbortSignal.any(signals);
  const stream = await node.dialProtocol(peer, protocol, { signal });
  const frames: Frame[] = [];
  let count = 0;
  return new Promise<Frame[]>((resolve, reject) => {
    const onAbort = () => {
      framed.abort('request timed out');
      reject(signal.reason instanceof Error ? signal.reason : new Error('request aborted'));
    };
    const framed = new FramedStream(stream, opts.maxPayload, {
      onFrame: (type, payload) => {
        count++;
        if (count > opts.maxFrames) {
          framed.abort('too many frames');
          return;
        }
        const frame = { type, payload: Uint8Array.prototype.slice.call(payload) };
        if (opts.onFrame) opts.onFrame(frame);
        else frames.push(frame);
      },
      onEnd: (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err && count === 0) reject(err);
        else resolve(frames);
      },
    });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    framed.send(req.type, req.payload);
    void stream.close().catch(() => {}); // half-close: we have nothing more to say
  });
}
