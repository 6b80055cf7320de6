// A sorted list of distinct items under a strict total order, kept as a short list of sorted blocks (the layout of
// Python's sortedcontainers): insert and remove cost O(log n) comparisons plus moving at most 2 × BLOCK pointers,
// and either end can be walked item by item without comparing or touching the rest, so the first k cost O(k).
// The mempool keeps one: best fee rate first for `top` and tx sets, walked from the back for eviction.

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: blocks hold BLOCK..2 × BLOCK items (a split at 2 × BLOCK); ~1 µs splices, 400 blocks for 100,000 items. */
const BLOCK = 256;
/** Ours: a block shrunk below this merges into a neighbour, so removals never leave many tiny blocks. */
const MIN_BLOCK = BLOCK / 4;

export class SortedList<T> {
  private readonly before: (a: T, b: T) => boolean;
  /** Non-empty sorted blocks; the last item of each block is before the first of the next. */
  private blocks: T[][] = [];
  private count = 0;

  /** `before(a, b)`: a sorts first. Must be a strict total order that does not change while an item is listed. */
  constructor(before: (a: T, b: T) => boolean) {
    this.before = before;
  }

  get size(): number {
    return this.count;
  }

  /** The first item, if any. */
  first(): T | undefined {
    return this.blocks[0]?.[0];
  }

  /** The last item, if any. */
  last(): T | undefined {
    const b = this.blocks.at(-1);
    return b?.[b.length - 1];
  }

  insert(item: T): void {
    const blocks = this.blocks;
    if (blocks.length === 0) {
      blocks.push([item]);
      this.count = 1;
      return;
    }
    const bi = Math.min(this.blockFor(item), blocks.length - 1);
    const block = blocks[bi] as T[];
    block.splice(this.indexIn(block, item), 0, item);
    this.count++;
    if (block.length >= 2 * BLOCK) blocks.splice(bi + 1, 0, block.splice(BLOCK));
  }

  /** Removes `item` (the same object) if listed; returns whether it was. */
  remove(item: T): boolean {
    const blocks = this.blocks;
    const bi = this.blockFor(item);
    const block = blocks[bi];
    if (block === undefined) return false;
    const i = this.indexIn(block, item);
    if (block[i] !== item) return false;
    block.splice(i, 1);
    this.count--;
    if (block.length === 0) blocks.splice(bi, 1);
    else if (block.length < MIN_BLOCK && blocks.length > 1) this.merge(bi);
    return true;
  }

  /** Items first to last, lazily. The list must not change while the walk is in progress. */
  *ascending(): Generator<T, void, undefined> {
    for (const block of this.blocks) yield* block;
  }

  /** Items last to first, lazily. The list must not change while the walk is in progress. */
  *descending(): Generator<T, void, undefined> {
    const blocks = this.blocks;
    for (let b = blocks.length - 1; b >= 0; b--) {
      const block = blocks[b] as T[];
      for (let i = block.length - 1; i >= 0; i--) yield block[i] as T;
    }
  }

  /** The first `n` items, in order (no comparisons). */
  head(n: number): T[] {
    const out: T[] = [];
    for (const block of this.blocks) {
      if (out.length >= n) break;
      const take = Math.min(block.length, n - out.length);
      for (let i = 0; i < take; i++) out.push(block[i] as T);
    }
    return out;
  }

  /** Index of the first block whose last item is not before `item` (blocks.length if every block is). */
  private blockFor(item: T): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const block = blocks[mid] as T[];
      if (this.before(block[block.length - 1] as T, item)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first item of `block` not before `item`. */
  private indexIn(block: readonly T[], item: T): number {
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.before(block[mid] as T, item)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Merges the small block at `bi` with a neighbour, splitting again if the result is too large. */
  private merge(bi: number): void {
    const blocks = this.blocks;
    const at = bi > 0 ? bi - 1 : bi; // merge into the previous block, or the next into this one
    const left = blocks[at] as T[];
    const right = blocks[at + 1] as T[];
    for (const x of right) left.push(x);
    blocks.splice(at + 1, 1);
    if (left.length >= 2 * BLOCK) blocks.splice(at + 1, 0, left.splice(BLOCK));
  }
}
