// The mempool's order over fee rates (fee / ops), exact: a tx's fee is an int64 that may approach 2^63, so rates are
// compared by cross-multiplying, never by dividing or by floats that round. Comparisons run on every step of the
// sorted list's searches, so the common case (both products below 2^53) stays in Numbers and only the rest goes
// through BigInt.
import { compareFeeRate } from './types.ts';

/** What the orders read of a pending tx: its fee, op count, the fee as a Number (cached) and its key. */
export interface FeeKey {
  readonly fee: bigint;
  readonly ops: number;
  /** `Number(fee)`, computed once; exact only below 2^53, which `compareRate` checks through the products. */
  readonly feeNum: number;
  readonly key: string;
}

/**
 * Compares a.fee/a.ops with b.fee/b.ops exactly. Number fast path: when both float products are at most 2^53 - 1
 * they are exact (a product ≥ 2^53 never rounds below 2^53, and a fee above 2^53 makes its product exceed it).
 */
export function compareRate(a: FeeKey, b: FeeKey): number {
  const l = a.feeNum * b.ops;
  const r = b.feeNum * a.ops;
  if (Math.abs(l) <= Number.MAX_SAFE_INTEGER && Math.abs(r) <= Number.MAX_SAFE_INTEGER) {
    return l < r ? -1 : l > r ? 1 : 0;
  }
  return compareFeeRate(a, b);
}

/** Inclusion order (`top`): highest rate first; among equal rates the lowest key first. Read backwards, the eviction
 * order: cheapest first, among equal rates the highest key first. */
export function bestFirst(a: FeeKey, b: FeeKey): boolean {
  const c = compareRate(a, b);
  return c > 0 || (c === 0 && a.key < b.key);
}

/** Replace-by-fee: does `next` pay at least `multiplier` × the fee rate of `prev`? (exact, BigInt: rare path) */
export function paysMultipleOf(next: FeeKey, prev: FeeKey, multiplier: bigint): boolean {
  return next.fee * BigInt(prev.ops) >= multiplier * prev.fee * BigInt(next.ops);
}
