// Short tx ids: what the tx-flood protocol (v2) names a tx by — the first 8 bytes of its SHA-256 hash (core's full
// hash, TxInfo.hash) — and their keys in the flood's maps (16 lowercase hex digits). Two txs whose ids collide: the
// first keeps the id (see TxFlood's pending index).
import { toHex } from '../../util/bytes.ts';

/** Ours (tx-flood v2): bytes of a short id; 32-byte hashes cost 40 B per INV entry, a third of pull's bytes per tx. */
export const SHORT_ID_BYTES = 8;

/** The short id of a full hash: a view of its first SHORT_ID_BYTES (copy it to keep it beyond the hash). */
export function shortIdOf(hash: Uint8Array): Uint8Array {
  return hash.subarray(0, SHORT_ID_BYTES);
}

/** The map key of a short id, or of a full hash's short id. */
export function shortKeyOf(idOrHash: Uint8Array): string {
  return toHex(idOrHash.subarray(0, SHORT_ID_BYTES));
}

/** Hex digits of a short id's key. */
const SHORT_KEY_CHARS = 2 * SHORT_ID_BYTES;

/**
 * The short id's key of a pending tx's full key (TxInfo.key), as a slice of it: no bytes view, no hex encoding. V8
 * keeps the whole 64-digit key alive through the slice, which the mempool holds anyway while the tx is pending: only
 * for keys that go when the tx leaves (the pending index), never for what is remembered after (shortKeyOfKey).
 */
export function pendingShortKey(key: string): string {
  return key.slice(0, SHORT_KEY_CHARS);
}

/**
 * The short id's key of a full hash given as hex (TxInfo.key). A fresh string, not a slice: V8 keeps a sliced
 * string's parent alive, so a remembered slice would hold the whole 64-digit key.
 */
export function shortKeyOfKey(key: string): string {
  return Buffer.from(key.slice(0, SHORT_KEY_CHARS), 'hex').toString('hex');
}
