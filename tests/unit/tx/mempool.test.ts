import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { compareRate } from '../../../overlay/src/tx/fee-order.ts';
import { Mempool, type AddResult, type MempoolOptions, type RemovalCause } from '../../../overlay/src/tx/mempool.ts';
import { compareFeeRate, type TxInfo } from '../../../overlay/src/tx/types.ts';
import { toHex } from '../../../overlay/src/util/bytes.ts';

const MAX_I64 = 2n ** 63n - 1n;

function txFrom(hash: Uint8Array, source: string, seq: bigint, fee: bigint, ops = 1, size = 100): TxInfo {
  return { hash, key: toHex(hash), bytes: new Uint8Array(randomBytes(size)), source, seq, fee, ops };
}

/** A TxInfo as plain data: the pool hands out its own objects (bytes in its slabs), equal in content to those added. */
function plain(t: TxInfo) {
  return { key: t.key, hash: toHex(t.hash), bytes: toHex(t.bytes), source: t.source, seq: t.seq, fee: t.fee, ops: t.ops };
}
const plains = (txs: readonly TxInfo[]) => txs.map(plain);
function plainResult(r: AddResult) {
  return r.status === 'ACCEPTED' ? { ...r, evicted: plains(r.evicted), replaced: r.replaced && plain(r.replaced) } : r;
}

function tx(source: string, seq: number | bigint, fee: number | bigint, ops = 1, size = 100): TxInfo {
  return txFrom(randomBytes(32), source, BigInt(seq), BigInt(fee), ops, size);
}

const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const C = 'cc'.repeat(32);
const D = 'dd'.repeat(32);

const defaults: MempoolOptions = { maxTxs: 100, maxBytes: 1_000_000, pendingLedgers: 4, banLedgers: 10, rbfMultiplier: 10 };

/** A pool recording every onRemove call. */
function pool(opts: Partial<MempoolOptions> = {}): { pool: Mempool; removed: Array<[string, RemovalCause]> } {
  const removed: Array<[string, RemovalCause]> = [];
  const p = new Mempool({ ...defaults, onRemove: (t, cause) => removed.push([t.key, cause]), ...opts });
  return { pool: p, removed };
}

function accept(p: Mempool, t: TxInfo): void {
  const r = p.add(t);
  expect(r.status, `add ${t.source.slice(0, 2)}#${t.seq}`).to.equal('ACCEPTED');
}

const keys = (txs: readonly TxInfo[]): string[] => txs.map((t) => t.key);
/** Each pending tx's place in arrival order (values() iterates in it: a replacement arrives anew). */
const arrivalIndex = (p: Mempool): Map<string, number> => new Map([...p.values()].map((t, i) => [t.key, i]));

describe('tx/mempool', () => {
  describe('capacity', () => {
    it('by count: refuses a newcomer paying the same, evicts the cheapest for one paying more', () => {
      const { pool: p, removed } = pool({ maxTxs: 3 });
      const a = tx(A, 1, 100);
      const b = tx(B, 1, 200);
      const c = tx(C, 1, 300);
      [a, b, c].forEach((t) => accept(p, t));
      expect(p.add(tx(D, 1, 100))).to.deep.equal({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
      expect(p.add(tx(D, 1, 50))).to.deep.equal({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
      const d = tx(D, 1, 101);
      const r = p.add(d);
      expect(plainResult(r)).to.deep.equal({ status: 'ACCEPTED', evicted: plains([a]), replaced: null });
      expect(removed).to.deep.equal([[a.key, 'evicted']]);
      expect(p.size).to.equal(3);
      expect(p.has(a.key)).to.equal(false);
      expect(p.has(d.key)).to.equal(true);
    });

    it('by bytes: evicts as many cheaper txs as needed, refuses a tx larger than the pool', () => {
      const { pool: p } = pool({ maxBytes: 1000 });
      const a = tx(A, 1, 100, 1, 400);
      const b = tx(B, 1, 200, 1, 400);
      accept(p, a);
      accept(p, b);
      expect(p.bytes).to.equal(800);
      expect(p.add(tx(C, 1, 100, 1, 300))).to.deep.equal({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
      const small = tx(C, 1, 100, 1, 200);
      accept(p, small); // fits exactly
      expect(p.bytes).to.equal(1000);
      const big = tx(D, 1, 1000, 1, 700);
      const r = p.add(big);
      expect(r.status).to.equal('ACCEPTED');
      // Cheapest first: a (100, key order decides among equal rates), small (100), then b (200).
      expect(r.status === 'ACCEPTED' && new Set(keys(r.evicted))).to.deep.equal(new Set([a.key, small.key, b.key]));
      expect(p.bytes).to.equal(700);
      expect(p.add(tx(A, 2, 10_000, 1, 1001))).to.deep.equal({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
      expect(p.size).to.equal(1);
    });

    it('evicting a tx inside a chain evicts the rest of that chain after it', () => {
      const { pool: p, removed } = pool({ maxTxs: 4 });
      const a1 = tx(A, 1, 300);
      const a2 = tx(A, 2, 100); // the cheapest, but not the last of A's chain
      const a3 = tx(A, 3, 200);
      const b = tx(B, 1, 1000);
      [a1, a2, a3, b].forEach((t) => accept(p, t));
      const c = tx(C, 1, 250);
      const r = p.add(c);
      expect(plainResult(r)).to.deep.equal({ status: 'ACCEPTED', evicted: plains([a2, a3]), replaced: null });
      expect(removed).to.deep.equal([
        [a2.key, 'evicted'],
        [a3.key, 'evicted'],
      ]);
      expect([...p.chains()].map((ch) => keys(ch))).to.deep.include.members([[a1.key], [b.key], [c.key]]);
      accept(p, tx(A, 2, 300)); // A's chain goes on from a1
    });

    it('refuses when a chain tail that would go with the cheapest pays as much as the newcomer', () => {
      const { pool: p } = pool({ maxTxs: 3 });
      [tx(A, 1, 100), tx(A, 2, 500), tx(B, 1, 1000)].forEach((t) => accept(p, t));
      expect(p.add(tx(C, 1, 500))).to.deep.equal({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
      expect(p.size).to.equal(3);
      expect(p.add(tx(C, 1, 501)).status).to.equal('ACCEPTED');
    });

    it("never evicts the newcomer's own predecessors", () => {
      const { pool: p } = pool({ maxTxs: 2 });
      [tx(A, 1, 100), tx(B, 1, 1000)].forEach((t) => accept(p, t));
      expect(p.add(tx(A, 2, 5000))).to.deep.equal({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
      expect(p.size).to.equal(2);
    });
  });

  describe('replace-by-fee', () => {
    it('accepts exactly 10× the fee rate, refuses just under, and reports the replaced tx', () => {
      const { pool: p, removed } = pool();
      const old = tx(A, 7, 300, 3); // rate 100
      accept(p, old);
      expect(p.add(tx(A, 7, 1999, 2))).to.deep.equal({ status: 'INVALID', reason: 'REPLACE_FEE_TOO_LOW' }); // 999.5
      expect(plain(p.get(old.key)!)).to.deep.equal(plain(old));
      const next = tx(A, 7, 2000, 2); // rate 1000 = 10×
      expect(plainResult(p.add(next))).to.deep.equal({ status: 'ACCEPTED', evicted: [], replaced: plain(old) });
      expect(removed).to.deep.equal([[old.key, 'replaced']]);
      expect(p.has(old.key)).to.equal(false);
      expect(p.size).to.equal(1);
      expect(p.bytes).to.equal(100);
    });

    it('replaces inside a chain and keeps the successors', () => {
      const { pool: p } = pool();
      const [a1, a2, a3] = [tx(A, 1, 100), tx(A, 2, 100), tx(A, 3, 100)];
      [a1, a2, a3].forEach((t) => accept(p, t));
      const r2 = tx(A, 2, 1000);
      expect(plainResult(p.add(r2))).to.deep.equal({ status: 'ACCEPTED', evicted: [], replaced: plain(a2) });
      expect([...p.chains()].map(keys)).to.deep.equal([[a1.key, r2.key, a3.key]]);
    });

    it('makes room at capacity beyond the replaced tx, never cutting its own predecessors', () => {
      const { pool: p } = pool({ maxBytes: 1000 });
      const a1 = tx(A, 1, 500, 1, 300);
      const a2 = tx(A, 2, 100, 1, 300);
      const b = tx(B, 1, 200, 1, 400);
      [a1, a2, b].forEach((t) => accept(p, t));
      // a2 → 700 bytes needs 400 more than a2 freed: b (200) goes; a1 is a predecessor and stays.
      const r = p.add(tx(A, 2, 1000, 1, 700));
      expect(plainResult(r)).to.deep.include({ evicted: plains([b]), replaced: plain(a2) });
      expect(p.bytes).to.equal(1000);
      // a1 is now the cheapest and a predecessor of the replacement: refused.
      expect(p.add(tx(A, 2, 100_000, 1, 701))).to.deep.equal({ status: 'TRY_AGAIN_LATER', reason: 'MEMPOOL_FULL' });
    });
  });

  describe('sequence numbers', () => {
    it('appends, replaces, refuses gaps and seqs before the chain', () => {
      const { pool: p } = pool();
      accept(p, tx(A, 10, 100));
      accept(p, tx(A, 11, 100));
      expect(p.add(tx(A, 13, 100))).to.deep.equal({ status: 'INVALID', reason: 'BAD_SEQUENCE' });
      expect(p.add(tx(A, 9, 100))).to.deep.equal({ status: 'INVALID', reason: 'BAD_SEQUENCE' });
      accept(p, tx(A, 12, 100));
      accept(p, tx(B, 1_000_000_000_000n, 100)); // no pending txs, nothing externalized: any seq
      expect([...p.chains()].map((ch) => ch.map((t) => t.seq))).to.deep.equal([[10n, 11n, 12n], [1_000_000_000_000n]]);
    });

    it('externalized: removes included and stale txs, keeps the rest of the chain, refuses seqs at or below it', () => {
      const { pool: p, removed } = pool();
      const a = [1, 2, 3, 4].map((s) => tx(A, s, 100));
      a.forEach((t) => accept(p, t));
      const b1 = tx(B, 5, 100);
      accept(p, b1);
      const [a1, a2, a3, a4] = a as [TxInfo, TxInfo, TxInfo, TxInfo];
      const out = p.externalized([a2.hash, randomBytes(32), toHex(b1.hash)]);
      expect(new Set(keys(out))).to.deep.equal(new Set([a1.key, a2.key, b1.key]));
      expect(new Map(removed)).to.deep.equal(
        new Map<string, RemovalCause>([
          [a2.key, 'included'],
          [b1.key, 'included'],
          [a1.key, 'stale'],
        ]),
      );
      expect([...p.chains()].map(keys)).to.deep.equal([[a3.key, a4.key]]);
      accept(p, tx(A, 5, 100)); // the remaining chain stays valid
      // B has no pending txs: at or below its externalized seq is refused, anything above accepted.
      expect(p.add(tx(B, 5, 100))).to.deep.equal({ status: 'INVALID', reason: 'BAD_SEQUENCE' });
      expect(p.add(tx(B, 4, 100))).to.deep.equal({ status: 'INVALID', reason: 'BAD_SEQUENCE' });
      accept(p, tx(B, 9, 100));
      expect(p.externalized([])).to.deep.equal([]);
    });

    it('externalized names two txs of one chain: both included, the ones before them stale', () => {
      const { pool: p, removed } = pool();
      const a = [1, 2, 3, 4].map((s) => tx(A, s, 100));
      a.forEach((t) => accept(p, t));
      p.externalized([a[2]!.key, a[1]!.key]);
      expect(removed).to.deep.equal([
        [a[1]!.key, 'included'],
        [a[2]!.key, 'included'],
        [a[0]!.key, 'stale'],
      ]);
      expect(plains([...p.values()])).to.deep.equal(plains([a[3]!]));
    });
  });

  describe('ledgers', () => {
    it('refuses a tx a ledger already included, even one it never held (a late flooded copy)', () => {
      const { pool: p } = pool();
      p.ledgerClosed(10);
      const late = tx(A, 1, 100);
      expect(p.externalized([late.key])).to.deep.equal([]);
      expect(p.add(late)).to.deep.equal({ status: 'INVALID', reason: 'BAD_SEQUENCE' });
      expect(p.isBanned(late.key)).to.equal(true);
      for (let l = 11; l <= 10 + defaults.banLedgers; l++) p.ledgerClosed(l);
      expect(p.isBanned(late.key)).to.equal(false);
    });

    it('expires txs after pending_ledgers with their successors, bans them for ban_ledgers, then accepts again', () => {
      const { pool: p, removed } = pool();
      expect(p.ledgerClosed(100)).to.deep.equal([]);
      expect(p.ledgerSeq).to.equal(100);
      const a1 = tx(A, 1, 100);
      accept(p, a1);
      p.ledgerClosed(101);
      const a2 = tx(A, 2, 100); // younger, but goes with its predecessor
      const b = tx(B, 1, 100);
      accept(p, a2);
      accept(p, b);
      for (const l of [102, 103, 104]) expect(p.ledgerClosed(l)).to.deep.equal([]);
      expect(p.ledgerClosed(104)).to.deep.equal([]); // a repeat advances nothing
      expect(plains(p.ledgerClosed(105))).to.deep.equal(plains([a1, a2]));
      expect(removed).to.deep.equal([
        [a1.key, 'expired'],
        [a2.key, 'expired'],
      ]);
      expect(p.isBanned(a1.key) && p.isBanned(a2.key)).to.equal(true);
      expect(p.add(a1)).to.deep.equal({ status: 'INVALID', reason: 'BANNED' });
      expect(plains(p.ledgerClosed(106))).to.deep.equal(plains([b]));
      for (let l = 107; l <= 114; l++) p.ledgerClosed(l);
      expect(p.isBanned(a1.key)).to.equal(true);
      p.ledgerClosed(115); // 10 ledgers after the ban
      expect(p.isBanned(a1.key)).to.equal(false);
      expect(p.isBanned(b.key)).to.equal(true);
      accept(p, a1);
    });

    it('counts a jump of several ledgers as several', () => {
      const { pool: p } = pool();
      p.ledgerClosed(10);
      const a = tx(A, 1, 100);
      accept(p, a);
      expect(plains(p.ledgerClosed(15))).to.deep.equal(plains([a]));
    });

    it('bounds the bans (4 × max_txs, oldest first)', async () => {
      const registry = createRegistry({ processMetrics: false });
      const { pool: p } = pool({ maxTxs: 2, banLedgers: 1000, registry });
      const all: TxInfo[] = [];
      p.ledgerClosed(1);
      for (let round = 0; round < 5; round++) {
        const pair = [tx(A, 1, 100), tx(B, 1, 100)];
        pair.forEach((t) => accept(p, t));
        all.push(...pair);
        for (let i = 0; i < 5; i++) p.ledgerClosed(p.ledgerSeq + 1);
      }
      const banned = all.filter((t) => p.isBanned(t.key));
      expect(banned).to.deep.equal(all.slice(2));
      const m = await flatMetrics(registry);
      expect(m['overlay_mempool_banned']).to.equal(8);
      expect(m['overlay_mempool_bounded_evictions_total{table=bans}']).to.equal(2);
    });
  });

  it('refuses the same hash again as DUPLICATE', () => {
    const { pool: p } = pool();
    const a = tx(A, 1, 100);
    accept(p, a);
    expect(p.add(a)).to.deep.equal({ status: 'DUPLICATE' });
    expect(p.size).to.equal(1);
  });

  it('top(): highest fee rate first, ties by arrival', () => {
    const { pool: p } = pool();
    const b = tx(B, 1, 600);
    const a2Rate500 = tx(A, 2, 1000, 2);
    const rate100 = [tx(A, 1, 300, 3), tx(C, 1, 100), tx(D, 1, 200, 2)];
    [rate100[0]!, b, rate100[1]!, rate100[2]!, a2Rate500].forEach((t) => accept(p, t));
    expect(plains(p.top(10))).to.deep.equal(plains([b, a2Rate500, ...rate100]));
    expect(plains(p.top(2))).to.deep.equal(plains([b, a2Rate500]));
    expect(p.top(0)).to.deep.equal([]);
  });

  it('top(n) is the first n of the full fee order at any size, under adds, evictions, replacements and removals', () => {
    const { pool: p } = pool({ maxTxs: 3000, maxBytes: 10_000_000 });
    const sources = Array.from({ length: 1500 }, (_, i) => i.toString(16).padStart(64, '0'));
    const next = new Map<string, bigint>();
    // values() is in arrival order, and sort is stable: equal rates stay in arrival order.
    const ordered = () => [...p.values()].sort((x, y) => compareFeeRate(y, x));
    const check = () => {
      const all = ordered();
      for (const n of [1, 10, 255, 256, 1000, all.length, all.length + 5]) expect(keys(p.top(n))).to.deep.equal(keys(all.slice(0, n)));
    };
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 2000; i++) {
        const source = sources[(i * 7 + round) % sources.length]!;
        const seq = next.get(source) ?? 1n;
        // Every 50th tx replaces its account's last tx at 10× its rate (or more) instead of extending the chain.
        const replace = i % 50 === 0 && seq > 1n;
        const r = p.add(tx(source, replace ? seq - 1n : seq, BigInt(100 + ((i * 7919 + round * 104_729) % 100_000)) * (replace ? 20n : 1n), 1 + (i % 3)));
        if (r.status !== 'ACCEPTED') continue;
        if (!replace) next.set(source, seq + 1n);
        for (const e of r.evicted) if (e.seq < (next.get(e.source) ?? 1n)) next.set(e.source, e.seq);
      }
      check();
      // A ledger takes some of the best; their accounts' earlier txs go stale with them.
      p.externalized(p.top(400).filter((_, i) => i % 2 === 0).map((t) => t.key));
      check();
    }
  });

  it('compares fees near 2^63 exactly', () => {
    const { pool: p } = pool({ maxTxs: 2 });
    const hi = tx(A, 1, MAX_I64);
    const lo = tx(B, 1, MAX_I64 - 1n); // the same float as MAX_I64
    accept(p, lo);
    accept(p, hi);
    expect(plains(p.top(2))).to.deep.equal(plains([hi, lo]));
    // At capacity, MAX_I64 - 1 does not beat lo (equal), MAX_I64 does.
    expect(p.add(tx(C, 1, MAX_I64 - 1n)).status).to.equal('TRY_AGAIN_LATER');
    expect(plainResult(p.add(tx(C, 1, MAX_I64)))).to.deep.include({ status: 'ACCEPTED', evicted: plains([lo]) });
    // Replace-by-fee at 10× with big fees: (MAX_I64 / 10 ops) → (MAX_I64 / 1 op) is exactly 10×.
    const { pool: q } = pool();
    accept(q, tx(D, 1, MAX_I64, 10));
    expect(q.add(tx(D, 1, MAX_I64 - 1n, 1))).to.deep.equal({ status: 'INVALID', reason: 'REPLACE_FEE_TOO_LOW' });
    expect(q.add(tx(D, 1, MAX_I64, 1)).status).to.equal('ACCEPTED');
  });

  it('compareRate (Number fast path) agrees with the exact BigInt comparison', () => {
    const fee = fc.oneof(fc.bigInt({ min: 0n, max: MAX_I64 }), fc.bigInt({ min: 0n, max: 2n ** 54n }), fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n));
    const side = fc.record({ fee, ops: fc.integer({ min: 1, max: 101 }), key: fc.constant('') });
    fc.assert(
      fc.property(side, side, (a, b) => {
        const ka = { ...a, feeNum: Number(a.fee) };
        const kb = { ...b, feeNum: Number(b.fee) };
        expect(compareRate(ka, kb)).to.equal(compareFeeRate(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('exports its metrics on the registry', async () => {
    const registry = createRegistry({ processMetrics: false });
    const { pool: p } = pool({ registry, maxTxs: 2 });
    const a = tx(A, 1, 100, 1, 10);
    accept(p, a);
    accept(p, tx(A, 2, 100, 1, 20));
    p.add(a);
    p.add(tx(A, 5, 100));
    p.add(tx(B, 1, 50));
    p.externalized([a.hash]);
    const m = await flatMetrics(registry);
    expect(m).to.deep.include({
      overlay_mempool_txs: 1,
      overlay_mempool_bytes: 20,
      overlay_mempool_accounts: 1,
      overlay_mempool_banned: 0,
      overlay_mempool_account_seqs: 1,
      'overlay_mempool_added_total{outcome=accepted}': 2,
      'overlay_mempool_added_total{outcome=duplicate}': 1,
      'overlay_mempool_added_total{outcome=bad_sequence}': 1,
      'overlay_mempool_added_total{outcome=mempool_full}': 1,
      'overlay_mempool_removed_total{cause=included}': 1,
    });
  });

  it('keeps sequence numbers exactly, across the 32-bit boundary and up to 2^63 − 1', () => {
    const { pool: p } = pool();
    const low = [2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n].map((seq) => tx(A, seq, 100));
    const high = [MAX_I64 - 1n, MAX_I64].map((seq) => tx(B, seq, 100));
    [...low, ...high].forEach((t) => accept(p, t));
    for (const t of [...low, ...high]) expect(p.get(t.key)?.seq).to.equal(t.seq);
    const chains = new Map([...p.chains()].map((c) => [c[0]!.source, c.map((t) => t.seq)]));
    expect(chains.get(A)).to.deep.equal(low.map((t) => t.seq));
    expect(chains.get(B)).to.deep.equal(high.map((t) => t.seq));
    expect(p.add(tx(A, 2n ** 32n + 3n, 100))).to.deep.equal({ status: 'INVALID', reason: 'BAD_SEQUENCE' });
  });

  it('rebuilds its per-tx maps under churn without changing contents or expiry order', async () => {
    // maxTxs 100: a fresh table has 128 slots, so the maps are rebuilt every 21 removals (3/4 of the 28 spare).
    const registry = createRegistry({ processMetrics: false });
    const { pool: p } = pool({ registry, maxTxs: 100, pendingLedgers: 2 });
    const arrived: TxInfo[] = [];
    p.ledgerClosed(1);
    for (let i = 0; i < 100; i++) arrived.push(tx(i.toString(16).padStart(64, '0'), 1, 100 + i));
    arrived.forEach((t) => accept(p, t));
    p.ledgerClosed(2);
    // 60 newcomers paying more each evict the cheapest, i.e. the earliest arrivals.
    for (let i = 0; i < 60; i++) {
      const t = tx(`f${i.toString(16).padStart(63, '0')}`, 1, 1000 + i);
      accept(p, t);
      arrived.push(t);
    }
    const survivors = arrived.slice(60);
    expect(keys([...p.values()])).to.deep.equal(keys(survivors));
    for (const t of survivors) expect(p.get(t.key)?.key).to.equal(t.key);
    expect([...p.chains()].map((c) => c[0]!.key).sort()).to.deep.equal(keys(survivors).sort());
    expect((await flatMetrics(registry))['overlay_mempool_table_rebuilds_total']).to.be.at.least(2);
    // Expiry still walks arrival order: the 40 first-ledger survivors go first, the 60 newcomers stay.
    expect(keys(p.ledgerClosed(4))).to.deep.equal(keys(survivors.slice(0, 40)));
    expect(keys([...p.values()])).to.deep.equal(keys(survivors.slice(40)));
  });

  it('holds its invariants over random operation sequences', () => {
    const accounts = [A, B, C, D, 'ee'.repeat(32)];
    const op = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('add' as const),
          account: fc.integer({ min: 0, max: accounts.length - 1 }),
          seqDelta: fc.integer({ min: -2, max: 2 }), // relative to the chain's next seq
          fee: fc.oneof(fc.bigInt({ min: 1n, max: 2000n }), fc.bigInt({ min: 1n, max: MAX_I64 })),
          ops: fc.integer({ min: 1, max: 5 }),
          size: fc.integer({ min: 1, max: 400 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('again' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('externalize' as const), picks: fc.array(fc.nat(), { maxLength: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), steps: fc.integer({ min: 0, max: 3 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 1, max: 12 }), (ops, maxTxs) => {
        const maxBytes = 1500;
        const removedBy = new Map<RemovalCause, number>();
        const p = new Mempool({
          maxTxs,
          maxBytes,
          pendingLedgers: 2,
          banLedgers: 3,
          rbfMultiplier: 10,
          onRemove: (_t, cause) => removedBy.set(cause, (removedBy.get(cause) ?? 0) + 1),
        });
        const made: TxInfo[] = [];
        let accepted = 0;
        let ledger = 1;
        for (const o of ops) {
          if (o.kind === 'add' || o.kind === 'again') {
            let t: TxInfo | undefined;
            if (o.kind === 'add') {
              const source = accounts[o.account]!;
              const chain = [...p.chains()].find((ch) => ch[0]!.source === source);
              const next = chain ? chain[0]!.seq + BigInt(chain.length) : 1n;
              const hash = createHash('sha256').update(`tx ${made.length}`).digest();
              t = txFrom(hash, source, next + BigInt(o.seqDelta), o.fee, o.ops, o.size);
              made.push(t);
            } else {
              t = made.length ? made[o.pick % made.length] : undefined;
            }
            if (t === undefined) continue;
            const before = p.size;
            const r = p.add(t);
            if (r.status === 'ACCEPTED') {
              accepted++;
              expect(p.size).to.equal(before + 1 - r.evicted.length - (r.replaced ? 1 : 0));
              for (const e of r.evicted) expect(compareFeeRate(t, e)).to.equal(1);
            } else {
              expect(p.size).to.equal(before);
            }
          } else if (o.kind === 'externalize') {
            const pending = [...p.values()];
            p.externalized(o.picks.filter(() => pending.length > 0).map((i) => pending[i % pending.length]!.hash));
          } else {
            ledger += o.steps;
            p.ledgerClosed(ledger);
          }
          // Invariants.
          expect(p.size).to.be.at.most(maxTxs);
          expect(p.bytes).to.be.at.most(maxBytes);
          const values = [...p.values()];
          expect(values.length).to.equal(p.size);
          expect(values.reduce((s, t) => s + t.bytes.length, 0)).to.equal(p.bytes);
          let inChains = 0;
          for (const ch of p.chains()) {
            expect(ch.length).to.be.greaterThan(0);
            ch.forEach((t, i) => {
              expect(t.source).to.equal(ch[0]!.source);
              expect(t.seq).to.equal(ch[0]!.seq + BigInt(i));
              expect(p.get(t.key)).to.equal(t);
              expect(p.isBanned(t.key)).to.equal(false);
            });
            inChains += ch.length;
          }
          expect(inChains).to.equal(p.size);
          let removedCount = 0;
          for (const n of removedBy.values()) removedCount += n;
          expect(accepted - removedCount).to.equal(p.size);
          const top = p.top(p.size + 1);
          expect(top.length).to.equal(p.size);
          const arrived = arrivalIndex(p);
          for (let i = 1; i < top.length; i++) {
            const c = compareFeeRate(top[i - 1]!, top[i]!);
            expect(c > 0 || (c === 0 && arrived.get(top[i - 1]!.key)! < arrived.get(top[i]!.key)!)).to.equal(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('takes 100,000 adds into a full pool (sanity, no timing assertion)', () => {
    const p = new Mempool({ ...defaults, maxTxs: 100_000, maxBytes: 128 * 1024 * 1024 });
    const bytes = new Uint8Array(200);
    const next = new Map<string, bigint>();
    const sources = Array.from({ length: 5000 }, (_, i) => i.toString(16).padStart(64, '0'));
    let accepted = 0;
    for (let i = 0; i < 130_000; i++) {
      const hash = randomBytes(32);
      const source = sources[i % sources.length]!;
      const seq = next.get(source) ?? 1n;
      const r = p.add({ hash, key: toHex(hash), bytes, source, seq, fee: BigInt(100 + ((i * 7919) % 10_007)), ops: 1 + (i % 3) });
      if (r.status !== 'ACCEPTED') continue;
      accepted++;
      next.set(source, seq + 1n);
      for (const e of r.evicted) if (e.seq < (next.get(e.source) ?? 1n)) next.set(e.source, e.seq);
    }
    expect(accepted).to.be.greaterThan(100_000);
    // Full, give or take the tail of a chain an eviction took with it (the last add may evict more than one).
    expect(p.size).to.be.within(99_000, 100_000);
    expect(p.top(10)).to.have.length(10);
  });
});
