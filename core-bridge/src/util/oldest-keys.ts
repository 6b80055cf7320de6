// Eviction of the oldest entry of an insertion-ordered Map or Set in O(1) amortised, for the client's and the
// reference core's bounded tables.

/**
 * The oldest key of a Map or Set. `keys().next()` starts at the table's first slot and steps over every deleted
 * entry V8 keeps there until it rehashes: at a bound of 200,000 under churn, tens of thousands of them, 4–25 µs a call
 * (measured; the same helper as overlay/src/util/bounded.ts's, the two sides sharing no code). A live iterator steps
 * over each deleted slot once: V8's Map and Set iterators follow deletions, appends, rehashes and clear(). Correct
 * while every key before the cursor is gone, i.e. the caller deletes each key `take` returns before the next `take`.
 */
export class OldestKeys<K> {
  private readonly of: { keys(): IterableIterator<K>; readonly size: number };
  private cursor: IterableIterator<K> | null = null;

  constructor(of: { keys(): IterableIterator<K>; readonly size: number }) {
    this.of = of;
  }

  /** The oldest key (undefined if empty); the caller deletes it. */
  take(): K | undefined {
    if (this.of.size === 0) return undefined;
    this.cursor ??= this.of.keys();
    const r = this.cursor.next();
    if (!r.done) return r.value;
    // Only if a key the cursor passed was left in place: start over from the first slot.
    this.cursor = this.of.keys();
    return this.cursor.next().value;
  }
}

/** An insertion-ordered map bounded at `max` entries: setting a key moves it last; past the bound the oldest goes. */
export class BoundedMap<K, V> {
  readonly max: number;
  private readonly map = new Map<K, V>();
  private readonly oldest = new OldestKeys(this.map);

  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError('max must be at least 1');
    this.max = max;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Sets `key` last; returns how many of the oldest went to stay within the bound (0 or 1). */
  set(key: K, value: V): number {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.max) return 0;
    this.map.delete(this.oldest.take() as K);
    return 1;
  }
}
