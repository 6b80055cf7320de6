// A forward-only reader over XDR bytes (RFC 4506: big-endian, every item padded to 4 bytes), for the hot paths
// that only need a few fields and the byte boundaries of a structure. It never throws: a read past the end, a
// non-zero padding byte or an optional flag other than 0/1 sets `bad`, and the caller gives up on the fast path
// (the full stellar-base decoder then has the last word).

export class XdrCursor {
  readonly buf: Buffer;
  pos: number;
  /** Set by the first malformed read; every later read returns zeros. */
  bad = false;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  get atEnd(): boolean {
    return this.pos === this.buf.length;
  }

  private take(n: number): number {
    const at = this.pos;
    if (this.bad || at + n > this.buf.length) {
      this.bad = true;
      return -1;
    }
    this.pos = at + n;
    return at;
  }

  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readUInt32BE(at);
  }

  i32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readInt32BE(at);
  }

  i64(): bigint {
    const at = this.take(8);
    return at < 0 ? 0n : this.buf.readBigInt64BE(at);
  }

  /** `n` bytes (a view, not a copy), followed by their padding. */
  fixed(n: number): Buffer {
    const at = this.take(n);
    if (at < 0) return EMPTY;
    this.padding(n);
    return this.buf.subarray(at, at + n);
  }

  skip(n: number): void {
    this.fixed(n);
  }

  /** Variable-length opaque or string of at most `max` bytes: length, bytes, padding. */
  variable(max: number): Buffer {
    const n = this.u32();
    if (n > max) {
      this.bad = true;
      return EMPTY;
    }
    return this.fixed(n);
  }

  /** An optional's presence flag (XDR bool). */
  present(): boolean {
    const v = this.u32();
    if (v > 1) this.bad = true;
    return v === 1;
  }

  /** An array's length, refused beyond `max` (or beyond what the remaining bytes could hold at 4 bytes each). */
  count(max: number): number {
    const n = this.u32();
    if (n > max || n * 4 > this.buf.length - this.pos) {
      this.bad = true;
      return 0;
    }
    return n;
  }

  private padding(n: number): void {
    const pad = (4 - (n % 4)) % 4;
    if (pad === 0) return;
    const at = this.take(pad);
    if (at < 0) return;
    for (let i = 0; i < pad; i++) if (this.buf[at + i] !== 0) this.bad = true;
  }
}

const EMPTY = Buffer.alloc(0);
