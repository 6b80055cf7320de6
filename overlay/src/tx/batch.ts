// The two messages between TxChecker and a verify worker, each one ArrayBuffer transferred (never cloned), so a
// batch crosses the thread boundary as one object each way instead of one per transaction.
//   request: [u32 count][u32 end offset × count][transaction bytes, concatenated]
//   result:  [f64 worker seconds][f64 key-cache evictions][i64 seq × n][i64 fee × n][hash 32 × n][source 32 × n]
//            [u32 ops × n][u8 reason × n]   (reason: TxReason code, NONE = accepted; the other fields then valid)

const U32 = 4;
const HASH_BYTES = 32;
const KEY_BYTES = 32;
const RESULT_HEADER_BYTES = 16;

export function packBatch(txs: readonly Uint8Array[]): ArrayBuffer {
  const header = U32 * (1 + txs.length);
  let total = header;
  for (const t of txs) total += t.length;
  const buf = new ArrayBuffer(total);
  const ends = new Uint32Array(buf, 0, 1 + txs.length);
  const data = new Uint8Array(buf, header);
  ends[0] = txs.length;
  let at = 0;
  txs.forEach((t, i) => {
    data.set(t, at);
    at += t.length;
    ends[1 + i] = at;
  });
  return buf;
}

/** Views of each transaction in a packed request (no copies). */
export function unpackBatch(buf: ArrayBuffer): Uint8Array[] {
  const count = new Uint32Array(buf, 0, 1)[0] ?? 0;
  const ends = new Uint32Array(buf, U32, count);
  const data = new Uint8Array(buf, U32 * (1 + count));
  const out: Uint8Array[] = [];
  let start = 0;
  for (const end of ends) {
    out.push(data.subarray(start, end));
    start = end;
  }
  return out;
}

/** Typed views over a result buffer of `count` transactions. */
export class BatchResult {
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
  /** Buffers over `hashes` and `sources`, made on first use: hex of one tx without a Buffer object per call. */
  private hashesBuf: Buffer | null = null;
  private sourcesBuf: Buffer | null = null;

  constructor(buffer: ArrayBuffer) {
    const n = (buffer.byteLength - RESULT_HEADER_BYTES) / BatchResult.bytesPerTx;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`not a batch result: ${buffer.byteLength} bytes`);
    this.buffer = buffer;
    this.count = n;
    let at = 0;
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

  static readonly bytesPerTx = 8 + 8 + HASH_BYTES + KEY_BYTES + U32 + 1;

  static alloc(count: number): BatchResult {
    return new BatchResult(new ArrayBuffer(RESULT_HEADER_BYTES + count * BatchResult.bytesPerTx));
  }

  get seconds(): number {
    return this.header[0] ?? 0;
  }

  get keyCacheEvictions(): number {
    return this.header[1] ?? 0;
  }

  hash(i: number): Uint8Array {
    return this.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  source(i: number): Uint8Array {
    return this.sources.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES);
  }

  /** `hash(i)` as lowercase hex. */
  hashHex(i: number): string {
    this.hashesBuf ??= Buffer.from(this.hashes.buffer, this.hashes.byteOffset, this.hashes.byteLength);
    return this.hashesBuf.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  /** `source(i)` as lowercase hex. */
  sourceHex(i: number): string {
    this.sourcesBuf ??= Buffer.from(this.sources.buffer, this.sources.byteOffset, this.sources.byteLength);
    return this.sourcesBuf.toString('hex', i * KEY_BYTES, (i + 1) * KEY_BYTES);
  }
}
