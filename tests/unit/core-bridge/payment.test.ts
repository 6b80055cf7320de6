import { expect } from 'chai';
import fc from 'fast-check';
import { Keypair, Networks, TransactionBuilder, xdr } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { signedPayment } from '../../../core-bridge/src/loadgen/payment.ts';
import { genesisAccounts } from '../../../core-bridge/src/reference-core/genesis.ts';

const NETWORK_ID = networkIdOf(Networks.TESTNET);
const accounts = genesisAccounts(4);

/** The same payment through stellar-base's XDR types, unsigned (the signature is checked separately). */
function referenceTx(from: Buffer, to: Buffer, amount: bigint, seq: bigint, fee: number): xdr.Transaction {
  return new xdr.Transaction({
    sourceAccount: xdr.MuxedAccount.keyTypeEd25519(from),
    fee,
    seqNum: xdr.Int64.fromString(seq.toString()),
    cond: xdr.Preconditions.precondNone(),
    memo: xdr.Memo.memoNone(),
    operations: [
      new xdr.Operation({
        sourceAccount: null,
        body: xdr.OperationBody.payment(
          new xdr.PaymentOp({
            destination: xdr.MuxedAccount.keyTypeEd25519(to),
            asset: xdr.Asset.assetTypeNative(),
            amount: xdr.Int64.fromString(amount.toString()),
          }),
        ),
      }),
    ],
    ext: new xdr.TransactionExt(0),
  });
}

describe('loadgen/payment', () => {
  it('writes the bytes stellar-base encodes, signed as stellar-base signs', () => {
    fc.assert(
      fc.property(
        fc.nat(3),
        fc.nat(3),
        fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        fc.nat(0xffff_ffff),
        (i, j, amount, seq, fee) => {
          const from = accounts[i]!;
          const to = accounts[j]!.publicKey;
          const bytes = signedPayment({ from, to, amount, seq, fee, networkId: NETWORK_ID });
          const env = xdr.TransactionEnvelope.fromXDR(bytes);
          expect(env.v1().tx().toXDR().equals(referenceTx(from.publicKey, to, amount, seq, fee).toXDR())).to.equal(true);
          const tx = TransactionBuilder.fromXDR(bytes.toString('base64'), Networks.TESTNET);
          const [sig] = env.v1().signatures();
          expect(sig!.hint().equals(from.publicKey.subarray(28))).to.equal(true);
          expect(Keypair.fromPublicKey(from.address).verify(tx.hash(), sig!.signature())).to.equal(true);
          expect(env.toXDR().equals(bytes)).to.equal(true);
        },
      ),
      { numRuns: 30 },
    );
  });
});
