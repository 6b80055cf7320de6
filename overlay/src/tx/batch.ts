// The one message between TxChecker and a verify worker: a batch is one ArrayBuffer holding its transactions and
// room for their results. TxChecker copies each tx into it as the tx is queued (BatchWriter), the worker gets a
// copy of the whole (one memcpy: the checker keeps its own to answer from if the worker fails), fills in the results
// and moves it back. The main thread then reads each accepted tx's bytes as a view of the returned buffer: no
// ArrayBuffer per transaction, and one copy per tx on the way in, before the mempool's own.
//   [u32 count][u32 data end][transaction bytes, concatenated][0..3 to align][u32 end offset × n][0..7 to align]
//   [result: f64 worker seconds, f64 key-cache evictions, i64 seq × n, i64 fee × n, hash 32 × n, source 32 × n,
//    u32 ops × n, u8 reason × n]   (reason: TxReason code, NONE = accepted; the other result fields then valid)

const U32 = 4;
const HASH_BYTES = 32;
const KEY_BYTES = 32;
/** The count and data-end words. */
const DATA_AT = 8;
const RESULT_HEADER_BYTES = 16;
const RESULT_BYTES_PER_TX = 8 + 8 + HASH_BYTES + KEY_BYTES + U32 + 1;

const align = (n: number, to: number): number => (n + to - 1) & ~(to - 1);

/** Where the end offsets and the results of a batch of `n` txs whose data ends at `dataEnd` start, and its size. */
function layout(n: number, dataEnd: number): { ends: number; results: number; total: number } {
  const ends = align(dataEnd, U32);
  const results = align(ends + U32 * n, 8);
  return { ends, results, total: results + RESULT_HEADER_BYTES + n * RESULT_BYTES_PER_TX };
}

/** Builds one batch: transactions copied in as added, then `finish` lays out the rest in the same buffer. */
export class BatchWriter {
  private buf: Uint8Array;
  private used = DATA_AT;
  private readonly ends: number[] = [];

  /** Room for `expectedTxs` transactions of `expectedBytes` in all and their results (grown if exceeded). */
  constructor(expectedTxs: number, expectedBytes: number) {
    this.buf = new Uint8Array(layout(expectedTxs, DATA_AT + expectedBytes).total);
  }

  get count(): number {
    return this.ends.length;
  }

  /** Bytes of the transactions added. */
  get bytes(): number {
    return this.used - DATA_AT;
  }

  add(tx: Uint8Array): void {
    this.reserve(this.used + tx.length);
    this.buf.set(tx, this.used);
    this.used += tx.length;
    this.ends.push(this.used);
  }

  /** The transaction `i` added, as a view. */
  tx(i: number): Uint8Array {
    return this.buf.subarray(i === 0 ? DATA_AT : this.ends[i - 1], this.ends[i]);
  }

  /** The batch, ready for a worker; the writer is not to be used after. */
  finish(): ArrayBuffer {
    const n = this.ends.length;
    const l = layout(n, this.used);
    this.reserve(l.total);
    const buffer = this.buf.buffer as ArrayBuffer;
    const words = new Uint32Array(buffer, 0, 2);
    words[0] = n;
    words[1] = this.used;
    new Uint32Array(buffer, l.ends, n).set(this.ends);
    return buffer;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(bytes, 2 * this.buf.length));
    grown.set(this.buf.subarray(0, this.used));
    this.buf = grown;
  }
}

/** A finished batch, read and written in place: its transactions as views, its result fields as typed arrays. */
export class Batch {
  readonly buffer: ArrayBuffer;
  readonly count: number;
  /** [worker seconds, key-cache evictions during this batch] */
  readonly header: Float64Array;
  readonly seqs: BigInt64Array;
  readonly fees: BigInt64Array;
  readonly hashes: Uint8Array;
  readonly sources: Uint8Array;
  readonly ops: Uint32Array;
  readonly reasons: Uint8Array;
  private readonly ends: Uint32Array;
  /** Buffers over `hashes` and `sources`, made on first use: hex of one tx without a Buffer object per call. */
  private hashesBuf: Buffer | null = null;
  private sourcesBuf: Buffer | null = null;

  constructor(buffer: ArrayBuffer) {
    const words = buffer.byteLength >= DATA_AT ? new Uint32Array(buffer, 0, 2) : null;
    const n = words?.[0] ?? 0;
    const dataEnd = words?.[1] ?? 0;
    const l = layout(n, dataEnd);
    if (words === null || dataEnd < DATA_AT || l.total > buffer.byteLength) {
      throw new RangeError(`not a tx batch: ${buffer.byteLength} bytes`);
    }
    this.buffer = buffer;
    this.count = n;
    this.ends = new Uint32Array(buffer, l.ends, n);
    let at = l.results;
    const take = (bytes: number): number => {
      const here = at;
      at += bytes;
      return here;
    };
    // Widest elements first so every view is aligned.
    this.header = new Float64Array(buffer, take(RESULT_HEADER_BYTES), 2);
    this.seqs = new BigInt64Array(buffer, take(8 * n), n);
    this.fees = new BigInt64Array(buffer, take(8 * n), n);
    this.hashes = new Uint8Array(buffer, take(HASH_BYTES * n), HASH_BYTES * n);
    this.sources = new Uint8Array(buffer, take(KEY_BYTES * n), KEY_BYTES * n);
    this.ops = new Uint32Array(buffer, take(U32 * n), n);
    this.reasons = new Uint8Array(buffer, take(n), n);
  }

  get seconds(): number {
    return this.header[0] ?? 0;
  }

  get keyCacheEvictions(): number {
    return this.header[1] ?? 0;
  }

  /** Transaction i's bytes: a view of the batch (it keeps the whole batch alive while kept). */
  tx(i: number): Uint8Array {
    const start = i === 0 ? DATA_AT : (this.ends[i - 1] ?? DATA_AT);
    return new Uint8Array(this.buffer, start, (this.ends[i] ?? start) - start);
  }

  hash(i: number): Uint8Array {
    return this.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  source(i: number): Uint8Array {
    return this.sources.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES);
  }

  /** `hash(i)` as lowercase hex. */
  hashHex(i: number): string {
    return this.hashesBuffer().toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  /** Sets `hash(i)` from the digest as a latin1 string (crypto.hash's cheapest output: no Buffer made). */
  setHash(i: number, latin1: string): void {
    this.hashesBuffer().write(latin1, i * HASH_BYTES, HASH_BYTES, 'binary');
  }

  private hashesBuffer(): Buffer {
    return (this.hashesBuf ??= Buffer.from(this.hashes.buffer, this.hashes.byteOffset, this.hashes.byteLength));
  }

  /** `source(i)` as lowercase hex. */
  sourceHex(i: number): string {
    this.sourcesBuf ??= Buffer.from(this.sources.buffer, this.sources.byteOffset, this.sources.byteLength);
    return this.sourcesBuf.toString('hex', i * KEY_BYTES, (i + 1) * KEY_BYTES);
  }
}
