// The oldest key of an insertion-ordered Map or Set, for the bounded tables of both sides (the overlay's caches and
// seen sets, core-bridge's retained txs and the reference core's tables). Not wire format: it lives here because
// this is the one package both sides import, and they share nothing else.

/**
 * The oldest key of a Map or Set. `keys().next()` starts at the table's first slot and steps over every deleted
 * entry V8 keeps there until it rehashes: at a bound of 200,000 under churn, tens of thousands of them, 4–25 µs a call
 * (measured). A live iterator steps over each deleted slot once: V8's Map and Set iterators follow deletions,
 * appends, rehashes and clear(). Correct while every key before the cursor is gone, i.e. the caller deletes each key
 * `take` returns before the next `take`.
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
