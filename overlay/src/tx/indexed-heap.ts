// A binary heap whose items know their position (kept in the item through a slot accessor), so any item can be
// removed in O(log n) without searching, and whose items can be walked in order without popping them: `ordered()`
// is a best-first walk of the heap tree (a small frontier heap of indices), O(k log k) for the first k items.

/** Where an item keeps its index in one heap (an item may sit in several heaps, one slot each). -1 = not in it. */
export interface HeapSlot<T> {
  get(item: T): number;
  set(item: T, index: number): void;
}

export class IndexedHeap<T> {
  private readonly items: T[] = [];
  private readonly before: (a: T, b: T) => boolean;
  private readonly slot: HeapSlot<T>;

  /** `before(a, b)`: a comes out first. Must be a strict total order for `ordered()` to be deterministic. */
  constructor(before: (a: T, b: T) => boolean, slot: HeapSlot<T>) {
    this.before = before;
    this.slot = slot;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const i = this.items.length;
    this.items.push(item);
    this.slot.set(item, i);
    this.up(i);
  }

  /** Removes `item` if it is in this heap; returns whether it was. */
  remove(item: T): boolean {
    const i = this.slot.get(item);
    if (i < 0 || this.items[i] !== item) return false;
    const last = this.items.pop() as T;
    this.slot.set(item, -1);
    if (i < this.items.length) {
      this.items[i] = last;
      this.slot.set(last, i);
      if (!this.up(i)) this.down(i);
    }
    return true;
  }

  /** Items in order, lazily. The heap must not change while the walk is in progress. */
  *ordered(): Generator<T, void, undefined> {
    const items = this.items;
    if (items.length === 0) return;
    const before = (i: number, j: number): boolean => this.before(items[i] as T, items[j] as T);
    // Frontier: indices whose parents were already yielded; its best is the next item overall.
    const frontier: number[] = [0];
    while (frontier.length > 0) {
      const i = popIndex(frontier, before);
      yield items[i] as T;
      const l = 2 * i + 1;
      if (l < items.length) pushIndex(frontier, l, before);
      if (l + 1 < items.length) pushIndex(frontier, l + 1, before);
    }
  }

  /** Sifts up from i; returns whether the item moved. */
  private up(i: number): boolean {
    const items = this.items;
    const item = items[i] as T;
    const start = i;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p] as T;
      if (!this.before(item, parent)) break;
      items[i] = parent;
      this.slot.set(parent, i);
      i = p;
    }
    if (i === start) return false;
    items[i] = item;
    this.slot.set(item, i);
    return true;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i] as T;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(items[r] as T, items[l] as T) ? r : l;
      const child = items[c] as T;
      if (!this.before(child, item)) break;
      items[i] = child;
      this.slot.set(child, i);
      i = c;
    }
    items[i] = item;
    this.slot.set(item, i);
  }
}

// The frontier of `ordered()`: a plain binary heap of indices.

function pushIndex(h: number[], x: number, before: (i: number, j: number) => boolean): void {
  let i = h.length;
  h.push(x);
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = h[p] as number;
    if (!before(x, parent)) break;
    h[i] = parent;
    i = p;
  }
  h[i] = x;
}

function popIndex(h: number[], before: (i: number, j: number) => boolean): number {
  const top = h[0] as number;
  const last = h.pop() as number;
  const n = h.length;
  if (n === 0) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && before(h[r] as number, h[l] as number) ? r : l;
    const child = h[c] as number;
    if (!before(child, last)) break;
    h[i] = child;
    i = c;
  }
  h[i] = last;
  return top;
}
