import { expect } from 'chai';
import fc from 'fast-check';
import { networkIdOf } from '#ipc-protocol';
import { signedPayment } from '../../../core-bridge/src/loadgen/payment.ts';
import { genesisAccounts } from '../../../core-bridge/src/reference-core/genesis.ts';
import { decodePaymentsTxSet, decodeTxSet, decodeTxSetXdr, encodeTxSet } from '../../../core-bridge/src/reference-core/tx-set.ts';
import { makeFeeBump, makeOversized, makePayment, testKeypair, TEST_PASSPHRASE } from '../../fixtures/txs.ts';

const NETWORK_ID = networkIdOf(TEST_PASSPHRASE);
const PREV = Buffer.alloc(32, 0xab);
const accounts = genesisAccounts(8);

/** One tx of the kinds the direct reader knows, chosen by `kind`. */
function knownTx(kind: number, n: number): Uint8Array {
  const source = testKeypair(n);
  const seq = BigInt(n + 1);
  switch (kind % 7) {
    case 0:
      return signedPayment({ from: accounts[n % 8]!, to: accounts[(n + 1) % 8]!.publicKey, amount: BigInt(n + 1), seq, fee: 100, networkId: NETWORK_ID });
    case 1:
      return makePayment({ source, seq, envelope: 'v0' });
    case 2:
      return makePayment({ source, seq, ops: 1 + (n % 5), memoBytes: n % 29 });
    case 3:
      return makePayment({ source, seq, muxedId: BigInt(n) * 7n });
    case 4:
      return makePayment({ source, seq, signers: [source, testKeypair(n + 1000)] });
    case 5:
      return makeFeeBump({ inner: makePayment({ source, seq }), feeSource: testKeypair(n + 2000), muxedId: n % 2 ? 5n : undefined });
    default:
      return makePayment({ source, seq, ops: 0 });
  }
}

describe('reference-core/tx-set', () => {
  it('the direct reader decodes sets of payments exactly as stellar-base does', function () {
    this.timeout(20_000);
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { maxLength: 12 }), fc.option(fc.bigInt({ min: 0n, max: 10_000n })), (kinds, baseFee) => {
        const txs = kinds.map((k, i) => knownTx(k, i * 1000 + k));
        const set = encodeTxSet(PREV, txs, baseFee);
        const fast = decodePaymentsTxSet(set);
        expect(fast, 'the direct reader took the set').to.not.equal(null);
        expect(fast).to.deep.equal(decodeTxSetXdr(set));
      }),
      { numRuns: 60 },
    );
  });

  it('leaves anything else to stellar-base: other operations, malformed or trailing bytes', () => {
    const payment = knownTx(0, 1);
    const withUpload = encodeTxSet(PREV, [payment, makeOversized({ source: testKeypair(9), seq: 1n, minBytes: 64 })]);
    expect(decodePaymentsTxSet(withUpload)).to.equal(null);
    expect(decodeTxSet(withUpload).txs).to.have.length(2);
    const good = encodeTxSet(PREV, [payment]);
    expect(decodePaymentsTxSet(Buffer.concat([good, Buffer.alloc(4)]))).to.equal(null);
    expect(decodePaymentsTxSet(good.subarray(0, good.length - 4))).to.equal(null);
    expect(() => decodeTxSet(good.subarray(0, good.length - 4))).to.throw();
  });

});
