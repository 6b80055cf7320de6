// The set of preferred node keys (G...), shared by the connection gater and the peer manager: the configured
// p2p.preferred_peer_keys, plus the key of every peer reached through a preferred address ("host:port"), learned
// when the dial connects. Preferred peers are always admitted and never pruned.

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: bound on keys learned from preferred addresses (one per address; addresses are operator-sized). */
export const MAX_LEARNED_PREFERRED_KEYS = 10_000;

export class PreferredKeys {
  private configured = new Set<string>();
  /** key → the preferred addresses it was reached through. */
  private readonly learned = new Map<string, Set<string>>();

  constructor(keys: Iterable<string> = []) {
    this.setConfigured(keys);
  }

  has(key: string | undefined): boolean {
    return key !== undefined && (this.configured.has(key) || this.learned.has(key));
  }

  isEmpty(): boolean {
    return this.configured.size === 0 && this.learned.size === 0;
  }

  /** Replaces the configured keys (p2p.preferred_peer_keys). */
  setConfigured(keys: Iterable<string>): void {
    this.configured = new Set(keys);
  }

  /** Records that `address` (a preferred "host:port") is held by `key`. Returns true if the key became preferred. */
  learn(key: string, address: string): boolean {
    const before = this.has(key);
    // An address is held by one key at a time (a re-keyed node replaces the old key).
    this.forgetAddress(address);
    let set = this.learned.get(key);
    if (set === undefined) {
      if (this.learned.size >= MAX_LEARNED_PREFERRED_KEYS) return before;
      set = new Set();
      this.learned.set(key, set);
    }
    set.add(address);
    return !before;
  }

  /** Forgets the key learned from `address` (the address is no longer preferred). Returns keys no longer preferred. */
  forgetAddress(address: string): string[] {
    const dropped: string[] = [];
    for (const [key, set] of this.learned) {
      if (set.delete(address) && set.size === 0) {
        this.learned.delete(key);
        if (!this.has(key)) dropped.push(key);
      }
    }
    return dropped;
  }

  /** The key learned from `address`, if any. */
  keyOfAddress(address: string): string | undefined {
    for (const [key, set] of this.learned) if (set.has(address)) return key;
    return undefined;
  }

  keys(): string[] {
    return [...new Set([...this.configured, ...this.learned.keys()])];
  }
}
