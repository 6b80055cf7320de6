// What the overlay knows of a transaction after the trust boundary: the envelope bytes, decoded once, reduced to
// the fields the mempool, flooding and tx-set assembly need. Everything past intake works on this, never on XDR.

/** A checked transaction (well-formed, network and signatures verified, fee at least the minimum). */
export interface TxInfo {
  /** SHA-256 of the TransactionEnvelope XDR: core's full hash, as TX_SET_EXTERNALIZED names it. */
  readonly hash: Uint8Array;
  /** `hash` as lowercase hex: the key of every map. */
  readonly key: string;
  /** The TransactionEnvelope XDR, owned (never a view into a reused buffer). */
  readonly bytes: Uint8Array;
  /** Sequence-number account: the (inner) transaction's source account, raw ed25519 key as hex. */
  readonly source: string;
  /** The (inner) transaction's sequence number. */
  readonly seq: bigint;
  /** Total fee bid in stroops (the outer fee for a fee bump). */
  readonly fee: bigint;
  /** Operations, counted as stellar-core does (a fee bump counts its inner operations + 1). */
  readonly ops: number;
}

/** Compares fee rates a.fee/a.ops and b.fee/b.ops exactly (cross-multiplied; no division, no overflow). */
export function compareFeeRate(a: { fee: bigint; ops: number }, b: { fee: bigint; ops: number }): number {
  const l = a.fee * BigInt(b.ops);
  const r = b.fee * BigInt(a.ops);
  return l < r ? -1 : l > r ? 1 : 0;
}
