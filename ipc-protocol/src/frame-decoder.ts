// Incremental frame decoder: feed it socket chunks as they come; it calls back once per whole frame, whatever
// the split or coalescing of frames across reads. A frame that lies wholly inside one chunk is handed out as a
// view of that chunk (no copy); a frame spanning chunks is assembled into its own buffer, which grows as bytes
// arrive rather than being allocated at the announced length: a peer announcing 16 MiB and sending 8 bytes costs
// 64 KiB, not 16 MiB.
//
// Frames come out in one of two forms: `push` hands each one to a callback as a view (`FrameHandler`); `visit`
// hands it as offsets into the bytes that hold it (`FrameVisitor`), so a consumer that decodes in place
// (MessageDecoder) makes only the views its message needs.
import { readU32 } from './bytes.ts';
import { HEADER_SIZE, MAX_PAYLOAD } from './constants.ts';
import { ProtocolError } from './errors.ts';

/**
 * First allocation for a frame that spans reads (or all of it, if smaller); the buffer then doubles, up to the
 * announced length. Ours: one typical Unix-socket read, so frames up to that size are still assembled in one
 * allocation, and a 16 MiB frame costs at most ~1× extra copying on its way up.
 */
const INITIAL_ASSEMBLY = 64 * 1024;

/** The payload of an empty frame (length 0). Never written to: a zero-length view has nothing to write. */
const EMPTY = new Uint8Array(0);

export type FrameHandler = (type: number, payload: Uint8Array) => void;

/**
 * Receives each frame as `bytes[start, end)`: a socket chunk (the frame lay wholly inside it) or the frame's own
 * assembly buffer (it spanned chunks; then start = 0 and end = bytes.length). Valid only during the call.
 */
export interface FrameVisitor {
  frame(type: number, bytes: Uint8Array, start: number, end: number): void;
}

/** `push`'s adapter: one view per frame, as `subarray` of the chunk (a Buffer's views are Buffers). */
class ViewPerFrame implements FrameVisitor {
  onFrame: FrameHandler = () => {};
  frame(type: number, bytes: Uint8Array, start: number, end: number): void {
    this.onFrame(type, start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
  }
}

export interface FrameDecoderOptions {
  /** Largest payload accepted; at most MAX_PAYLOAD (16 MiB). */
  maxPayload?: number;
}

export class FrameDecoder {
  readonly maxPayload: number;
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerFilled = 0;
  /** Assembly buffer of the frame in progress: capacity ≤ its announced length, grown as bytes arrive. */
  private partial: Buffer | null = null;
  private partialLength = 0;
  private partialFilled = 0;
  private partialType = 0;
  private failure: ProtocolError | null = null;
  private readonly views = new ViewPerFrame();
  /** Frames decoded since creation. */
  frames = 0;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxPayload ?? MAX_PAYLOAD;
    if (!Number.isInteger(max) || max < 0 || max > MAX_PAYLOAD) {
      throw new RangeError(`maxPayload must be an integer in 0..${MAX_PAYLOAD}, got ${max}`);
    }
    this.maxPayload = max;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.headerFilled + this.partialFilled;
  }

  /** Bytes allocated for the incomplete frame's payload: grows with what arrives, not with what was announced. */
  get allocated(): number {
    return this.partial === null ? 0 : this.partial.length;
  }

  /**
   * Consumes `chunk`, calling `onFrame` for each complete frame in order. An oversized length raises
   * ProtocolError FRAME_TOO_LARGE (fatal: the stream cannot be resynchronised, and every later push raises it too).
   */
  push(chunk: Uint8Array, onFrame: FrameHandler): void {
    this.views.onFrame = onFrame;
    this.visit(chunk, this.views);
  }

  /** As `push`, handing each frame to `visitor` as offsets instead of a view. */
  visit(chunk: Uint8Array, visitor: FrameVisitor): void {
    if (this.failure) throw this.failure;
    let off = 0;
    const end = chunk.length;

    if (this.headerFilled > 0 || this.partial !== null) {
      off = this.continuePartial(chunk, visitor);
      if (off < 0) return;
    }

    // Fast path: whole frames inside this chunk, handed out in place.
    while (end - off >= HEADER_SIZE) {
      const type = readU32(chunk, off);
      const len = readU32(chunk, off + 4);
      if (len > this.maxPayload) this.tooLarge(type, len);
      if (end - off - HEADER_SIZE < len) break;
      const start = off + HEADER_SIZE;
      off = start + len;
      this.frames++;
      visitor.frame(type, chunk, start, off);
    }

    if (off < end) this.stash(chunk, off, visitor);
  }

  private tooLarge(type: number, len: number): never {
    this.failure = new ProtocolError(
      'FRAME_TOO_LARGE',
      `frame type ${type} announces ${len} payload bytes, limit ${this.maxPayload}`,
      type,
      { fatal: true },
    );
    throw this.failure;
  }

  /** Keeps the tail of a chunk that does not hold a whole frame. */
  private stash(chunk: Uint8Array, off: number, visitor: FrameVisitor): void {
    const take = Math.min(HEADER_SIZE, chunk.length - off);
    this.header.set(chunk.subarray(off, off + take), 0);
    this.headerFilled = take;
    if (take < HEADER_SIZE) return;
    this.beginPayload(visitor, chunk.length - off - take);
    if (this.partial !== null) this.appendPartial(chunk, off + take);
  }

  /** Header complete: validate it and start the payload (or deliver an empty frame); `available` bytes are at hand. */
  private beginPayload(visitor: FrameVisitor, available: number): void {
    const type = readU32(this.header, 0);
    const len = readU32(this.header, 4);
    if (len > this.maxPayload) this.tooLarge(type, len);
    this.headerFilled = 0;
    if (len === 0) {
      this.frames++;
      visitor.frame(type, EMPTY, 0, 0);
      return;
    }
    this.partialType = type;
    this.partialLength = len;
    this.partial = Buffer.allocUnsafe(Math.min(len, Math.max(INITIAL_ASSEMBLY, available)));
    this.partialFilled = 0;
  }

  /** Copies what `chunk` holds of the frame in progress, from `off`; returns the offset reached. */
  private appendPartial(chunk: Uint8Array, off: number): number {
    let partial = this.partial as Buffer;
    const take = Math.min(this.partialLength - this.partialFilled, chunk.length - off);
    const needed = this.partialFilled + take;
    if (needed > partial.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.partialLength, Math.max(needed, 2 * partial.length)));
      partial.copy(grown, 0, 0, this.partialFilled);
      this.partial = partial = grown;
    }
    partial.set(chunk.subarray(off, off + take), this.partialFilled);
    this.partialFilled = needed;
    return off + take;
  }

  /** Continues a frame begun in an earlier chunk. Returns the offset reached, or -1 if the chunk is used up. */
  private continuePartial(chunk: Uint8Array, visitor: FrameVisitor): number {
    let off = 0;
    if (this.partial === null) {
      const take = Math.min(HEADER_SIZE - this.headerFilled, chunk.length);
      this.header.set(chunk.subarray(0, take), this.headerFilled);
      this.headerFilled += take;
      off = take;
      if (this.headerFilled < HEADER_SIZE) return -1;
      this.beginPayload(visitor, chunk.length - off);
      if (this.partial === null) return off; // empty payload, already delivered
    }
    off = this.appendPartial(chunk, off);
    if (this.partialFilled < this.partialLength) return -1;
    // Capacity never exceeds the announced length, so a complete buffer is exactly the payload.
    const payload = this.partial as Buffer;
    this.partial = null;
    this.partialFilled = 0;
    this.frames++;
    visitor.frame(this.partialType, payload, 0, payload.length);
    return off;
  }
}
