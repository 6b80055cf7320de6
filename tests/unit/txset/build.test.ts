import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { xdr } from '@stellar/stellar-base';
import { buildTxSet, type BuiltTxSet } from '../../../overlay/src/txset/build.ts';
import { compareFeeRate, type TxInfo } from '../../../overlay/src/tx/types.ts';
import { chain, makeTx, rate } from './helpers.ts';
import { Keypair } from '@stellar/stellar-base';

const PREV = randomBytes(32);
const ROOMY = { maxOps: 1000, maxBytes: 1 << 20 };

/** The classic component of a built set, read back with stellar-base. */
function classicOf(built: BuiltTxSet): { baseFee: bigint | null; txs: Buffer[] } | null {
  const set = xdr.GeneralizedTransactionSet.fromXDR(Buffer.from(built.xdr));
  const [classic, soroban] = set.v1TxSet().phases();
  expect(set.v1TxSet().phases()).to.have.length(2);
  expect(soroban!.switch()).to.equal(0);
  expect(soroban!.v0Components(), 'the soroban phase is empty').to.have.length(0);
  expect(classic!.switch()).to.equal(0);
  const comps = classic!.v0Components();
  if (comps.length === 0) return null;
  expect(comps).to.have.length(1);
  const c = comps[0]!.txsMaybeDiscountedFee();
  const fee = c.baseFee(); // js-xdr reads an absent optional as undefined
  return { baseFee: fee == null ? null : BigInt(fee.toString()), txs: c.txes().map((e) => e.toXDR()) };
}

function keys(txs: readonly TxInfo[]): string[] {
  return txs.map((t) => t.key).sort();
}

describe('txset/build', function () {
  this.timeout(30_000);

  it('includes every tx when under the limits, with no base fee, hash-sorted, in a valid generalized set', () => {
    const chains = [chain([100, 300]), chain([200]), chain([{ fee: 1000, ops: 3 }])];
    const all = chains.flat();
    const built = buildTxSet({ previousLedgerHash: PREV, ...ROOMY, chains });
    expect(keys(built.txs)).to.deep.equal(keys(all));
    expect(built.baseFee).to.equal(null);
    expect(built.ops).to.equal(6);
    expect(built.bytes).to.equal(all.reduce((n, t) => n + t.bytes.length, 0));
    const classic = classicOf(built)!;
    expect(classic.baseFee).to.equal(null);
    // XDR order = full-hash order (stellar-core refuses a component that is not hash-sorted), = built.txs.
    const hashes = classic.txs.map((b) => createHash('sha256').update(b).digest('hex'));
    expect(hashes).to.deep.equal([...hashes].sort());
    expect(hashes).to.deep.equal(built.txs.map((t) => t.key));
    const set = xdr.GeneralizedTransactionSet.fromXDR(Buffer.from(built.xdr));
    expect(Buffer.from(set.v1TxSet().previousLedgerHash()).equals(PREV)).to.equal(true);
  });

  it('hashes the XDR as stellar-base encodes it (round trip byte-identical)', () => {
    const built = buildTxSet({ previousLedgerHash: PREV, ...ROOMY, chains: [chain([100]), chain([500, 400])] });
    const reencoded = xdr.GeneralizedTransactionSet.fromXDR(Buffer.from(built.xdr)).toXDR();
    expect(reencoded.equals(Buffer.from(built.xdr))).to.equal(true);
    expect(Buffer.from(built.hash).toString('hex')).to.equal(createHash('sha256').update(reencoded).digest('hex'));
  });

  it('over the op limit leaves the lowest rates out and sets the base fee to the lowest included rate', () => {
    const chains = [500, 400, 300, 200, 100].map((f) => chain([f]));
    const built = buildTxSet({ previousLedgerHash: PREV, maxOps: 3, maxBytes: 1 << 20, chains });
    expect(keys(built.txs)).to.deep.equal(keys(chains.slice(0, 3).flat()));
    expect(built.ops).to.equal(3);
    expect(built.baseFee).to.equal(300n);
    expect(classicOf(built)!.baseFee).to.equal(300n);
  });

  it('rounds the base fee down (fee / ops) and compares rates exactly', () => {
    // 301/2 = 150.5 → 150; 151/1 beats it, 150/1 loses to it by a half stroop.
    const a = chain([{ fee: 301, ops: 2 }]);
    const b = chain([151]);
    const c = chain([150]);
    const built = buildTxSet({ previousLedgerHash: PREV, maxOps: 3, maxBytes: 1 << 20, chains: [c, a, b] });
    expect(keys(built.txs)).to.deep.equal(keys([...a, ...b]));
    expect(built.baseFee).to.equal(150n);
  });

  it('keeps chains whole: a tx only after its predecessor, nothing after a tx left out', () => {
    // A's second tx pays most but waits for A's first; B's middle tx does not fit, so B's third stays out too
    // although it would fit; C still gets in after B's middle is skipped.
    const a = chain([100, 10_000]);
    const b = chain([{ fee: 5000 }, { fee: 50_000, ops: 10 }, { fee: 4000 }]);
    const c = chain([200]);
    const built = buildTxSet({ previousLedgerHash: PREV, maxOps: 5, maxBytes: 1 << 20, chains: [a, b, c] });
    expect(keys(built.txs)).to.deep.equal(keys([a[0]!, a[1]!, b[0]!, c[0]!]));
    expect(built.baseFee).to.equal(100n);
  });

  it('respects maxBytes, skipping a tx that does not fit for smaller ones that do', () => {
    // Rates 300 (small), 250 (big), 200 (small), 100 (small); room for two small ones only.
    const big = chain([{ fee: 250, memoBytes: 28 }]);
    const small = [chain([300]), chain([200]), chain([100])];
    const smallSize = small[0]![0]!.bytes.length;
    expect(big[0]!.bytes.length).to.be.greaterThan(smallSize);
    const maxBytes = smallSize * 2 + 1;
    const built = buildTxSet({ previousLedgerHash: PREV, maxOps: 100, maxBytes, chains: [big, ...small] });
    expect(keys(built.txs)).to.deep.equal(keys([small[0]![0]!, small[1]![0]!]));
    expect(built.bytes).to.be.at.most(maxBytes);
    expect(built.baseFee).to.equal(200n);
  });

  it('builds byte-identical XDR from the same chains in any order', () => {
    const chains = [chain([100, 100]), chain([100]), chain([300, 50]), chain([{ fee: 200, ops: 2 }])];
    const ref = buildTxSet({ previousLedgerHash: PREV, maxOps: 4, maxBytes: 1 << 20, chains });
    function* reversed() {
      for (let i = chains.length - 1; i >= 0; i--) yield chains[i]!;
    }
    for (const order of [reversed(), [chains[2]!, chains[0]!, chains[3]!, chains[1]!]]) {
      const other = buildTxSet({ previousLedgerHash: PREV, maxOps: 4, maxBytes: 1 << 20, chains: order });
      expect(Buffer.from(other.xdr).equals(Buffer.from(ref.xdr))).to.equal(true);
      expect(Buffer.from(other.hash).equals(Buffer.from(ref.hash))).to.equal(true);
    }
  });

  it('holds its invariants for random chains and limits (property)', () => {
    // A pool of real signed txs: 6 accounts × 4 sequence numbers with assorted fees and op counts.
    const pool = Array.from({ length: 6 }, (_, i) =>
      chain(Array.from({ length: 4 }, (_, j) => ({ fee: 100 + ((i * 37 + j * 91) % 7) * 50, ops: 1 + ((i + j) % 3) }))),
    );
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 4 }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 4000 }),
        fc.func(fc.integer()),
        (lengths, maxOps, maxBytes, shuffleKey) => {
          const chains = pool.map((c, i) => c.slice(0, lengths[i]));
          const built = buildTxSet({ previousLedgerHash: PREV, maxOps, maxBytes, chains });
          const shuffledChains = [...chains].sort((x, y) => shuffleKey(x) - shuffleKey(y));
          const again = buildTxSet({ previousLedgerHash: PREV, maxOps, maxBytes, chains: shuffledChains });
          expect(Buffer.from(again.xdr).equals(Buffer.from(built.xdr)), 'order-independent').to.equal(true);
          expect(built.ops).to.be.at.most(maxOps);
          expect(built.bytes).to.be.at.most(maxBytes);
          const inSet = new Set(built.txs.map((t) => t.key));
          for (const c of chains) {
            const taken = c.filter((t) => inSet.has(t.key)).length;
            expect(c.slice(0, taken).every((t) => inSet.has(t.key)), 'an included prefix of each chain').to.equal(true);
          }
          const offered = chains.flat();
          const leftOut = offered.length > built.txs.length;
          if (leftOut && built.txs.length > 0) {
            const lowest = built.txs.reduce((m, t) => (compareFeeRate(t, m) < 0 ? t : m));
            expect(built.baseFee).to.equal(rate(lowest));
          } else {
            expect(built.baseFee).to.equal(null);
          }
          expect(classicOf(built)?.baseFee ?? null).to.equal(built.txs.length > 0 ? built.baseFee : null);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('uses the ledger base fee when given and nothing was left out; an empty set has no component', () => {
    const built = buildTxSet({ previousLedgerHash: PREV, ...ROOMY, chains: [chain([700])], ledgerBaseFee: 100n });
    expect(built.baseFee).to.equal(100n);
    expect(classicOf(built)!.baseFee).to.equal(100n);
    const empty = buildTxSet({ previousLedgerHash: PREV, ...ROOMY, chains: [] });
    expect(empty.txs).to.have.length(0);
    expect(classicOf(empty), 'stellar-core refuses an empty component').to.equal(null);
  });

  it('refuses chains that are not one account in sequence order', () => {
    const source = Keypair.random();
    const t1 = makeTx({ source, seq: 5n, fee: 100 });
    const t2 = makeTx({ source, seq: 6n, fee: 100 });
    const other = chain([100]);
    const build = (chains: TxInfo[][]) => () => buildTxSet({ previousLedgerHash: PREV, ...ROOMY, chains });
    expect(build([[t2, t1]])).to.throw(RangeError, /sequence order/);
    expect(build([[t1, other[0]!]])).to.throw(RangeError, /holds a tx of/);
    expect(build([[t1], [t2]])).to.throw(RangeError, /two chains/);
  });
});
