import { expect } from 'chai';
import { OldestKeys } from '#ipc-protocol';
import { BoundedMap } from '../../../core-bridge/src/util/bounded-map.ts';
import { BoundedSet, LruMap } from '../../../overlay/src/util/bounded.ts';

/** Deterministic: a test that fails replays the same steps. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('OldestKeys (ipc-protocol, both sides’ bounded tables)', () => {
  it('takes what keys().next() would, through deletions, moves to the end, rehashes and clear()', () => {
    const rand = lcg(7);
    const map = new Map<number, number>();
    const oldest = new OldestKeys(map);
    let next = 0;
    let taken = 0;
    for (let step = 0; step < 60_000; step++) {
      const r = rand();
      const k = Math.floor(rand() * next);
      if (r < 0.55 || map.size === 0) map.set(next++, 0);
      else if (r < 0.7 && map.delete(k)) map.set(k, 0); // an LRU touch
      else if (r < 0.8) map.delete(k);
      else {
        const expected = map.keys().next().value;
        expect(oldest.take()).to.equal(expected);
        map.delete(expected!);
        taken++;
      }
      if (step === 30_000) {
        for (const key of [...map.keys()].slice(0, -5)) map.delete(key); // the table shrinks
      }
      if (step === 45_000) map.clear();
    }
    expect(taken).to.be.greaterThan(5000);
  });

  it('is undefined on an empty table, and starts over if a key it passed was left in place', () => {
    const set = new Set<string>();
    const oldest = new OldestKeys(set);
    expect(oldest.take()).to.equal(undefined);
    set.add('a');
    expect(oldest.take()).to.equal('a'); // not deleted by the caller: the cursor is past the only key
    expect(oldest.take()).to.equal('a');
  });
});

describe('bounded containers evict through OldestKeys', () => {
  it('LruMap: least recently used first, by count and by cost', () => {
    const m = new LruMap<string, number>(3, 10);
    m.set('a', 1, 4);
    m.set('b', 2, 4);
    m.set('c', 3, 1);
    m.get('a'); // a is now the most recent
    m.set('d', 4, 1); // a fourth: b, least recently used, goes
    expect([...m.entries()].map(([k]) => k)).to.deep.equal(['c', 'a', 'd']);
    m.set('e', 5, 9); // cost 15 > 10: c then a go
    expect([...m.entries()].map(([k]) => k)).to.deep.equal(['d', 'e']);
    expect([m.cost, m.evictions]).to.deep.equal([10, 3]);
  });

  it('BoundedSet: oldest inserted first', () => {
    const s = new BoundedSet<number>(2);
    for (const x of [1, 2, 3, 2, 4]) s.add(x);
    expect([s.has(1), s.has(2), s.has(3), s.has(4), s.evictions]).to.deep.equal([false, false, true, true, 2]);
  });

  it('BoundedMap (core-bridge): setting moves a key last; past the bound the oldest goes, counted', () => {
    const m = new BoundedMap<string, number>(2);
    expect([m.set('a', 1), m.set('b', 2), m.set('a', 3), m.set('c', 4)]).to.deep.equal([0, 0, 0, 1]);
    expect([m.has('b'), m.get('a'), m.get('c'), m.size]).to.deep.equal([false, 3, 4, 2]);
    expect(() => new BoundedMap(0)).to.throw(RangeError);
  });
});
