import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { xdr } from '@stellar/stellar-base';
import { buildTxSet } from '../../../overlay/src/txset/build.ts';
import { checkTxSetHash, txsOfTxSet } from '../../../overlay/src/txset/decode.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';
import { chain } from './helpers.ts';

const PREV = randomBytes(32);

function envelopes(txs: readonly { bytes: Uint8Array }[]): xdr.TransactionEnvelope[] {
  return txs.map((t) => xdr.TransactionEnvelope.fromXDR(Buffer.from(t.bytes)));
}

function hex(xs: readonly Uint8Array[]): string[] {
  return xs.map((x) => Buffer.from(x).toString('hex'));
}

function expectInvalid(bytes: Uint8Array, why: string, kind?: 'generalized' | 'legacy'): void {
  expect(() => txsOfTxSet(bytes, kind), why).to.throw(OverlayError).with.property('code', 'TXSET_INVALID');
}

function generalized(phases: xdr.TransactionPhase[]): Buffer {
  return new xdr.GeneralizedTransactionSet(1, new xdr.TransactionSetV1({ previousLedgerHash: PREV, phases })).toXDR();
}

describe('txset/decode', function () {
  this.timeout(20_000);
  const txs = [...chain([100, 200]), ...chain([300])];

  it('round-trips a built generalized set: kind, hash, previous ledger, every envelope', () => {
    const built = buildTxSet({ previousLedgerHash: PREV, maxOps: 100, maxBytes: 1 << 20, chains: [txs.slice(0, 2), txs.slice(2)] });
    const d = txsOfTxSet(built.xdr);
    expect(d.kind).to.equal('generalized');
    expect(Buffer.from(d.hash).equals(Buffer.from(built.hash))).to.equal(true);
    expect(Buffer.from(d.previousLedgerHash).equals(PREV)).to.equal(true);
    expect(hex(d.txs)).to.deep.equal(hex(built.txs.map((t) => t.bytes)));
    expect(txsOfTxSet(built.xdr, 'generalized').kind).to.equal('generalized');
  });

  it("reads a legacy TransactionSet with stellar-core's legacy contents hash", () => {
    const bytes = new xdr.TransactionSet({ previousLedgerHash: PREV, txes: envelopes(txs) }).toXDR();
    const d = txsOfTxSet(bytes);
    expect(d.kind).to.equal('legacy');
    // SHA-256(previousLedgerHash ‖ each envelope's XDR), computed here from the parts.
    const expected = createHash('sha256');
    expected.update(PREV);
    for (const t of txs) expected.update(t.bytes);
    expect(Buffer.from(d.hash).toString('hex')).to.equal(expected.digest('hex'));
    expect(hex(d.txs)).to.deep.equal(hex(txs.map((t) => t.bytes)));
    expect(Buffer.from(d.previousLedgerHash).equals(PREV)).to.equal(true);
    expect(txsOfTxSet(bytes, 'legacy').kind).to.equal('legacy');
    expectInvalid(bytes, 'a legacy set is no generalized one', 'generalized');
  });

  it('takes the txs of every phase, including a parallel soroban phase', () => {
    const [a, b, c] = envelopes(txs);
    const classic = new xdr.TransactionPhase(0, [
      xdr.TxSetComponent.txsetCompTxsMaybeDiscountedFee(new xdr.TxSetComponentTxsMaybeDiscountedFee({ baseFee: null, txes: [a!] })),
    ]);
    const parallel = new xdr.TransactionPhase(1, new xdr.ParallelTxsComponent({ baseFee: null, executionStages: [[[b!], [c!]]] }));
    const d = txsOfTxSet(generalized([classic, parallel]));
    expect(hex(d.txs)).to.deep.equal(hex(txs.map((t) => t.bytes)));
  });

  it('refuses garbage, truncation, trailing bytes and shapes stellar-core would not take', () => {
    const built = buildTxSet({ previousLedgerHash: PREV, maxOps: 100, maxBytes: 1 << 20, chains: [txs.slice(2)] });
    expectInvalid(new Uint8Array(0), 'empty');
    expectInvalid(randomBytes(200), 'random bytes');
    expectInvalid(built.xdr.subarray(0, built.xdr.length - 1), 'truncated');
    expectInvalid(Buffer.concat([built.xdr, Buffer.alloc(4)]), 'trailing bytes');
    const empty = new xdr.TransactionPhase(0, []);
    expectInvalid(generalized([empty]), 'one phase');
    expectInvalid(generalized([empty, empty, empty]), 'three phases');
    const parallel = new xdr.TransactionPhase(1, new xdr.ParallelTxsComponent({ baseFee: null, executionStages: [] }));
    expectInvalid(generalized([parallel, empty]), 'a parallel classic phase');
    expect(() => txsOfTxSet(generalized([empty, parallel]))).not.to.throw();
  });

  it('checks that bytes are the set a hash names, decoding only a legacy set', () => {
    const built = buildTxSet({ previousLedgerHash: PREV, maxOps: 100, maxBytes: 1 << 20, chains: [txs.slice(2)] });
    expect(checkTxSetHash(built.xdr, built.hash)).to.equal('generalized');
    const legacy = new xdr.TransactionSet({ previousLedgerHash: PREV, txes: envelopes(txs) }).toXDR();
    expect(checkTxSetHash(legacy, txsOfTxSet(legacy).hash)).to.equal('legacy');
    const invalid = (bytes: Uint8Array, hash: Uint8Array, why: string) =>
      expect(() => checkTxSetHash(bytes, hash), why).to.throw(OverlayError).with.property('code', 'TXSET_INVALID');
    invalid(built.xdr, randomBytes(32), 'another hash');
    invalid(Buffer.concat([built.xdr, Buffer.alloc(4)]), built.hash, 'trailing bytes');
    // The legacy hash leaves out the count: 4 bytes slipped into a generalized set after its first 32 match it.
    const slipped = Buffer.concat([built.xdr.subarray(0, 32), Buffer.alloc(4), built.xdr.subarray(32)]);
    invalid(slipped, built.hash, 'bytes that only match the legacy formula without being a legacy set');
  });
});
