// Helpers of the tx-set tests: real signed Stellar transactions (tests/fixtures/txs.ts) reduced to TxInfo with
// stellar-base (independent of the overlay's own decoding), and chains of them per account.
import { createHash } from 'node:crypto';
import { Keypair, StrKey, Transaction, xdr } from '@stellar/stellar-base';
import type { TxInfo } from '../../../overlay/src/tx/types.ts';
import { makePayment, TEST_PASSPHRASE, type PaymentOptions } from '../../fixtures/txs.ts';

/** A payment with an explicit total fee bid (stroops). */
export type TxSpec = PaymentOptions & { fee: number };

/** TxInfo of a V1 envelope, read back with stellar-base (independent of the overlay's own decoding). */
export function txInfoOf(bytes: Uint8Array): TxInfo {
  const tx = new Transaction(xdr.TransactionEnvelope.fromXDR(Buffer.from(bytes)), TEST_PASSPHRASE);
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
  return txInfoOf(makePayment(s));
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
