// A TransactionEnvelope reduced to what the reference ledger applies: who pays the fee, whose sequence number it
// uses, the fee bid, the operation count (stellar-core's rule) and the native payments. Decoded once per apply.
import { createHash } from 'node:crypto';
import { xdr } from '@stellar/stellar-base';

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
