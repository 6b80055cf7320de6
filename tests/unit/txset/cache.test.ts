import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { TxSetCache } from '../../../overlay/src/txset/cache.ts';

function cache(ledgers: number, maxBytes: number) {
  const registry = createRegistry({ processMetrics: false });
  return { cache: new TxSetCache({ ledgers, maxBytes, registry }), metrics: () => flatMetrics(registry) };
}

/** A hash and `size` bytes of "set" (the cache does not look inside). */
function item(size = 100): { hash: Uint8Array; xdr: Uint8Array } {
  return { hash: randomBytes(32), xdr: randomBytes(size) };
}

describe('txset/cache', () => {
  it('keeps sets for a window of ledgers after the last closed one', async () => {
    const { cache: c, metrics } = cache(12, 1 << 20);
    const byLedger = new Map<number, { hash: Uint8Array; xdr: Uint8Array }>();
    for (let seq = 1; seq <= 20; seq++) {
      const it = item();
      byLedger.set(seq, it);
      c.add(it.hash, it.xdr, seq);
    }
    expect(Buffer.from(c.get(byLedger.get(5)!.hash)!).equals(Buffer.from(byLedger.get(5)!.xdr))).to.equal(true);
    c.ledgerClosed(20); // keeps 9..20 (12 ledgers)
    for (let seq = 1; seq <= 20; seq++) expect(c.has(byLedger.get(seq)!.hash), `ledger ${seq}`).to.equal(seq >= 9);
    expect(c.get(byLedger.get(8)!.hash)).to.equal(undefined);
    expect(c.size).to.equal(12);
    const m = await metrics();
    expect(m['overlay_txset_cached']).to.equal(12);
    expect(m['overlay_txset_cached_bytes']).to.equal(1200);
    expect(m['overlay_txset_evicted_total{cause=ledger}']).to.equal(8);
  });

  it('re-tags a set fetched again for a later ledger, so it stays in the window', () => {
    const { cache: c } = cache(2, 1 << 20);
    const it = item();
    c.add(it.hash, it.xdr, 1);
    c.add(it.hash, it.xdr, 10);
    c.add(it.hash, it.xdr, 3); // an earlier tag never shortens its life
    c.ledgerClosed(11);
    expect(c.has(it.hash)).to.equal(true);
    c.ledgerClosed(12);
    expect(c.has(it.hash)).to.equal(false);
    expect(c.bytes).to.equal(0);
  });

  it('caps bytes, evicting the oldest ledger first (oldest added first within a ledger)', async () => {
    const { cache: c, metrics } = cache(100, 1000);
    const l7a = item(300);
    const l5 = item(300);
    const l7b = item(300);
    c.add(l7a.hash, l7a.xdr, 7);
    c.add(l5.hash, l5.xdr, 5);
    c.add(l7b.hash, l7b.xdr, 7);
    expect(c.bytes).to.equal(900);
    const l8 = item(300);
    expect(c.add(l8.hash, l8.xdr, 8)).to.equal(true);
    expect(c.has(l5.hash), 'ledger 5 goes first though added second').to.equal(false);
    expect([c.has(l7a.hash), c.has(l7b.hash), c.has(l8.hash)]).to.deep.equal([true, true, true]);
    const l9 = item(300);
    c.add(l9.hash, l9.xdr, 9);
    expect([c.has(l7a.hash), c.has(l7b.hash)], 'then ledger 7, its first set first').to.deep.equal([false, true]);
    expect(c.bytes).to.be.at.most(1000);
    const old = item(300);
    expect(c.add(old.hash, old.xdr, 1), 'a set older than everything is the one evicted').to.equal(false);
    const huge = item(1001);
    expect(c.add(huge.hash, huge.xdr, 10), 'a set over the whole cap is not kept').to.equal(false);
    expect(c.has(l9.hash)).to.equal(true);
    expect((await metrics())['overlay_txset_evicted_total{cause=bytes}']).to.equal(4);
  });
});
