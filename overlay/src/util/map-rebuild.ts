// When to rebuild a Map that churns. V8's Map is a hash table whose deleted entries keep their slots until it is
// rehashed, and it doubles when live + deleted entries fill it with fewer than half deleted
// (OrderedHashTable::EnsureCapacityForAdding). Under churn a Map of 100,000 live entries thus ends at 2^18 slots
// (7 MB without pointer compression) where a fresh one built from them has 2^17. Rebuilding it (`new Map(old)`: same
// entries, same order) once deletions since the last rebuild reach a share of the spare slots a fresh table for
// the capacity has keeps it at the fresh size. bench-mempool: −7 MB of heap per 100,000-entry map; a rebuild costs
// 10–40 ms per map of 100,000 (~1 µs per deletion).

/** Ours: 3/4 of the spare slots leaves room for the deletions of one call (evicting, externalizing, expiring several
 * entries) before the check at its end. */
const REBUILD_AT_SPARE_SHARE = 0.75;
/** Ours: when a fresh table has fewer spare slots than this share of the capacity, rebuilding often would cost more
 * CPU than the halved tables save, and the maps are left to double. */
const MIN_SPARE_SHARE = 1 / 16;

/** Counts deletions from maps of at most `capacity` live entries and says when to rebuild them. */
export class MapRebuildPolicy {
  /** Deletions that make a rebuild due (Infinity: never). */
  readonly after: number;
  private deletions = 0;

  constructor(capacity: number) {
    const spare = 2 ** Math.ceil(Math.log2(Math.max(1, capacity))) - capacity;
    this.after = spare >= MIN_SPARE_SHARE * capacity ? Math.max(1, Math.floor(REBUILD_AT_SPARE_SHARE * spare)) : Infinity;
  }

  deleted(n = 1): void {
    this.deletions += n;
  }

  /** Whether the maps should be rebuilt now; when true, the count starts again. Call it where no one iterates them. */
  due(): boolean {
    if (this.deletions < this.after) return false;
    this.deletions = 0;
    return true;
  }
}
