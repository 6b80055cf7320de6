// What the client keeps to restore a restarted overlay (txs to re-submit, tx sets and quorum sets to re-cache):
// byte blobs by hash, in insertion order, bounded by count and bytes, oldest dropped first (counted). Entries may
// carry the ledger they belong to so old ones can be forgotten as ledgers close.

export interface RetainedEntry {
  readonly hash: Uint8Array;
  readonly bytes: Uint8Array;
  readonly ledgerSeq: number;
}

export class RetainedByHash {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly map = new Map<string, RetainedEntry>();
  private totalBytes = 0;
  private readonly onEvict: () => void;
  /** Entries dropped to stay within the bounds (not those deleted or forgotten on purpose). */
  evictions = 0;

  constructor(opts: { maxEntries: number; maxBytes?: number; onEvict?: () => void }) {
    if (!(opts.maxEntries >= 0)) throw new RangeError('maxEntries must be >= 0');
    this.maxEntries = opts.maxEntries;
    this.maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    this.onEvict = opts.onEvict ?? (() => {});
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  has(hash: Uint8Array): boolean {
    return this.map.has(keyOf(hash));
  }

  /** Keeps a copy of `bytes` (callers' buffers and decoded views are not ours to hold). Re-adding moves it last. */
  add(hash: Uint8Array, bytes: Uint8Array, ledgerSeq = 0): void {
    if (this.maxEntries === 0) return this.evicted();
    const key = keyOf(hash);
    this.deleteKey(key);
    this.map.set(key, { hash: Buffer.from(hash), bytes: Buffer.from(bytes), ledgerSeq }); // Buffer.from(view) copies
    this.totalBytes += bytes.length;
    while (this.map.size > this.maxEntries || (this.totalBytes > this.maxBytes && this.map.size > 1)) {
      this.deleteKey(this.map.keys().next().value as string);
      this.evicted();
    }
  }

  delete(hash: Uint8Array): boolean {
    return this.deleteKey(keyOf(hash));
  }

  /** Forgets entries of ledgers before `ledgerSeq`; returns how many. */
  forgetBefore(ledgerSeq: number): number {
    let n = 0;
    for (const [key, e] of this.map) {
      if (e.ledgerSeq < ledgerSeq) {
        this.deleteKey(key);
        n++;
      }
    }
    return n;
  }

  /** Oldest first. */
  values(): IterableIterator<RetainedEntry> {
    return this.map.values();
  }

  private evicted(): void {
    this.evictions++;
    this.onEvict();
  }

  private deleteKey(key: string): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.map.delete(key);
    this.totalBytes -= e.bytes.length;
    return true;
  }
}

function keyOf(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}
