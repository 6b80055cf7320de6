// Byte records packed into large shared ArrayBuffers ("slabs") instead of one ArrayBuffer each: a 256-byte
// Uint8Array of its own costs ~800 bytes of RSS (the JS ArrayBuffer and view objects, the backing store's native
// bookkeeping, malloc rounding), the same bytes in a slab cost themselves. Records are appended (bump allocation) and
// never overwritten, so a view taken of a record stays valid after the record is released or moved (it keeps its old
// slab alive until the view is dropped). A slab fallen below half live is compacted: its live records are copied to
// the current slab and it is dropped, so the slabs hold at most twice the live bytes (about 4/3 when removals are
// spread evenly, as evictions are), for at most one byte copied per byte released.

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: 1 MiB slabs (~3,500 txs of 256 B); 128 of them for a full default mempool of small txs. */
export const SLAB_BYTES = 1 << 20;
/** Ours: a record larger than this gets a slab of its own, exactly its size (so a slab wastes at most this at its end). */
const OWN_SLAB_OVER = SLAB_BYTES / 8;
/**
 * Ours: a slab other than the current one is compacted once its live bytes fall below this share of its used bytes.
 * Measured (bench-mempool, a full pool under evicting load, A/B twice): 0.5 held the slabs at 1.41 × the live bytes
 * and the overlay at 316–319 MB RSS; 0.75 held them at 1.12 × but the overlay at 336 MB: the extra slabs it frees
 * and allocates (up to 3 bytes copied per byte released) leave more of malloc's memory fragmented than they save.
 */
export const COMPACT_BELOW = 0.5;

/** One shared buffer; `members` are the records placed in it and not released (their `slot` is their index). */
export interface Slab {
  readonly buffer: ArrayBuffer;
  /** All of `buffer`: records are copied in at an offset, without a view made per record. */
  readonly bytes: Uint8Array;
  used: number;
  live: number;
  readonly members: SlabRecord[];
}

/**
 * What the owner of a record keeps: where its bytes are (the store updates these when it moves the record) and its
 * index among its slab's members, -1 once released (a released record keeps pointing at its last bytes).
 */
export interface SlabRecord {
  slab: Slab | null;
  at: number;
  slot: number;
  /** Bytes of the record (fixed once placed). */
  readonly storedBytes: number;
}

export class ByteSlabs {
  private readonly slabs = new Set<Slab>();
  private current: Slab | null = null;
  private liveBytes = 0;
  private allocated = 0;
  /** Bytes copied by compaction (since start). */
  movedBytes = 0;

  /** Slabs held (the current one included). */
  get slabCount(): number {
    return this.slabs.size;
  }

  /** Bytes of all slabs held. */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Bytes of records placed and not released. */
  get bytes(): number {
    return this.liveBytes;
  }

  /** Copies `bytes` as the record `rec` (of `rec.storedBytes` bytes, their length). */
  place(rec: SlabRecord, bytes: Uint8Array): void {
    const n = rec.storedBytes;
    if (bytes.length !== n) throw new RangeError(`record of ${n} bytes given ${bytes.length}`);
    const slab = this.room(n);
    slab.bytes.set(bytes, slab.used);
    this.attach(rec, slab, slab.used);
    slab.used += n;
    this.liveBytes += n;
  }

  /** The record left: its bytes count as free, yet stay readable through it and through views already taken. */
  release(rec: SlabRecord): void {
    const slab = rec.slab;
    if (slab === null || rec.slot < 0) return;
    this.detach(rec, slab);
    rec.slot = -1;
    this.liveBytes -= rec.storedBytes;
    if (slab !== this.current) this.tidy(slab);
  }

  /** A view of the bytes [from, from + length) of a record placed at some point. */
  static view(rec: SlabRecord, from: number, length: number): Uint8Array {
    if (rec.slab === null) throw new RangeError('record never placed');
    return new Uint8Array(rec.slab.buffer, rec.at + from, length);
  }

  /** A slab with `n` bytes free: the current one, a new current one, or one of its own for a large record. */
  private room(n: number): Slab {
    if (n > OWN_SLAB_OVER) return this.newSlab(n);
    const cur = this.current;
    if (cur !== null && cur.buffer.byteLength - cur.used >= n) return cur;
    const next = this.newSlab(SLAB_BYTES);
    this.current = next;
    if (cur !== null) this.tidy(cur); // retired: compacted now if already sparse
    return next;
  }

  private newSlab(bytes: number): Slab {
    const buffer = new ArrayBuffer(bytes);
    const slab: Slab = { buffer, bytes: new Uint8Array(buffer), used: 0, live: 0, members: [] };
    this.slabs.add(slab);
    this.allocated += bytes;
    return slab;
  }

  /** A slab other than the current one: dropped once empty, compacted once sparse. */
  private tidy(slab: Slab): void {
    if (slab.live > 0 && slab.live >= COMPACT_BELOW * slab.used) return;
    const movers = slab.members.splice(0);
    slab.live = 0;
    for (const rec of movers) {
      const n = rec.storedBytes;
      const to = this.room(n);
      to.bytes.set(slab.bytes.subarray(rec.at, rec.at + n), to.used);
      this.attach(rec, to, to.used);
      to.used += n;
      this.movedBytes += n;
    }
    this.slabs.delete(slab);
    this.allocated -= slab.buffer.byteLength;
  }

  private attach(rec: SlabRecord, slab: Slab, at: number): void {
    rec.slab = slab;
    rec.at = at;
    rec.slot = slab.members.length;
    slab.members.push(rec);
    slab.live += rec.storedBytes;
  }

  private detach(rec: SlabRecord, slab: Slab): void {
    const last = slab.members.pop() as SlabRecord;
    if (last !== rec) {
      slab.members[rec.slot] = last;
      last.slot = rec.slot;
    }
    slab.live -= rec.storedBytes;
  }
}
