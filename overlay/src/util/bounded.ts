// Bounded containers. Every cache in the overlay has a size bound and an eviction rule; these are the two rules
// we use: oldest-inserted first (seen sets) and least-recently-used (caches that are read). Both evict through
// OldestKeys (ipc-protocol), in O(1) amortised.
import { OldestKeys } from '#ipc-protocol';

/** A set that forgets its oldest member past `capacity`. */
export class BoundedSet<T> {
  readonly capacity: number;
  private readonly items = new Set<T>();
  private readonly oldest = new OldestKeys(this.items);
  evictions = 0;

  constructor(capacity: number) {
    if (capacity < 1) throw new RangeError('capacity must be at least 1');
    this.capacity = capacity;
  }

  get size(): number {
    return this.items.size;
  }

  has(x: T): boolean {
    return this.items.has(x);
  }

  /** Adds `x`; returns false if it was already there. */
  add(x: T): boolean {
    if (this.items.has(x)) return false;
    this.items.add(x);
    if (this.items.size > this.capacity) {
      this.items.delete(this.oldest.take() as T);
      this.evictions++;
    }
    return true;
  }

  delete(x: T): boolean {
    return this.items.delete(x);
  }
}

/** A map bounded by entry count and by a cost (bytes); evicts least recently used first. */
export class LruMap<K, V> {
  readonly maxEntries: number;
  readonly maxCost: number;
  private readonly map = new Map<K, { value: V; cost: number }>();
  private readonly oldest = new OldestKeys(this.map);
  private totalCost = 0;
  evictions = 0;

  constructor(maxEntries: number, maxCost = Number.POSITIVE_INFINITY) {
    this.maxEntries = maxEntries;
    this.maxCost = maxCost;
  }

  get size(): number {
    return this.map.size;
  }

  get cost(): number {
    return this.totalCost;
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V, cost = 0): void {
    this.delete(key);
    this.map.set(key, { value, cost });
    this.totalCost += cost;
    while (this.map.size > this.maxEntries || (this.totalCost > this.maxCost && this.map.size > 1)) {
      this.delete(this.oldest.take() as K);
      this.evictions++;
    }
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.map.delete(key);
    this.totalCost -= e.cost;
    return true;
  }

  entries(): IterableIterator<[K, V]> {
    const it = this.map.entries();
    return (function* () {
      for (const [k, e] of it) yield [k, e.value] as [K, V];
    })();
  }
}

/**
 * A set that forgets members after about `generationMs` (kept for one to two generations) and holds at most
 * `capacity`: members live in two generations, and the older is dropped whole when the newer is `generationMs` old or
 * half full. For "seen recently" sets, whose members matter only for a while: under steady traffic the set stays at
 * rate × 1–2 generations instead of filling to its capacity, and a drop costs no per-member work.
 */
export class RecentSet<T> {
  readonly capacity: number;
  readonly generationMs: number;
  private current = new Set<T>();
  private previous = new Set<T>();
  private startedAt: number;
  private readonly now: () => number;
  evictions = 0;

  constructor(capacity: number, generationMs: number, now: () => number = Date.now) {
    if (capacity < 2) throw new RangeError('capacity must be at least 2');
    if (!(generationMs > 0)) throw new RangeError('generationMs must be positive');
    this.capacity = capacity;
    this.generationMs = generationMs;
    this.now = now;
    this.startedAt = now();
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  has(x: T): boolean {
    return this.current.has(x) || this.previous.has(x);
  }

  /** Adds `x`; returns false if it was already there (it then keeps its generation). */
  add(x: T): boolean {
    if (this.has(x)) return false;
    if (this.current.size >= this.capacity >> 1 || this.now() - this.startedAt >= this.generationMs) this.rotate();
    this.current.add(x);
    return true;
  }

  delete(x: T): boolean {
    return this.current.delete(x) || this.previous.delete(x);
  }

  private rotate(): void {
    this.evictions += this.previous.size;
    this.previous = this.current;
    this.current = new Set();
    this.startedAt = this.now();
  }
}
