// Helpers of the tx-set tests: real signed Stellar transactions (stellar-base) reduced to TxInfo the way intake
// does, and chains of them per account.
import { createHash } from 'node:crypto';
import { Account, Asset, Keypair, Networks, Operation, StrKey, Transaction, TransactionBuilder, xdr } from '@stellar/stellar-base';
import type { TxInfo } from '../../../overlay/src/tx/types.ts';

const PASSPHRASE = Networks.TESTNET;
const DESTINATION = Keypair.random().publicKey();

export interface TxSpec {
  source: Keypair;
  seq: bigint;
  /** Total fee bid in stroops (any value, not only a multiple of ops). */
  fee: number;
  /** Default 1. */
  ops?: number;
  /** A text memo of this many bytes (0..28), to vary the envelope size. */
  memoBytes?: number;
}

/** A signed V1 payment envelope. */
export function signedPayment(s: TxSpec): Uint8Array {
  const ops = s.ops ?? 1;
  const b = new TransactionBuilder(new Account(s.source.publicKey(), (s.seq - 1n).toString()), {
    fee: '100',
    networkPassphrase: PASSPHRASE,
  }).setTimeout(0);
  for (let i = 0; i < ops; i++) b.addOperation(Operation.payment({ destination: DESTINATION, asset: Asset.native(), amount: '1' }));
  const env = b.build().toEnvelope();
  env.v1().tx().fee(s.fee); // the builder only knows per-op fees
  if (s.memoBytes) env.v1().tx().memo(xdr.Memo.memoText(Buffer.alloc(s.memoBytes, 0x6d)));
  const tx = new Transaction(env, PASSPHRASE);
  tx.sign(s.source);
  return tx.toEnvelope().toXDR();
}

/** TxInfo of a V1 envelope, read back with stellar-base (independent of the overlay's own decoding). */
export function txInfoOf(bytes: Uint8Array): TxInfo {
  const tx = new Transaction(xdr.TransactionEnvelope.fromXDR(Buffer.from(bytes)), PASSPHRASE);
  const hash = createHash('sha256').update(bytes).digest();
  return {
    hash,
    key: hash.toString('hex'),
    bytes: Uint8Array.prototype.slice.call(bytes),
    source: Buffer.from(StrKey.decodeEd25519PublicKey(tx.source)).toString('hex'),
    seq: BigInt(tx.sequence),
    fee: BigInt(tx.fee),
    ops: tx.operations.length,
  };
}

export function makeTx(s: TxSpec): TxInfo {
  return txInfoOf(signedPayment(s));
}

/** One account's chain: consecutive sequence numbers from `firstSeq`, one tx per fee given. */
export function chain(fees: readonly (number | { fee: number; ops?: number; memoBytes?: number })[], firstSeq = 1n): TxInfo[] {
  const source = Keypair.random();
  return fees.map((f, i) => {
    const spec = typeof f === 'number' ? { fee: f } : f;
    return makeTx({ source, seq: firstSeq + BigInt(i), ...spec });
  });
}

/** Fee rate rounded down, as a set's base fee is. */
export function rate(tx: TxInfo): bigint {
  return tx.fee / BigInt(tx.ops);
}
