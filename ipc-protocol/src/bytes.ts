// Cursor-based reader and growable writer over little-endian bytes. Readers hand out zero-copy views
// (subarray); a consumer that keeps a view beyond the current frame must copy it (see docs/ipc-protocol.md §3).
import { ProtocolError } from './errors.ts';

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const textEncoder = new TextEncoder();

export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos = 0;
  /** Frame type, for the errors this reader raises. */
  readonly frameType: number;

  constructor(bytes: Uint8Array, frameType = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.frameType = frameType;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): number {
    if (this.remaining < n) {
      throw new ProtocolError(
        'MALFORMED_PAYLOAD',
        `truncated payload: ${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`,
        this.frameType,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(what = 'u8'): number {
    return this.view.getUint8(this.need(1, what));
  }

  u16(what = 'u16'): number {
    return this.view.getUint16(this.need(2, what), true);
  }

  u32(what = 'u32'): number {
    return this.view.getUint32(this.need(4, what), true);
  }

  u64(what = 'u64'): bigint {
    return this.view.getBigUint64(this.need(8, what), true);
  }

  i64(what = 'i64'): bigint {
    return this.view.getBigInt64(this.need(8, what), true);
  }

  bytesView(n: number, what = 'bytes'): Uint8Array {
    const at = this.need(n, what);
    return this.bytes.subarray(at, at + n);
  }

  rest(): Uint8Array {
    return this.bytesView(this.remaining);
  }

  utf8(n: number, what = 'string'): string {
    const raw = this.bytesView(n, what);
    try {
      return textDecoder.decode(raw);
    } catch (cause) {
      throw new ProtocolError('MALFORMED_PAYLOAD', `${what} is not valid UTF-8`, this.frameType, { cause });
    }
  }

  /** Every payload must be consumed exactly: trailing bytes mean the layout is not the one we know. */
  end(): void {
    if (this.remaining !== 0) {
      throw new ProtocolError(
        'MALFORMED_PAYLOAD',
        `${this.remaining} trailing bytes after the payload`,
        this.frameType,
      );
    }
  }
}

/** Growable little-endian writer. `reserve` grows the buffer geometrically so a tick of frames is one allocation. */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reserve(n: number): void {
    const needed = this.pos + n;
    if (needed <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.reserve(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  u64(v: bigint): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.reserve(8);
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  utf8(s: string): void {
    const max = s.length * 3;
    this.reserve(max);
    this.pos += textEncoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + max)).written;
  }

  /** Bytes written so far, as a view. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Hands the written bytes over and starts afresh with a new buffer (the old one may still be in flight). */
  take(nextSize = this.buf.length): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(nextSize);
    this.pos = 0;
    return out;
  }
}
