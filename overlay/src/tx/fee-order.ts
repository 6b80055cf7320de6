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

/** Surge-pricing order (tx sets): highest rate first; equal rates by tx key, so the outcome never depends on input
 * order. */
export function bestFirst(a: FeeKey, b: FeeKey): boolean {
  const c = compareRate(a, b);
  return c > 0 || (c === 0 && a.key < b.key);
}

/** A pending tx as the mempool orders it: its fee key and when it came. */
export interface PoolKey extends FeeKey {
  /** Its arrival in the pool, counted: unique, increasing. */
  readonly arrival: number;
}

/**
 * The mempool's order (`top`): highest rate first; among equal rates the earliest arrival first. Read backwards, the
 * eviction order: cheapest first, among equal rates the latest arrival first, so a burst at one fee rate never
 * pushes out what was waiting at it. It is also the cheap order to keep: txs at the usual (equal) rate go in at the
 * end of their run, where the key order put each at a random place (a move of half a block, and a cache miss on
 * each compared key: ~1/3 of the mempool's insertion time, measured in bench-ipc with checks off).
 */
export function firstComeBestFirst(a: PoolKey, b: PoolKey): boolean {
  const c = compareRate(a, b);
  return c > 0 || (c === 0 && a.arrival < b.arrival);
}

/** Replace-by-fee: does `next` pay at least `multiplier` × the fee rate of `prev`? (exact, BigInt: rare path) */
export function paysMultipleOf(next: FeeKey, prev: FeeKey, multiplier: bigint): boolean {
  return next.fee * BigInt(prev.ops) >= multiplier * prev.fee * BigInt(next.ops);
}
