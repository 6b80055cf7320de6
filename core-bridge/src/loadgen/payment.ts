// Signed native payments from genesis accounts, as TransactionEnvelope XDR (V1). The transaction is built with
// stellar-base's XDR types; the signature is node:crypto's ed25519 over stellar's signature payload
// SHA-256(networkId ‖ ENVELOPE_TYPE_TX ‖ XDR(Transaction)) — the bytes stellar-base's pure-JS signer would produce,
// many times faster.
import { createHash, sign } from 'node:crypto';
import { xdr } from '@stellar/stellar-base';
import type { GenesisAccount } from '../reference-core/genesis.ts';

/** stellar-core: EnvelopeType ENVELOPE_TYPE_TX. */
const ENVELOPE_TYPE_TX = 2;

export interface PaymentSpec {
  from: GenesisAccount;
  /** Raw ed25519 public key of the destination. */
  to: Uint8Array;
  /** Stroops. */
  amount: bigint;
  seq: bigint;
  /** Total fee bid in stroops. */
  fee: number;
  networkId: Uint8Array;
}

export function signedPayment(p: PaymentSpec): Buffer {
  const tx = new xdr.Transaction({
    sourceAccount: xdr.MuxedAccount.keyTypeEd25519(p.from.publicKey),
    fee: p.fee,
    seqNum: xdr.Int64.fromString(p.seq.toString()),
    cond: xdr.Preconditions.precondNone(),
    memo: xdr.Memo.memoNone(),
    operations: [
      new xdr.Operation({
        sourceAccount: null,
        body: xdr.OperationBody.payment(
          new xdr.PaymentOp({
            destination: xdr.MuxedAccount.keyTypeEd25519(Buffer.from(p.to)),
            asset: xdr.Asset.assetTypeNative(),
            amount: xdr.Int64.fromString(p.amount.toString()),
          }),
        ),
      }),
    ],
    ext: new xdr.TransactionExt(0),
  });
  const type = Buffer.alloc(4);
  type.writeInt32BE(ENVELOPE_TYPE_TX);
  const hash = createHash('sha256').update(p.networkId).update(type).update(tx.toXDR()).digest();
  const signature = new xdr.DecoratedSignature({
    hint: p.from.publicKey.subarray(p.from.publicKey.length - 4),
    signature: sign(null, hash, p.from.privateKey),
  });
  return xdr.TransactionEnvelope.envelopeTypeTx(new xdr.TransactionV1Envelope({ tx, signatures: [signature] })).toXDR();
}
