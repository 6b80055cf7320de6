// Tx sets at the trust boundary (from core's CACHE_TX_SET or from a peer): decoded once, their shape checked as far
// as needed to find the transactions, and their hash computed the way stellar-core names them in SCP values.
// Validity against the ledger (sequence numbers, fees, hash order) is core's call, not ours.
import { createHash } from 'node:crypto';
import { xdr } from '@stellar/stellar-base';
import { OverlayError } from '../util/errors.ts';

/** Which XDR a set arrived as: a GeneralizedTransactionSet (protocol 20+) or a legacy TransactionSet (V2 cores). */
export type TxSetKind = 'generalized' | 'legacy';

export interface DecodedTxSet {
  kind: TxSetKind;
  /** The set's hash as SCP values name it. */
  hash: Uint8Array;
  previousLedgerHash: Uint8Array;
  /** Each TransactionEnvelope's XDR, in set order (all phases, then components/stages in order). */
  txs: Uint8Array[];
}

/** stellar-core: a GeneralizedTransactionSet v1 has exactly two phases, classic then soroban. */
const PHASE_COUNT = 2;
const SOROBAN_PHASE = 1;
/** stellar-core: phase v0 = components; v1 = parallel component (soroban phase only). */
const PHASE_V0 = 0;
const PHASE_V1 = 1;
/** A legacy TransactionSet: previousLedgerHash (32 bytes), then the tx count (u32), then the txs. */
const HASH_BYTES = 32;
const COUNT_BYTES = 4;

/**
 * Decodes a tx set, of the given kind or, if none is given, whichever it parses as (generalized first: a legacy
 * set also parsing as a generalized one would need its first 4 bytes to be 00000001 and the rest to line up).
 * Throws OverlayError TXSET_INVALID on anything else.
 */
export function txsOfTxSet(bytes: Uint8Array, kind?: TxSetKind): DecodedTxSet {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (kind === 'generalized') return decodeGeneralized(buf);
  if (kind === 'legacy') return decodeLegacy(buf);
  try {
    return decodeGeneralized(buf);
  } catch (generalizedErr) {
    try {
      return decodeLegacy(buf);
    } catch {
      throw generalizedErr;
    }
  }
}

/**
 * Checks that `bytes` are the tx set SCP names by `hash`, decoding only when it must: a generalized set's hash is
 * SHA-256 of its bytes, so a match is that set whatever core then makes of it (its validity is core's call); a
 * legacy set's hash leaves the tx count out, so only bytes that decode as a legacy set may match that way (else 4
 * bytes slipped into a generalized set would pass). The full decode of a 1,000-tx set was ~14 % of a follower
 * overlay's main thread at 1,000 tx/s. Throws TXSET_INVALID when they are not the set.
 */
export function checkTxSetHash(bytes: Uint8Array, hash: Uint8Array): TxSetKind {
  if (createHash('sha256').update(bytes).digest().equals(hash)) return 'generalized';
  if (bytes.length >= HASH_BYTES + COUNT_BYTES) {
    let legacy: DecodedTxSet | null = null;
    try {
      legacy = txsOfTxSet(bytes, 'legacy');
    } catch {
      // not a legacy set either
    }
    if (legacy !== null && Buffer.from(legacy.hash).equals(hash)) return 'legacy';
  }
  throw new OverlayError('TXSET_INVALID', `not the set ${Buffer.from(hash).toString('hex').slice(0, 16)}…`);
}

function decodeGeneralized(buf: Buffer): DecodedTxSet {
  const set = parse('GeneralizedTransactionSet', () => xdr.GeneralizedTransactionSet.fromXDR(buf), buf);
  const v1 = set.v1TxSet();
  const phases = v1.phases();
  if (phases.length !== PHASE_COUNT) invalid(`a generalized tx set has ${PHASE_COUNT} phases, not ${phases.length}`);
  const envelopes: xdr.TransactionEnvelope[] = [];
  phases.forEach((phase, i) => {
    const v = phase.switch();
    if (v === PHASE_V0) {
      for (const c of phase.v0Components()) envelopes.push(...c.txsMaybeDiscountedFee().txes());
    } else if (v === PHASE_V1 && i === SOROBAN_PHASE) {
      for (const stage of phase.parallelTxsComponent().executionStages()) {
        for (const cluster of stage) envelopes.push(...cluster);
      }
    } else {
      invalid(`phase ${i} has unsupported version ${v}`);
    }
  });
  return {
    kind: 'generalized',
    hash: createHash('sha256').update(buf).digest(),
    previousLedgerHash: v1.previousLedgerHash(),
    txs: envelopes.map((e) => e.toXDR()),
  };
}

function decodeLegacy(buf: Buffer): DecodedTxSet {
  const set = parse('TransactionSet', () => xdr.TransactionSet.fromXDR(buf), buf);
  // stellar-core's legacy contents hash: SHA-256(previousLedgerHash ‖ each envelope's XDR) — the XDR minus the count.
  const hash = createHash('sha256')
    .update(buf.subarray(0, HASH_BYTES))
    .update(buf.subarray(HASH_BYTES + COUNT_BYTES))
    .digest();
  return {
    kind: 'legacy',
    hash,
    previousLedgerHash: set.previousLedgerHash(),
    txs: set.txes().map((e) => e.toXDR()),
  };
}

/**
 * Decodes, then re-encodes and compares: XDR has one encoding per value, so a set that does not re-encode to its
 * own bytes (non-zero padding, trailing bytes) is refused — its hash would not name what core decodes.
 */
function parse<T extends { toXDR(): Buffer }>(what: string, decode: () => T, buf: Buffer): T {
  let v: T;
  try {
    v = decode();
  } catch (cause) {
    throw new OverlayError('TXSET_INVALID', `not a ${what}`, { cause });
  }
  if (!v.toXDR().equals(buf)) invalid(`${what} is not canonical XDR`);
  return v;
}

function invalid(message: string): never {
  throw new OverlayError('TXSET_INVALID', message);
}
