// Tx-set assembly: surge pricing over the mempool's per-account chains, then a GeneralizedTransactionSet v1 in the
// shape stellar-core builds since protocol 20 — phase 0 (classic) with one TXSET_COMP_TXS_MAYBE_DISCOUNTED_FEE
// component, phase 1 (soroban) with no components.
import { createHash } from 'node:crypto';
import { bestFirst, type FeeKey } from '../tx/fee-order.ts';
import { compareFeeRate, type TxInfo } from '../tx/types.ts';

/** stellar-core: a GeneralizedTransactionSet has this version, and exactly two phases (classic, soroban). */
const GENERALIZED_TX_SET_VERSION = 1;
/** stellar-core: TransactionPhase v0 = a list of components (v1, parallel, is soroban-only). */
const PHASE_V0 = 0;

export interface BuiltTxSet {
  /** SHA-256 of `xdr`: the value SCP nominates (stellar-core hashes a generalized set's XDR as is). */
  hash: Uint8Array;
  /** The GeneralizedTransactionSet XDR. */
  xdr: Uint8Array;
  /** The included txs, in XDR order. */
  txs: TxInfo[];
  /** The classic component's base fee (per op); null = absent (each tx is charged its own bid). */
  baseFee: bigint | null;
  /** Operations included. */
  ops: number;
  /** Sum of the included envelopes' XDR sizes: what `maxBytes` bounds. */
  bytes: number;
}

export interface BuildTxSetOptions {
  previousLedgerHash: Uint8Array;
  /** Classic operations the set may hold (the ledger header's maxTxSetSize). */
  maxOps: number;
  /** Bytes of transaction envelopes the set may hold (the set's own framing, ~100 bytes, is not counted). */
  maxBytes: number;
  /** One chain per source account, in sequence order: a tx is eligible only once its predecessor is in. */
  chains: Iterable<readonly TxInfo[]>;
  /**
   * The ledger's base fee. stellar-core puts it in the component when nothing was left out (so txs pay the base
   * fee, not their bid); absent here → the component's base fee is absent when nothing was left out.
   */
  ledgerBaseFee?: bigint;
}

/**
 * A chain and its next candidate, whose fee key it carries (with the fee as a Number, so that comparing heads needs
 * no BigInt arithmetic: a mempool of 100,000 txs is up to 100,000 chains to order on every build).
 */
class Head implements FeeKey {
  readonly chain: readonly TxInfo[];
  next = -1;
  fee = 0n;
  ops = 0;
  feeNum = 0;
  key = '';

  constructor(chain: readonly TxInfo[]) {
    this.chain = chain;
    this.advance();
  }

  get tx(): TxInfo {
    return this.chain[this.next]!;
  }

  /** Moves to the next tx of the chain; false at its end. */
  advance(): boolean {
    const tx = this.chain[++this.next];
    if (tx === undefined) return false;
    this.fee = tx.fee;
    this.ops = tx.ops;
    this.feeNum = Number(tx.fee);
    this.key = tx.key;
    return true;
  }
}


export function buildTxSet(opts: BuildTxSetOptions): BuiltTxSet {
  const all: Head[] = [];
  const sources = new Set<string>();
  for (const chain of opts.chains) {
    checkChain(chain, sources);
    if (chain.length > 0) all.push(new Head(chain));
  }
  const heads = new HeadHeap(all);

  const included: TxInfo[] = [];
  let ops = 0;
  let bytes = 0;
  let leftOut = false;
  let lowest: TxInfo | null = null;
  let head = heads.pop();
  for (; head !== undefined && ops < opts.maxOps; head = heads.pop()) {
    const tx = head.tx;
    const size = tx.bytes.length;
    if (ops + tx.ops > opts.maxOps || bytes + size > opts.maxBytes) {
      // No room: this tx and its chain successors (which need it applied first) stay out; others may still fit.
      leftOut = true;
      continue;
    }
    included.push(tx);
    ops += tx.ops;
    bytes += size;
    if (lowest === null || compareFeeRate(tx, lowest) < 0) lowest = tx;
    if (head.advance()) heads.push(head);
  }

  // Every tx has at least one operation: a full set ends the walk, and whatever is left was left out.
  if (head !== undefined) leftOut = true;

  // Surge pricing in effect: everyone pays the lowest included rate (stellar-core rounds it down since soroban).
  const baseFee =
    leftOut && lowest !== null ? lowest.fee / BigInt(Math.max(lowest.ops, 1)) : (opts.ledgerBaseFee ?? null);

  // XDR order: by full hash (= tx key), as stellar-core requires of every component (it refuses a set whose txs are
  // not hash-sorted). It is not the apply order: core derives that itself, keeping each account's txs in sequence
  // order and shuffling accounts with the set hash. Sorting also makes the bytes independent of input order.
  included.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out = Buffer.from(toGeneralizedXdr(opts.previousLedgerHash, included, baseFee));
  return {
    hash: createHash('sha256').update(out).digest(),
    xdr: out,
    txs: included,
    baseFee,
    ops,
    bytes,
  };
}

/** stellar-core: TxSetComponentType TXSET_COMP_TXS_MAYBE_DISCOUNTED_FEE. */
const TXSET_COMP_TXS_MAYBE_DISCOUNTED_FEE = 0;

/**
 * The GeneralizedTransactionSet XDR, written directly around the envelopes' own bytes: decoding and re-encoding
 * every envelope through stellar-base cost ~110 ms per 1,000 txs on the event loop. The unit tests check these bytes
 * against stellar-base's encoding of the same set.
 */
function toGeneralizedXdr(previousLedgerHash: Uint8Array, txs: readonly TxInfo[], baseFee: bigint | null): Buffer {
  let size = 4 + 32 + 4 + (4 + 4) + (4 + 4); // version, prev hash, phase count, two empty phases
  // stellar-core refuses an empty component: an empty classic phase has no component at all.
  if (txs.length > 0) {
    size += 4 + 4 + (baseFee === null ? 0 : 8) + 4; // component type, optional flag (+ fee), tx count
    for (const t of txs) size += t.bytes.length;
  }
  const b = Buffer.allocUnsafe(size);
  let o = b.writeInt32BE(GENERALIZED_TX_SET_VERSION, 0);
  b.set(previousLedgerHash, o);
  o += 32;
  o = b.writeUInt32BE(2, o); // phases: classic, soroban
  o = b.writeInt32BE(PHASE_V0, o);
  o = b.writeUInt32BE(txs.length > 0 ? 1 : 0, o);
  if (txs.length > 0) {
    o = b.writeInt32BE(TXSET_COMP_TXS_MAYBE_DISCOUNTED_FEE, o);
    o = b.writeUInt32BE(baseFee === null ? 0 : 1, o);
    if (baseFee !== null) o = b.writeBigInt64BE(baseFee, o);
    o = b.writeUInt32BE(txs.length, o);
    for (const t of txs) {
      b.set(t.bytes, o);
      o += t.bytes.length;
    }
  }
  o = b.writeInt32BE(PHASE_V0, o);
  o = b.writeUInt32BE(0, o);
  return b;
}

/** A chain must be one account's txs in strictly increasing sequence order, and the only chain of that account. */
function checkChain(chain: readonly TxInfo[], sources: Set<string>): void {
  const first = chain[0];
  if (first === undefined) return;
  if (sources.has(first.source)) throw new RangeError(`two chains for account ${first.source}`);
  sources.add(first.source);
  for (let i = 1; i < chain.length; i++) {
    const prev = chain[i - 1]!;
    const tx = chain[i]!;
    if (tx.source !== first.source) throw new RangeError(`chain of ${first.source} holds a tx of ${tx.source}`);
    if (tx.seq <= prev.seq) throw new RangeError(`chain of ${first.source} is not in sequence order`);
  }
}

/** Binary max-heap of chain heads in surge-pricing order. */
class HeadHeap {
  private readonly items: Head[];

  /** Takes `items` over and orders them in O(n) (bottom-up heap construction). */
  constructor(items: Head[]) {
    this.items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i, items[i]!);
  }

  push(h: Head): void {
    const items = this.items;
    let i = items.length;
    items.push(h);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.first(h, items[p]!)) break;
      items[i] = items[p]!;
      i = p;
    }
    items[i] = h;
  }

  pop(): Head | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    this.down(0, last);
    return top;
  }

  /** Places `item` at `i` or below, moving better children up. */
  private down(i: number, item: Head): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= items.length) break;
      const r = l + 1;
      const c = r < items.length && this.first(items[r]!, items[l]!) ? r : l;
      if (!this.first(items[c]!, item)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = item;
  }

  private first(a: Head, b: Head): boolean {
    return bestFirst(a, b);
  }
}
