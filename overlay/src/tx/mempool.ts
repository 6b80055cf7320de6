// The overlay's mempool: checked txs waiting for a ledger. stellar-core's tx queue, simplified to what the overlay
// sees (no ledger state): per-account chains of consecutive sequence numbers, bounded by count and by bytes, ordered
// by exact fee rate, replace-by-fee, expiry after a few ledgers followed by a temporary ban of the hash.
//
// Structures: txs by key (insertion order = age, which expiry walks from the front), chains by account, one sorted
// list of the same txs (best fee rate first: `top` and tx sets read its front, eviction its back), the txs' bytes in
// slabs, bans (insertion order = expiry order) and the last externalized seq of recently seen accounts. Everything
// is bounded by max_txs or a multiple of it. Memory per pending tx: one PooledTx, its bytes in a slab, a slot in
// the sorted list and in two maps (see docs/bench/notes/mempool.md for the figures).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TxReasonName } from '#ipc-protocol';
import { TallyCounter } from '../metrics/tallies.ts';
import { LruMap } from '../util/bounded.ts';
import { toHex } from '../util/bytes.ts';
import { MapRebuildPolicy } from '../util/map-rebuild.ts';
import { ByteSlabs } from './byte-slabs.ts';
import { compareRate, firstComeBestFirst, paysMultipleOf } from './fee-order.ts';
import { PooledTx } from './pooled-tx.ts';
import { SortedList } from './sorted-list.ts';
import type { TxInfo } from './types.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: bans held at most 4 × max_txs (every expiry bans its hashes), the oldest evicted first. */
const BANS_PER_TX = 4;
/** Ours: last externalized seqs remembered for as many accounts as the pool holds txs, least recently used out. */
const ACCOUNT_SEQS_PER_TX = 1;

export type RemovalCause = 'included' | 'stale' | 'expired' | 'evicted' | 'replaced';

export type AddResult =
  | { status: 'ACCEPTED'; evicted: readonly TxInfo[]; replaced: TxInfo | null }
  | { status: 'DUPLICATE' }
  | { status: 'INVALID' | 'TRY_AGAIN_LATER'; reason: TxReasonName };

export interface MempoolOptions {
  maxTxs: number;
  maxBytes: number;
  /** Ledgers a tx may wait before it expires (stellar-core pending depth). */
  pendingLedgers: number;
  /** Ledgers an expired tx's hash stays banned (stellar-core ban depth). */
  banLedgers: number;
  /** Replace-by-fee: the newcomer's fee rate must be at least this multiple of the replaced one's. */
  rbfMultiplier: number;
  registry?: Registry;
  /** Called once for every tx that leaves the pool, whatever the cause, after the pool is consistent again. */
  onRemove?: (tx: TxInfo, cause: RemovalCause) => void;
}

/** An account's pending txs, seq ascending: the tx itself when it is alone (most accounts: no array), else an array. */
type Chain = PooledTx | PooledTx[];
const chainLength = (c: Chain): number => (Array.isArray(c) ? c.length : 1);
const chainHead = (c: Chain): PooledTx => (Array.isArray(c) ? (c[0] as PooledTx) : c);
const chainAt = (c: Chain, i: number): PooledTx => (Array.isArray(c) ? (c[i] as PooledTx) : c);

type Refusal = Exclude<AddResult, { status: 'ACCEPTED' }>;
const DUPLICATE: Refusal = Object.freeze({ status: 'DUPLICATE' });
const BANNED: Refusal = Object.freeze({ status: 'INVALID', reason: 'BANNED' });
const BAD_SEQUENCE: Refusal = Object.freeze({ status: 'INVALID', reason: 'BAD_SEQUENCE' });
const REPLACE_FEE_TOO_LOW: Refusal = Object.freeze({ status: 'INVALID', reason: 'REPLACE_FEE_TOO_LOW' });
const MEMPOOL_FULL: Refusal = Object.freeze({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
/** The usual acceptance (nothing evicted, nothing replaced), shared: no result object per tx. */
const NOTHING_REMOVED: readonly TxInfo[] = Object.freeze([]);
const ACCEPTED_ALONE: AddResult = Object.freeze({ status: 'ACCEPTED', evicted: NOTHING_REMOVED, replaced: null });

const CAUSES: readonly RemovalCause[] = ['included', 'stale', 'expired', 'evicted', 'replaced'];
const OUTCOMES = ['accepted', 'duplicate', 'banned', 'bad_sequence', 'replace_fee_too_low', 'mempool_full'] as const;
type Outcome = (typeof OUTCOMES)[number];
const OUTCOME_INDEX = new Map<Outcome, number>(OUTCOMES.map((o, i) => [o, i]));

/** The index of an add's outcome in OUTCOMES (overlay_mempool_added_total's series). */
function outcomeIndex(r: AddResult): number {
  if (r.status === 'ACCEPTED') return 0;
  if (r.status === 'DUPLICATE') return 1;
  return OUTCOME_INDEX.get(r.reason.toLowerCase() as Outcome) ?? -1;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

export class Mempool {
  readonly maxTxs: number;
  private readonly maxBytes: number;
  private readonly pendingLedgers: number;
  private readonly banLedgers: number;
  private readonly rbfMultiplier: bigint;
  private readonly onRemove: ((tx: TxInfo, cause: RemovalCause) => void) | undefined;

  /** Insertion order is arrival order, so `addedTick` never decreases along it (expiry walks the front). */
  private byKey = new Map<string, PooledTx>();
  /** Per source account, seq ascending and consecutive (no holes); an account without txs has no entry. */
  private accounts = new Map<string, Chain>();
  /** When byKey and accounts are rebuilt, so that churn does not double their hash tables (util/map-rebuild.ts). */
  private readonly rebuild: MapRebuildPolicy;
  /** Every pending tx, best first (`firstComeBestFirst`); the back is the eviction order. */
  private readonly order = new SortedList<PooledTx>(firstComeBestFirst);
  /** Arrivals counted, for the order among equal fee rates (2^53 of them: never wraps). */
  private arrivals = 0;
  /** The envelope of every pending tx. */
  private readonly slabs = new ByteSlabs();
  /** Banned hash → tick at which the ban lifts. Read with `has`/`peek` only, so insertion order = lifting order. */
  private readonly bans: LruMap<string, number>;
  /**
   * Hashes a ledger included, until ban_ledgers ledgers later: a copy still in flight on the network (flooded
   * before the ledger closed) must not re-enter the pool and be proposed again. Bounded at max_txs, oldest first.
   */
  private readonly included: LruMap<string, number>;
  /** Account → seq of its last tx we saw externalized. */
  private readonly lastSeqs: LruMap<string, bigint>;
  private totalBytes = 0;
  /** Ledgers seen (the unit of ages and bans), and the last ledger's sequence number. */
  private tick = 0;
  private lastLedger = 0;
  private readonly metrics;

  constructor(opts: MempoolOptions) {
    positiveInt('maxTxs', opts.maxTxs);
    positiveInt('maxBytes', opts.maxBytes);
    positiveInt('pendingLedgers', opts.pendingLedgers);
    positiveInt('banLedgers', opts.banLedgers);
    positiveInt('rbfMultiplier', opts.rbfMultiplier);
    this.maxTxs = opts.maxTxs;
    this.maxBytes = opts.maxBytes;
    this.pendingLedgers = opts.pendingLedgers;
    this.banLedgers = opts.banLedgers;
    this.rbfMultiplier = BigInt(opts.rbfMultiplier);
    this.onRemove = opts.onRemove;
    this.bans = new LruMap(BANS_PER_TX * opts.maxTxs);
    this.included = new LruMap(opts.maxTxs);
    this.lastSeqs = new LruMap(ACCOUNT_SEQS_PER_TX * opts.maxTxs);
    this.rebuild = new MapRebuildPolicy(opts.maxTxs);
    this.metrics = this.createMetrics(opts.registry);
  }

  private createMetrics(registry: Registry | undefined) {
    const registers = registry ? [registry] : [];
    const pool = this; // the gauges read the pool at scrape time, not on every change
    const gauge = (name: string, help: string, read: () => number): Gauge =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('overlay_mempool_txs', 'Pending transactions', () => pool.byKey.size);
    gauge('overlay_mempool_bytes', 'Bytes of pending transaction envelopes', () => pool.totalBytes);
    gauge('overlay_mempool_accounts', 'Accounts with pending transactions', () => pool.accounts.size);
    gauge('overlay_mempool_banned', 'Banned transaction hashes', () => pool.bans.size);
    gauge('overlay_mempool_account_seqs', 'Accounts whose last externalized seq is remembered', () => pool.lastSeqs.size);
    gauge('overlay_mempool_slab_bytes', 'Bytes of the slabs holding pending transactions (live and freed)', () => pool.slabs.allocatedBytes);
    gauge('overlay_mempool_slabs', 'Slabs holding pending transactions', () => pool.slabs.slabCount);
    gauge('overlay_mempool_slab_moved_bytes', 'Bytes copied by slab compaction since start', () => pool.slabs.movedBytes);
    const removed = new Counter({
      name: 'overlay_mempool_removed_total',
      help: 'Transactions removed from the mempool, by cause',
      labelNames: ['cause'] as const,
      registers,
    });
    // Counted per tx as plain numbers, folded in when read (metrics/tallies.ts).
    const added = new TallyCounter({
      name: 'overlay_mempool_added_total',
      help: 'Transactions offered to the mempool, by outcome',
      labelNames: ['outcome'],
      series: OUTCOMES.map((outcome) => ({ outcome })),
      registers,
    });
    const rebuilds = new Counter({
      name: 'overlay_mempool_table_rebuilds_total',
      help: 'Rebuilds of the mempool’s per-tx maps, which keep their hash tables at the size of a fresh one',
      registers,
    });
    const evictions = new Counter({
      name: 'overlay_mempool_bounded_evictions_total',
      help: 'Entries dropped from the mempool side tables at their bound (bans, account seqs)',
      labelNames: ['table'] as const,
      registers,
    });
    // Children bound once (removals are counted per call, not per tx).
    return {
      removed: Object.fromEntries(CAUSES.map((c) => [c, removed.labels(c)])) as Record<RemovalCause, Counter.Internal>,
      added,
      bansEvicted: evictions.labels('bans'),
      accountSeqsEvicted: evictions.labels('account_seqs'),
      rebuilds,
    };
  }

  get size(): number {
    return this.byKey.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Sequence number of the last closed ledger (0 before the first). */
  get ledgerSeq(): number {
    return this.lastLedger;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  get(key: string): TxInfo | undefined {
    return this.byKey.get(key);
  }

  isBanned(key: string): boolean {
    return this.bans.has(key) || this.included.has(key);
  }

  add(tx: TxInfo): AddResult {
    const r = this.tryAdd(tx);
    this.metrics.added.inc(outcomeIndex(r));
    this.compactTables();
    return r;
  }

  private tryAdd(tx: TxInfo): AddResult {
    if (this.byKey.has(tx.key)) return DUPLICATE;
    if (this.bans.has(tx.key)) return BANNED;
    if (this.included.has(tx.key)) return BAD_SEQUENCE; // its sequence number is spent

    const chain = this.accounts.get(tx.source);
    let replaced: PooledTx | undefined;
    if (chain !== undefined) {
      const length = BigInt(chainLength(chain));
      const offset = tx.seq - chainHead(chain).seq;
      if (offset < 0n || offset > length) return BAD_SEQUENCE;
      if (offset < length) replaced = chainAt(chain, Number(offset));
    } else {
      const last = this.lastSeqs.get(tx.source);
      if (last !== undefined && tx.seq <= last) return BAD_SEQUENCE;
    }

    // The account's string is kept once, whatever string this tx came with.
    const source = chain === undefined ? tx.source : chainHead(chain).source;
    const entry = new PooledTx(tx, source, this.tick, this.arrivals + 1);
    if (replaced !== undefined && !paysMultipleOf(entry, replaced, this.rbfMultiplier)) return REPLACE_FEE_TOO_LOW;

    // Room: what must go beyond the tx being replaced (which leaves anyway).
    const size = entry.size;
    if (size > this.maxBytes) return MEMPOOL_FULL;
    const needTxs = this.byKey.size + (replaced ? 0 : 1) - this.maxTxs;
    const needBytes = this.totalBytes + size - (replaced ? replaced.size : 0) - this.maxBytes;
    let victims: readonly PooledTx[] = [];
    if (needTxs > 0 || needBytes > 0) {
      const plan = this.planEviction(entry, replaced, needTxs, needBytes);
      if (plan === null) return MEMPOOL_FULL;
      victims = plan;
    }

    // Commit: nothing above changed the pool.
    this.arrivals = entry.arrival;
    let evicted = NOTHING_REMOVED;
    if (victims.length > 0) {
      const out: TxInfo[] = [];
      for (const v of victims) if (this.byKey.has(v.key)) this.truncateChain(v, out);
      evicted = out;
    }
    // The account's chain as evictions left it (they may cut the replaced tx's successors, never its predecessors).
    const own = victims.length === 0 ? chain : this.accounts.get(entry.source);
    if (replaced !== undefined) {
      this.unindex(replaced);
      if (Array.isArray(own)) own[Number(entry.seq - chainHead(own).seq)] = entry;
      else this.accounts.set(entry.source, entry);
    } else if (own === undefined) {
      this.accounts.set(entry.source, entry);
    } else if (Array.isArray(own)) {
      own.push(entry);
    } else {
      this.accounts.set(entry.source, [own, entry]);
    }
    this.index(entry, tx);

    this.removed(evicted, 'evicted');
    if (replaced === undefined) return evicted.length === 0 ? ACCEPTED_ALONE : { status: 'ACCEPTED', evicted, replaced: null };
    this.removed([replaced], 'replaced');
    return { status: 'ACCEPTED', evicted, replaced };
  }

  /**
   * The chains to cut (each from the returned entry to its account's end) to free `needTxs` txs and `needBytes`
   * bytes, cheapest first; null if the newcomer does not pay strictly more than every tx that would go, or if the
   * cheapest is one of its own predecessors (a newcomer never cuts the chain it extends; looking past it would make
   * add O(chain) instead of O(log n)).
   */
  private planEviction(newcomer: PooledTx, replaced: PooledTx | undefined, needTxs: number, needBytes: number): PooledTx[] | null {
    const planned = new Set<PooledTx>();
    const cuts: PooledTx[] = [];
    for (const c of this.order.descending()) {
      if (needTxs <= 0 && needBytes <= 0) break;
      if (c === replaced || planned.has(c)) continue;
      if (compareRate(newcomer, c) <= 0) return null;
      if (c.source === newcomer.source && c.seq < newcomer.seq) return null;
      const chain = this.accounts.get(c.source) as Chain;
      const length = chainLength(chain);
      for (let i = Number(c.seq - chainHead(chain).seq); i < length; i++) {
        const s = chainAt(chain, i);
        if (planned.has(s)) break; // the rest of the chain was cut from a cheaper successor
        if (compareRate(newcomer, s) <= 0) return null;
        planned.add(s);
        needTxs--;
        needBytes -= s.size;
      }
      cuts.push(c);
    }
    return needTxs <= 0 && needBytes <= 0 ? cuts : null;
  }

  /** Best fee rate first, at most n (ties by key ascending): the front of the sorted list, O(n). */
  top(n: number): TxInfo[] {
    return n > 0 ? this.order.head(n) : [];
  }

  /** Each account's pending chain, seq ascending. Read them before changing the pool (longer ones are live arrays). */
  *chains(): IterableIterator<readonly TxInfo[]> {
    for (const c of this.accounts.values()) yield Array.isArray(c) ? c : [c];
  }

  /** Every pending tx, in arrival order (a replacement arrives anew). */
  values(): IterableIterator<TxInfo> {
    return this.byKey.values();
  }

  /**
   * A ledger externalized these txs (hashes as bytes or lowercase hex; unknown ones are ignored). Removes them
   * ('included'), remembers each account's last externalized seq and drops the account's txs at or below it ('stale').
   */
  externalized(hashes: Iterable<Uint8Array | string>): TxInfo[] {
    let included: Set<string> | undefined;
    let upTo: Map<string, bigint> | undefined;
    const until = this.tick + this.banLedgers;
    for (const h of hashes) {
      const key = typeof h === 'string' ? h : toHex(h);
      this.included.set(key, until);
      const e = this.byKey.get(key);
      if (e === undefined) continue;
      (included ??= new Set()).add(key);
      upTo ??= new Map();
      const { source, seq } = e;
      const prev = upTo.get(source);
      if (prev === undefined || seq > prev) upTo.set(source, seq);
    }
    if (upTo === undefined || included === undefined) return [];

    const out: TxInfo[] = [];
    const stale: TxInfo[] = [];
    const inc: TxInfo[] = [];
    for (const [source, seq] of upTo) {
      const known = this.lastSeqs.peek(source);
      if (known === undefined || seq > known) this.rememberSeq(source, seq);
      const chain = this.accounts.get(source) as Chain;
      const count = Number(seq - chainHead(chain).seq) + 1;
      for (let i = 0; i < count; i++) {
        const tx = chainAt(chain, i);
        this.unindex(tx);
        (included.has(tx.key) ? inc : stale).push(tx);
        out.push(tx);
      }
      if (count === chainLength(chain)) this.accounts.delete(source);
      else this.shorten(source, chain as PooledTx[], count, chainLength(chain));
    }
    this.removed(inc, 'included');
    this.removed(stale, 'stale');
    this.compactTables();
    return out;
  }

  /**
   * Ledger `seq` closed. Ages count ledgers (a jump of several counts as several; a repeat or an older seq changes
   * nothing). Lifts bans whose time is up, then expires txs added more than pending_ledgers ledgers ago, with their
   * chain successors, and bans their hashes for ban_ledgers ledgers.
   */
  ledgerClosed(seq: number): TxInfo[] {
    if (!Number.isSafeInteger(seq) || seq <= this.lastLedger) return [];
    const steps = this.lastLedger === 0 ? 1 : seq - this.lastLedger;
    this.lastLedger = seq;
    this.tick += steps;

    for (const [key, until] of this.bans.entries()) {
      if (until > this.tick) break;
      this.bans.delete(key);
    }
    for (const [key, until] of this.included.entries()) {
      if (until > this.tick) break;
      this.included.delete(key);
    }

    const expired: TxInfo[] = [];
    for (const e of this.byKey.values()) {
      if (this.tick - e.addedTick <= this.pendingLedgers) break;
      this.truncateChain(e, expired);
    }
    const until = this.tick + this.banLedgers;
    const before = this.bans.evictions;
    for (const tx of expired) this.bans.set(tx.key, until);
    if (this.bans.evictions > before) this.metrics.bansEvicted.inc(this.bans.evictions - before);
    this.removed(expired, 'expired');
    this.compactTables();
    return expired;
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private index(e: PooledTx, tx: TxInfo): void {
    this.byKey.set(e.key, e);
    this.order.insert(e);
    this.slabs.place(e, tx.bytes);
    this.totalBytes += e.size;
  }

  /** Forgets the tx everywhere but its account chain (the caller fixes the chain). */
  private unindex(e: PooledTx): void {
    this.byKey.delete(e.key);
    this.rebuild.deleted();
    this.order.remove(e);
    this.slabs.release(e);
    this.totalBytes -= e.size;
  }

  /** Removes `from` and everything after it in its account's chain (a chain never has holes); appends to `out`. */
  private truncateChain(from: PooledTx, out: TxInfo[]): void {
    const chain = this.accounts.get(from.source) as Chain;
    const start = Number(from.seq - chainHead(chain).seq);
    const length = chainLength(chain);
    for (let i = start; i < length; i++) {
      const tx = chainAt(chain, i);
      this.unindex(tx);
      out.push(tx);
    }
    if (start === 0) this.accounts.delete(from.source);
    else this.shorten(from.source, chain as PooledTx[], 0, start);
  }

  /** Keeps chain[from, to) of a chain of several txs (at least one): the tx alone, or the array cut to it. */
  private shorten(source: string, chain: PooledTx[], from: number, to: number): void {
    if (to - from === 1) {
      this.accounts.set(source, chain[from] as PooledTx);
      return;
    }
    chain.length = to;
    if (from > 0) chain.splice(0, from);
  }

  /**
   * At the end of a public call (never while the pool iterates its maps): rebuilds byKey and accounts once enough
   * deletions have accumulated (util/map-rebuild.ts). Iterators handed out earlier go on over the old maps.
   */
  private compactTables(): void {
    if (!this.rebuild.due()) return;
    this.byKey = new Map(this.byKey);
    this.accounts = new Map(this.accounts);
    this.metrics.rebuilds.inc();
  }

  private rememberSeq(source: string, seq: bigint): void {
    const before = this.lastSeqs.evictions;
    this.lastSeqs.set(source, seq);
    if (this.lastSeqs.evictions > before) this.metrics.accountSeqsEvicted.inc(this.lastSeqs.evictions - before);
  }

  /** Counts removals and tells the listener; called once the pool is consistent. */
  private removed(txs: readonly TxInfo[], cause: RemovalCause): void {
    if (txs.length === 0) return;
    this.metrics.removed[cause].inc(txs.length);
    const listener = this.onRemove;
    if (listener !== undefined) for (const tx of txs) listener(tx, cause);
  }
}
