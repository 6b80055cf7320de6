// Tx sets by hash, kept for a window of ledgers: each set is tagged with the ledger it was built or fetched for and
// dropped once that ledger is `ledgers` behind the last closed one (peers catching up ask for recent sets), and the
// whole cache is capped in bytes, evicting the oldest ledger's sets first.
import { Counter, Gauge, type Registry } from 'prom-client';
import { toHex } from '../util/bytes.ts';

export interface TxSetCacheOptions {
  /** Config tx_sets.cache_ledgers (Overlay V2: 12). */
  ledgers: number;
  /** Config tx_sets.cache_bytes. */
  maxBytes: number;
  registry: Registry;
}

interface Entry {
  xdr: Uint8Array;
  ledgerSeq: number;
}

export type TxSetEviction = 'ledger' | 'bytes';

export class TxSetCache {
  readonly ledgers: number;
  readonly maxBytes: number;
  private readonly entries = new Map<string, Entry>();
  /** Each ledger's hashes, in insertion order (the eviction order within a ledger). */
  private readonly byLedger = new Map<number, Set<string>>();
  private totalBytes = 0;
  private readonly metrics;

  constructor(opts: TxSetCacheOptions) {
    if (opts.ledgers < 1) throw new RangeError('ledgers must be at least 1');
    this.ledgers = opts.ledgers;
    this.maxBytes = opts.maxBytes;
    this.metrics = {
      cached: new Gauge({ name: 'overlay_txset_cached', help: 'Tx sets held', registers: [opts.registry] }),
      cachedBytes: new Gauge({
        name: 'overlay_txset_cached_bytes',
        help: 'Bytes of tx sets held',
        registers: [opts.registry],
      }),
      evicted: new Counter({
        name: 'overlay_txset_evicted_total',
        help: 'Tx sets dropped from the cache, by cause (ledger: out of the window; bytes: over the byte cap)',
        labelNames: ['cause'] as const,
        registers: [opts.registry],
      }),
    };
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Keeps `xdr` (owned by the cache from now on: callers must not change it) for `ledgerSeq`. A set already held is
   * re-tagged with the later of the two ledgers. Returns whether it is held afterwards: not if it alone is over the
   * byte cap, nor if it was the oldest-ledger set evicted to make room.
   */
  add(hash: Uint8Array, xdr: Uint8Array, ledgerSeq: number): boolean {
    const k = toHex(hash);
    const have = this.entries.get(k);
    if (have !== undefined) {
      if (ledgerSeq > have.ledgerSeq) {
        this.unlink(k, have);
        this.link(k, { xdr: have.xdr, ledgerSeq });
      }
      return true;
    }
    if (xdr.length > this.maxBytes) {
      this.metrics.evicted.labels('bytes').inc();
      return false;
    }
    this.link(k, { xdr, ledgerSeq });
    while (this.totalBytes > this.maxBytes) this.evictOldest();
    this.updateGauges();
    return this.entries.has(k);
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.entries.get(toHex(hash))?.xdr;
  }

  has(hash: Uint8Array): boolean {
    return this.entries.has(toHex(hash));
  }

  /** Ledger `seq` closed: drops the sets of ledgers `ledgers` or more behind it. */
  ledgerClosed(seq: number): void {
    const oldestKept = seq - this.ledgers + 1;
    for (const [ledger, keys] of this.byLedger) {
      if (ledger >= oldestKept) continue;
      for (const k of keys) this.drop(k, 'ledger');
    }
    this.updateGauges();
  }

  private evictOldest(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const ledger of this.byLedger.keys()) if (ledger < oldest) oldest = ledger;
    const keys = this.byLedger.get(oldest);
    const first = keys?.values().next();
    if (first === undefined || first.done) return;
    this.drop(first.value, 'bytes');
  }

  private drop(k: string, cause: TxSetEviction): void {
    const e = this.entries.get(k);
    if (e === undefined) return;
    this.unlink(k, e);
    this.metrics.evicted.labels(cause).inc();
  }

  private link(k: string, e: Entry): void {
    this.entries.set(k, e);
    this.totalBytes += e.xdr.length;
    let keys = this.byLedger.get(e.ledgerSeq);
    if (keys === undefined) {
      keys = new Set();
      this.byLedger.set(e.ledgerSeq, keys);
    }
    keys.add(k);
  }

  private unlink(k: string, e: Entry): void {
    this.entries.delete(k);
    this.totalBytes -= e.xdr.length;
    const keys = this.byLedger.get(e.ledgerSeq);
    keys?.delete(k);
    if (keys?.size === 0) this.byLedger.delete(e.ledgerSeq);
  }

  private updateGauges(): void {
    this.metrics.cached.set(this.entries.size);
    this.metrics.cachedBytes.set(this.totalBytes);
  }
}
