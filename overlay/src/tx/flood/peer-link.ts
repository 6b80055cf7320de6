// One peer's side of tx flooding: our outbound stream (opened lazily, reopened if it drops) with per-peer batching —
// INV entries go out at `invMaxHashes` or after `invIntervalMs`, whichever first; tx bodies and GETDATA/NOTFOUND
// go out once per tick — and a bounded queue for when the stream is congested or not open yet. INV entries the peer
// is by then known to have (it announced or sent the tx to us while ours waited for its batch) are left out at flush,
// and a GETDATA not yet sent can be withdrawn.
// Frames go to the stream while its own write buffer is under STREAM_BUFFER_BYTES, even when it asks to drain: the
// stream sends everything buffered in one write once the previous completes. QUIC streams ask to drain after every
// write (one native write in flight at a time), so waiting for each drain sent one frame per native round trip, and
// under load GETDATA replies queued behind INV batches for seconds (and were asked again elsewhere: duplicates).
// Drains are followed through the stream's 'drain' event: `onDrain()` (libp2p utils 7.4) keeps returning its first,
// resolved promise, so waiting on it again does not wait.
import type { Stream } from '@libp2p/interface';
import { FramedStream } from '../../p2p/framed-stream.ts';
import {
  FloodFrame,
  MAX_FLOOD_FRAME,
  MAX_HASHES_PER_FRAME,
  TXS_FRAME_SOFT_BYTES,
  encodeIds,
  encodeInv,
  encodeTxs,
  type InvEntry,
} from './wire.ts';

/** stellar-core OUTBOUND_TX_QUEUE_BYTE_LIMIT: 3 MiB queued towards one peer, then frames are dropped. */
export const OUTBOUND_QUEUE_BYTES = 3 * 1024 * 1024;
/** Ours: bytes the stream may hold in its own write buffer (sent in one write when it drains); beyond, our queue. */
export const STREAM_BUFFER_BYTES = 64 * 1024;
/** Ours: a peer whose stream could not be opened this many times in a row is not tried again on this connection. */
const MAX_OPEN_FAILURES = 3;

export interface LinkOptions {
  peer: string;
  invMaxHashes: number;
  invIntervalMs: number;
  open(): Promise<Stream>;
  /** A frame dropped because the queue was full (the peer fetches elsewhere or asks again). */
  onDrop(type: number, bytes: number): void;
  onSent(type: number, bytes: number): void;
  onError(err: unknown): void;
  /** Whether the peer is known to have the tx (by short id) by now; such INV entries are left out when the batch goes. */
  peerHas?(id: Uint8Array): boolean;
  /** INV entries left out because the peer was known to have them by the time the batch went. */
  onInvSkipped?(n: number): void;
}

export class PeerLink {
  readonly peer: string;
  private readonly opts: LinkOptions;
  private out: FramedStream | null = null;
  private opening: Promise<void> | null = null;
  private closed = false;
  private readonly queue: { type: number; payload: Uint8Array }[] = [];
  private queuedBytes = 0;
  private inv: InvEntry[] = [];
  private invTimer: NodeJS.Timeout | null = null;
  private txs: Uint8Array[] = [];
  private txBytes = 0;
  private getData: Uint8Array[] = [];
  private notFound: Uint8Array[] = [];
  private tickScheduled = false;
  private openFailures = 0;

  constructor(opts: LinkOptions) {
    this.peer = opts.peer;
    this.opts = opts;
  }

  announce(entry: InvEntry): void {
    if (this.closed) return;
    this.inv.push(entry);
    if (this.inv.length >= this.opts.invMaxHashes) this.flushInv();
    else this.invTimer ??= setTimeout(() => this.flushInv(), this.opts.invIntervalMs);
  }

  sendTx(body: Uint8Array): void {
    if (this.closed) return;
    if (this.txBytes + body.length > TXS_FRAME_SOFT_BYTES && this.txs.length > 0) this.flushTxs();
    this.txs.push(body);
    this.txBytes += body.length;
    this.scheduleTick();
  }

  /** Asks the peer for the tx with short id `id`. */
  request(id: Uint8Array): void {
    if (this.closed) return;
    this.getData.push(id);
    if (this.getData.length >= MAX_HASHES_PER_FRAME) this.flushHashes();
    this.scheduleTick();
  }

  /** Withdraws a request() of this very `id` array if it has not been sent; true if it was withdrawn. */
  cancelRequest(id: Uint8Array): boolean {
    const i = this.getData.indexOf(id);
    if (i < 0) return false;
    this.getData.splice(i, 1);
    return true;
  }

  /** Tells the peer we do not have the tx with short id `id`. */
  notHave(id: Uint8Array): void {
    if (this.closed) return;
    this.notFound.push(id);
    if (this.notFound.length >= MAX_HASHES_PER_FRAME) this.flushHashes();
    this.scheduleTick();
  }

  close(): void {
    this.closed = true;
    if (this.invTimer) clearTimeout(this.invTimer);
    this.invTimer = null;
    this.inv = [];
    this.txs = [];
    this.queue.length = 0;
    this.queuedBytes = 0;
    const out = this.out;
    this.out = null;
    if (out) void out.close();
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.flushHashes();
      this.flushTxs();
    });
  }

  private flushInv(): void {
    if (this.invTimer) clearTimeout(this.invTimer);
    this.invTimer = null;
    const peerHas = this.opts.peerHas;
    if (peerHas !== undefined) {
      const before = this.inv.length;
      this.inv = this.inv.filter((e) => !peerHas(e.id));
      if (this.inv.length < before) this.opts.onInvSkipped?.(before - this.inv.length);
    }
    while (this.inv.length > 0) {
      const batch = this.inv.splice(0, Math.min(this.opts.invMaxHashes, MAX_HASHES_PER_FRAME));
      this.write(FloodFrame.INV, encodeInv(batch));
    }
  }

  private flushTxs(): void {
    if (this.txs.length === 0) return;
    const batch = this.txs;
    this.txs = [];
    this.txBytes = 0;
    this.write(FloodFrame.TXS, encodeTxs(batch));
  }

  private flushHashes(): void {
    if (this.getData.length > 0) {
      const h = this.getData;
      this.getData = [];
      this.write(FloodFrame.GETDATA, encodeIds(h));
    }
    if (this.notFound.length > 0) {
      const h = this.notFound;
      this.notFound = [];
      this.write(FloodFrame.NOTFOUND, encodeIds(h));
    }
  }

  private write(type: number, payload: Uint8Array): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.takesMore()) {
      this.sendNow(type, payload);
      return;
    }
    if (this.queuedBytes + payload.length > OUTBOUND_QUEUE_BYTES) {
      this.opts.onDrop(type, payload.length);
      return;
    }
    this.queue.push({ type, payload });
    this.queuedBytes += payload.length;
    this.pump();
  }

  private sendNow(type: number, payload: Uint8Array): void {
    const out = this.out!;
    try {
      // false: the stream holds the frame until its current write completes, then drains ('drain' → pump).
      out.send(type, payload);
      this.opts.onSent(type, payload.length);
    } catch (err) {
      this.opts.onDrop(type, payload.length);
      this.opts.onError(err);
    }
  }

  /** The stream is open and takes another frame now: not waiting to drain, or holding little while it does. */
  private takesMore(): boolean {
    const out = this.out;
    if (out === null || !out.isOpen) return false;
    return !out.stream.writableNeedsDrain || out.stream.writeBufferLength < STREAM_BUFFER_BYTES;
  }

  /** Sends what is queued while the stream accepts it; opens the stream first if needed. */
  private pump(): void {
    if (this.closed) return;
    if (!this.out?.isOpen) {
      this.out = null;
      this.opening ??= this.openStream().finally(() => {
        this.opening = null;
      });
      return;
    }
    while (this.queue.length > 0 && this.takesMore()) {
      const f = this.queue.shift()!;
      this.queuedBytes -= f.payload.length;
      this.sendNow(f.type, f.payload);
    }
  }

  private async openStream(): Promise<void> {
    try {
      const stream = await this.opts.open();
      if (this.closed) {
        stream.abort(new Error('link closed'));
        return;
      }
      // Long-lived: a quiet peer must not have its stream timed out from under us.
      stream.inactivityTimeout = 0;
      // We never read on our outbound stream; the peer answers on its own.
      this.out = new FramedStream(stream, MAX_FLOOD_FRAME, { onFrame: () => {}, onEnd: () => (this.out = null) });
      stream.addEventListener('drain', () => {
        if (this.out?.stream === stream) this.pump();
      });
      this.openFailures = 0;
      this.pump();
    } catch (err) {
      // The peer is gone or refuses the protocol: drop what was queued for it; the flood layer forgets it on disconnect.
      for (const f of this.queue) this.opts.onDrop(f.type, f.payload.length);
      this.queue.length = 0;
      this.queuedBytes = 0;
      if (++this.openFailures >= MAX_OPEN_FAILURES) this.close();
      this.opts.onError(err);
    }
  }
}
