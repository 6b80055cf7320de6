// A TransactionEnvelope reduced to what the reference ledger applies: who pays the fee, whose sequence number it
// uses, the fee bid, the operation count (stellar-core's rule) and the native payments. Decoded once per apply.
import { createHash } from 'node:crypto';
import { xdr } from '@stellar/stellar-base';
import type { XdrCursor } from './xdr-cursor.ts';

/** stellar-core XDR discriminants the direct reader (readTx) knows. */
const ENVELOPE_TYPE_TX_V0 = 0;
const ENVELOPE_TYPE_TX = 2;
const ENVELOPE_TYPE_TX_FEE_BUMP = 5;
const KEY_TYPE_ED25519 = 0;
const KEY_TYPE_MUXED_ED25519 = 0x100;
const PRECOND_NONE = 0;
const PRECOND_TIME = 1;
const MEMO_NONE = 0;
const MEMO_TEXT = 1;
const MEMO_ID = 2;
const MEMO_HASH = 3;
const MEMO_RETURN = 4;
const PAYMENT = 1;
const ASSET_TYPE_NATIVE = 0;
/** stellar-core XDR bounds: MAX_OPS_PER_TX, DecoratedSignature signatures<20>, Signature<64>, memo text string<28>. */
const MAX_OPS_PER_TX = 100;
const MAX_SIGNATURES = 20;
const MAX_SIGNATURE_BYTES = 64;
const MAX_MEMO_TEXT = 28;
const KEY_BYTES = 32;

export interface Payment {
  /** Raw ed25519 key (hex) of the paying account: the operation's source, else the transaction's. */
  from: string;
  to: string;
  amount: bigint;
}

export interface DecodedTx {
  /** SHA-256 of the TransactionEnvelope XDR, hex. */
  hash: string;
  /** Account charged the fee (the outer source of a fee bump), raw ed25519 key as hex. */
  feeSource: string;
  /** Sequence-number account: the (inner) transaction's source. */
  source: string;
  seq: bigint;
  /** Total fee bid in stroops (the outer fee for a fee bump). */
  fee: bigint;
  /** Operations as stellar-core counts them for fees (a fee bump adds one). */
  ops: number;
  /** The native payments, or null when some operation is anything else (the reference ledger skips such txs). */
  payments: Payment[] | null;
}

export function txHash(envelope: Uint8Array): Buffer {
  return createHash('sha256').update(envelope).digest();
}

function accountKey(a: xdr.MuxedAccount): string {
  return (a.switch().name === 'keyTypeMuxedEd25519' ? a.med25519().ed25519() : a.ed25519()).toString('hex');
}

function paymentsOf(ops: xdr.Operation[], source: string): Payment[] | null {
  const out: Payment[] = [];
  for (const op of ops) {
    const body = op.body();
    if (body.switch().name !== 'payment') return null;
    const p = body.paymentOp();
    if (p.asset().switch().name !== 'assetTypeNative') return null;
    const opSource = op.sourceAccount();
    out.push({
      from: opSource ? accountKey(opSource) : source,
      to: accountKey(p.destination()),
      amount: BigInt(p.amount().toString()),
    });
  }
  return out;
}

/** Decodes envelope bytes; throws on malformed XDR. */
export function decodeTxBytes(bytes: Uint8Array): DecodedTx {
  const env = xdr.TransactionEnvelope.fromXDR(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return decodeTx(env, txHash(bytes).toString('hex'));
}

/** Reduces an already decoded envelope whose hash (hex) is known. */
export function decodeTx(env: xdr.TransactionEnvelope, h: string): DecodedTx {
  switch (env.switch().name) {
    case 'envelopeTypeTxV0': {
      const tx = env.v0().tx();
      const source = tx.sourceAccountEd25519().toString('hex');
      const ops = tx.operations();
      return { hash: h, feeSource: source, source, seq: BigInt(tx.seqNum().toString()), fee: BigInt(tx.fee()), ops: ops.length, payments: paymentsOf(ops, source) };
    }
    case 'envelopeTypeTx': {
      const tx = env.v1().tx();
      const source = accountKey(tx.sourceAccount());
      const ops = tx.operations();
      return { hash: h, feeSource: source, source, seq: BigInt(tx.seqNum().toString()), fee: BigInt(tx.fee()), ops: ops.length, payments: paymentsOf(ops, source) };
    }
    case 'envelopeTypeTxFeeBump': {
      const fb = env.feeBump().tx();
      const inner = fb.innerTx().v1().tx();
      const source = accountKey(inner.sourceAccount());
      const ops = inner.operations();
      return {
        hash: h,
        feeSource: accountKey(fb.feeSource()),
        source,
        seq: BigInt(inner.seqNum().toString()),
        fee: BigInt(fb.fee().toString()),
        ops: ops.length + 1,
        payments: paymentsOf(ops, source),
      };
    }
    default:
      throw new Error(`not a transaction envelope: ${env.switch().name}`);
  }
}

// ── The direct reader ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * Reads one TransactionEnvelope at the cursor and leaves the cursor after it. Null (or `c.bad`) when it is anything
 * this reader does not know — a Soroban tx, PRECOND_V2, an operation other than a native payment — or malformed;
 * the caller then uses stellar-base's decoder. The hash is the caller's (it has the bytes).
 */
export function readTx(c: XdrCursor): Omit<DecodedTx, 'hash'> | null {
  switch (c.i32()) {
    case ENVELOPE_TYPE_TX_V0: {
      const source = c.fixed(KEY_BYTES).toString('hex');
      const fee = BigInt(c.u32());
      const seq = c.i64();
      if (c.present()) c.skip(16); // TimeBounds
      const body = readMemoOpsExt(c, source);
      if (body === null || !readSignatures(c)) return null;
      return { feeSource: source, source, seq, fee, ops: body.ops, payments: body.payments };
    }
    case ENVELOPE_TYPE_TX: {
      const inner = readV1(c);
      return inner === null ? null : { feeSource: inner.source, ...inner };
    }
    case ENVELOPE_TYPE_TX_FEE_BUMP: {
      const feeSource = readMuxed(c);
      const fee = c.i64();
      if (feeSource === null || c.i32() !== ENVELOPE_TYPE_TX) return null;
      const inner = readV1(c);
      if (inner === null || c.i32() !== 0 || !readSignatures(c)) return null;
      return { feeSource, source: inner.source, seq: inner.seq, fee, ops: inner.ops + 1, payments: inner.payments };
    }
    default:
      return null;
  }
}

/** TransactionV1Envelope: the Transaction, then its signatures. */
function readV1(c: XdrCursor): { source: string; seq: bigint; fee: bigint; ops: number; payments: Payment[] | null } | null {
  const source = readMuxed(c);
  const fee = BigInt(c.u32());
  const seq = c.i64();
  if (source === null || !readPreconditions(c)) return null;
  const body = readMemoOpsExt(c, source);
  if (body === null || !readSignatures(c)) return null;
  return { source, seq, fee, ops: body.ops, payments: body.payments };
}

/** MuxedAccount → the raw ed25519 key as hex. */
function readMuxed(c: XdrCursor): string | null {
  switch (c.i32()) {
    case KEY_TYPE_ED25519:
      return c.fixed(KEY_BYTES).toString('hex');
    case KEY_TYPE_MUXED_ED25519:
      c.skip(8); // id
      return c.fixed(KEY_BYTES).toString('hex');
    default:
      return null;
  }
}

function readPreconditions(c: XdrCursor): boolean {
  switch (c.i32()) {
    case PRECOND_NONE:
      return true;
    case PRECOND_TIME:
      c.skip(16);
      return true;
    default:
      return false;
  }
}

/** Memo, operations (payments only) and the (classic) ext of a transaction. */
function readMemoOpsExt(c: XdrCursor, source: string): { ops: number; payments: Payment[] } | null {
  switch (c.i32()) {
    case MEMO_NONE:
      break;
    case MEMO_TEXT:
      c.variable(MAX_MEMO_TEXT);
      break;
    case MEMO_ID:
      c.skip(8);
      break;
    case MEMO_HASH:
    case MEMO_RETURN:
      c.skip(32);
      break;
    default:
      return null;
  }
  const n = c.count(MAX_OPS_PER_TX);
  const payments: Payment[] = [];
  for (let i = 0; i < n; i++) {
    const from = c.present() ? readMuxed(c) : source;
    if (from === null || c.i32() !== PAYMENT) return null;
    const to = readMuxed(c);
    if (to === null || c.i32() !== ASSET_TYPE_NATIVE) return null;
    payments.push({ from, to, amount: c.i64() });
  }
  // Transaction.ext v0 (v1 carries Soroban data: not for this reader).
  if (c.i32() !== 0 || c.bad) return null;
  return { ops: n, payments };
}

function readSignatures(c: XdrCursor): boolean {
  const n = c.count(MAX_SIGNATURES);
  for (let i = 0; i < n; i++) {
    c.skip(4); // hint
    c.variable(MAX_SIGNATURE_BYTES);
  }
  return !c.bad;
}
