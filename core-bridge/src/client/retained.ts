// What the client keeps to restore a restarted overlay (txs to re-submit, tx sets and quorum sets to re-cache):
// byte blobs by hash, in insertion order, bounded by count and bytes, oldest dropped first (counted). Entries may
// carry the ledger they belong to so old ones can be forgotten as ledgers close.
//
// Every accepted tx passes through here on core's submission path, so an entry is lean: its hash lives only as the
// map key, a latin1 string (one character per byte: half a hex key's length, made by a copy rather than an
// encoding), and is made back into bytes only when read (re-submission and restore, rare).
import { OldestKeys } from '#ipc-protocol';

export interface RetainedEntry {
  readonly hash: Uint8Array;
  readonly bytes: Uint8Array;
  readonly ledgerSeq: number;
}

class Entry implements RetainedEntry {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly ledgerSeq: number;

  constructor(key: string, bytes: Uint8Array, ledgerSeq: number) {
    this.key = key;
    this.bytes = bytes;
    this.ledgerSeq = ledgerSeq;
  }

  get hash(): Uint8Array {
    return Buffer.from(this.key, 'latin1');
  }
}

export class RetainedByHash {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly map = new Map<string, Entry>();
  private readonly oldest = new OldestKeys(this.map);
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
    this.map.set(key, new Entry(key, Buffer.from(bytes), ledgerSeq)); // Buffer.from(view) copies
    this.totalBytes += bytes.length;
    while (this.map.size > this.maxEntries || (this.totalBytes > this.maxBytes && this.map.size > 1)) {
      this.deleteKey(this.oldest.take() as string);
      this.evicted();
    }
  }

  delete(hash: Uint8Array): boolean {
    return this.deleteKey(keyOf(hash));
  }

  /** Forgets entries of ledgers before `ledgerSeq`; returns how many. */
  forgetBefore(ledgerSeq: number): number {
    let n = 0;
    for (const e of this.map.values()) {
      if (e.ledgerSeq < ledgerSeq) {
        this.drop(e);
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
    this.drop(e);
    return true;
  }

  /** One lookup: the entry knows its key. */
  private drop(e: Entry): void {
    this.map.delete(e.key);
    this.totalBytes -= e.bytes.length;
  }
}

function keyOf(hash: Uint8Array): string {
  return (Buffer.isBuffer(hash) ? hash : Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength)).toString('latin1');
}
