import { expect } from 'chai';
import { RetainedByHash } from '../../../core-bridge/src/client/retained.ts';

const h = (n: number) => Buffer.alloc(32, n);

describe('RetainedByHash', () => {
  it('drops the oldest past maxEntries, counting each eviction', () => {
    let evicted = 0;
    const r = new RetainedByHash({ maxEntries: 3, onEvict: () => evicted++ });
    for (let i = 1; i <= 5; i++) r.add(h(i), Buffer.from([i]));
    expect([...r.values()].map((e) => e.bytes[0])).to.deep.equal([3, 4, 5]);
    expect([evicted, r.evictions, r.has(h(1)), r.has(h(5))]).to.deep.equal([2, 2, false, true]);
  });

  it('is bounded by bytes too, and keeps copies, not the caller\'s buffers', () => {
    const r = new RetainedByHash({ maxEntries: 100, maxBytes: 10 });
    const mine = Buffer.alloc(6, 1);
    r.add(h(1), mine);
    mine.fill(9);
    expect([...r.values()][0]!.bytes[0]).to.equal(1);
    r.add(h(2), Buffer.alloc(6, 2));
    expect([r.size, r.bytes, r.has(h(1))]).to.deep.equal([1, 6, false]);
  });

  it('forgets entries of old ledgers and deletes by hash', () => {
    const r = new RetainedByHash({ maxEntries: 100 });
    r.add(h(1), Buffer.from([1]), 10);
    r.add(h(2), Buffer.from([2]), 20);
    r.add(h(3), Buffer.from([3]), 30);
    expect(r.forgetBefore(20)).to.equal(1);
    expect(r.delete(h(3))).to.equal(true);
    expect(r.delete(h(3))).to.equal(false);
    expect([...r.values()].map((e) => e.ledgerSeq)).to.deep.equal([20]);
    expect(r.evictions).to.equal(0);
  });
});
