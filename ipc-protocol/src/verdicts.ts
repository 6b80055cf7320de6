// Codes carried by TX_VERDICT / TX_VERDICT_BATCH. Shared with native/ (verdicts.hpp) and docs/ipc-protocol.md §5.

export const TxStatus = {
  ACCEPTED: 0,
  DUPLICATE: 1,
  INVALID: 2,
  TRY_AGAIN_LATER: 3,
} as const;
export type TxStatusName = keyof typeof TxStatus;

export const TxReason = {
  NONE: 0,
  MALFORMED_XDR: 1,
  TOO_LARGE: 2,
  FEE_TOO_LOW: 3,
  BAD_SIGNATURE: 4,
  WRONG_NETWORK: 5,
  BANNED: 6,
  BAD_SEQUENCE: 7,
  MEMPOOL_FULL: 8,
  REPLACE_FEE_TOO_LOW: 9,
  RATE_LIMITED: 10,
  UNSUPPORTED: 11,
} as const;
export type TxReasonName = keyof typeof TxReason;

export interface TxVerdict {
  status: number;
  reason: number;
  /** SHA-256 of the TransactionEnvelope XDR (core's full hash); zeros when the bytes could not be read at all. */
  hash: Uint8Array;
}

const statusNames = Object.fromEntries(Object.entries(TxStatus).map(([k, v]) => [v, k])) as Record<number, TxStatusName>;
const reasonNames = Object.fromEntries(Object.entries(TxReason).map(([k, v]) => [v, k])) as Record<number, TxReasonName>;

export function txStatusName(code: number): TxStatusName | undefined {
  return statusNames[code];
}

export function txReasonName(code: number): TxReasonName | undefined {
  return reasonNames[code];
}
