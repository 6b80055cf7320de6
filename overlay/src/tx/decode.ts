// One transaction at the trust boundary, without threads: size, XDR decode (once), fee, signatures, summary — in
// that order, the first failure deciding the reason. Runs in the verify workers (tx/verify-worker.ts) and in tests.
// The hashed transaction bodies are slices of the envelope bytes, never re-encoded: js-xdr refuses non-canonical
// input (bad padding, unknown discriminants, trailing bytes), so the slice is what stellar-core would re-encode.
import { xdr } from '@stellar/stellar-base';
import type { TxReasonName } from '#ipc-protocol';
import type { SignatureVerifier, SignedPayload } from './signatures.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Stellar-transaction.x EnvelopeType values. */
export const EnvelopeType = { TX_V0: 0, TX: 2, TX_FEE_BUMP: 5 } as const;
/** Stellar-types.x CryptoKeyType, as the MuxedAccount discriminant. */
const KEY_TYPE_ED25519 = 0;
const KEY_TYPE_MUXED_ED25519 = 0x100;
/** XDR sizes: MuxedAccount (discriminant + [id u64] + key), FeeBumpTransaction's int64 fee and its v0 ext. */
const MUXED_ED25519_BYTES = 4 + 32;
const MUXED_MED25519_BYTES = 4 + 8 + 32;
const INT64_BYTES = 8;
const FEE_BUMP_EXT_BYTES = 4;
/** stellar-core hashes a V0 envelope as ENVELOPE_TYPE_TX with its source as a KEY_TYPE_ED25519 MuxedAccount; the
 * rest of TransactionV0 encodes exactly as Transaction (optional TimeBounds ≡ PRECOND_NONE/PRECOND_TIME). */
const V0_HASH_HEAD = Uint8Array.of(0, 0, 0, EnvelopeType.TX, 0, 0, 0, KEY_TYPE_ED25519);

/** What the rest of the overlay needs of a transaction (see TxInfo). */
export interface TxSummary {
  /** Raw ed25519 key (32 bytes) of the (inner) source account. */
  source: Buffer;
  seq: bigint;
  /** Total fee bid: the outer fee for a fee bump. */
  fee: bigint;
  /** Operations as stellar-core counts them: a fee bump's inner operations + 1. */
  ops: number;
}

export interface DecodedTx extends TxSummary {
  /** The hashes that must be signed: one, or for a fee bump the outer (fee source) then the inner (source). */
  signed: SignedPayload[];
}

export type RejectReason = Extract<TxReasonName, 'TOO_LARGE' | 'MALFORMED_XDR' | 'FEE_TOO_LOW' | 'BAD_SIGNATURE' | 'WRONG_NETWORK'>;

export type TxCheck = { ok: true; tx: TxSummary } | { ok: false; reason: RejectReason };

export interface TxRules {
  maxTxBytes: number;
  /** Minimum fee per operation (stroops). */
  baseFee: number;
  /** null: signatures are not checked (tx.verify_signatures = false). */
  verifier: SignatureVerifier | null;
}

/** Checks one TransactionEnvelope (its hash, SHA-256 of the bytes, is the caller's: see verify-worker.ts). */
export function checkTx(bytes: Uint8Array, rules: TxRules): TxCheck {
  if (bytes.length > rules.maxTxBytes) return { ok: false, reason: 'TOO_LARGE' };
  const tx = decodeTx(bytes);
  if (tx === null) return { ok: false, reason: 'MALFORMED_XDR' };
  if (tx.fee < BigInt(rules.baseFee) * BigInt(tx.ops)) return { ok: false, reason: 'FEE_TOO_LOW' };
  if (rules.verifier !== null) {
    const verdict = rules.verifier.verify(tx.signed);
    if (verdict !== 'ok') return { ok: false, reason: verdict };
  }
  return { ok: true, tx: { source: tx.source, seq: tx.seq, fee: tx.fee, ops: tx.ops } };
}

/** Decodes a TransactionEnvelope that fills `bytes` exactly; null if it is not one or has no operations. */
export function decodeTx(bytes: Uint8Array): DecodedTx | null {
  let env: xdr.TransactionEnvelope;
  try {
    env = xdr.TransactionEnvelope.fromXDR(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return null;
  }
  switch (env.switch().value) {
    case EnvelopeType.TX_V0:
      return decodeV0(env.v0(), bytes);
    case EnvelopeType.TX:
      return decodeV1(env.v1(), bytes, 0, bytes.length);
    case EnvelopeType.TX_FEE_BUMP:
      return decodeFeeBump(env.feeBump(), bytes);
    default:
      return null;
  }
}

function decodeV0(e: xdr.TransactionV0Envelope, bytes: Uint8Array): DecodedTx | null {
  const tx = e.tx();
  const ops = tx.operations().length;
  if (ops === 0) return null;
  const source = tx.sourceAccountEd25519();
  const bodyEnd = bytes.length - signaturesBytes(e.signatures());
  return {
    source,
    seq: tx.seqNum().toBigInt(),
    fee: BigInt(tx.fee()),
    ops,
    // Skip the envelope type word: V0_HASH_HEAD supplies ENVELOPE_TYPE_TX and the muxed-account discriminant.
    signed: [{ key: source, head: V0_HASH_HEAD, body: bytes.subarray(4, bodyEnd), signatures: e.signatures() }],
  };
}

/** bytes[start, end): an ENVELOPE_TYPE_TX word (the tag of the hashed form), then the TransactionV1Envelope. */
function decodeV1(e: xdr.TransactionV1Envelope, bytes: Uint8Array, start: number, end: number): DecodedTx | null {
  const tx = e.tx();
  const ops = tx.operations().length;
  if (ops === 0) return null;
  const source = ed25519Of(tx.sourceAccount());
  const bodyEnd = end - signaturesBytes(e.signatures());
  return {
    source,
    seq: tx.seqNum().toBigInt(),
    fee: BigInt(tx.fee()),
    ops,
    signed: [{ key: source, head: null, body: bytes.subarray(start, bodyEnd), signatures: e.signatures() }],
  };
}

function decodeFeeBump(e: xdr.FeeBumpTransactionEnvelope, bytes: Uint8Array): DecodedTx | null {
  const fb = e.tx();
  const outerEnd = bytes.length - signaturesBytes(e.signatures());
  // FeeBumpTransaction: [type word][feeSource][fee int64][innerTx: ENVELOPE_TYPE_TX word][TransactionV1Envelope][ext]
  const innerTagged = 4 + muxedBytes(fb.feeSource()) + INT64_BYTES;
  const inner = decodeV1(fb.innerTx().v1(), bytes, innerTagged, outerEnd - FEE_BUMP_EXT_BYTES);
  if (inner === null) return null;
  const feeSource = ed25519Of(fb.feeSource());
  return {
    source: inner.source,
    seq: inner.seq,
    fee: fb.fee().toBigInt(),
    ops: inner.ops + 1,
    signed: [
      { key: feeSource, head: null, body: bytes.subarray(0, outerEnd), signatures: e.signatures() },
      ...inner.signed,
    ],
  };
}

function ed25519Of(m: xdr.MuxedAccount): Buffer {
  return m.switch().value === KEY_TYPE_MUXED_ED25519 ? m.med25519().ed25519() : m.ed25519();
}

function muxedBytes(m: xdr.MuxedAccount): number {
  return m.switch().value === KEY_TYPE_MUXED_ED25519 ? MUXED_MED25519_BYTES : MUXED_ED25519_BYTES;
}

/** XDR size of DecoratedSignature<20>: count, then per signature a 4-byte hint and a padded opaque<64>. */
function signaturesBytes(sigs: readonly xdr.DecoratedSignature[]): number {
  let n = 4;
  for (const s of sigs) n += 4 + 4 + ((s.signature().length + 3) & ~3);
  return n;
}
