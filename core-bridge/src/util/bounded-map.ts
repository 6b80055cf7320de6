// An insertion-ordered map bounded by entry count, evicting its oldest entry in O(1) amortised (ipc-protocol's
// OldestKeys), for the reference core's tables.
import { OldestKeys } from '#ipc-protocol';

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
