import { expect } from 'chai';
import fc from 'fast-check';
import { SortedList } from '../../../overlay/src/tx/sorted-list.ts';

interface Item {
  v: number;
}
const before = (a: Item, b: Item) => a.v < b.v;

/** A list checked against a plain sorted array after every step. */
function check(list: SortedList<Item>, model: Item[]): void {
  expect(list.size).to.equal(model.length);
  expect([...list.ascending()]).to.deep.equal(model);
  expect([...list.descending()]).to.deep.equal([...model].reverse());
  expect(list.first()).to.equal(model[0]);
  expect(list.last()).to.equal(model.at(-1));
}

describe('tx/sorted-list', () => {
  it('keeps distinct items in order through inserts and removes that split and merge blocks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ insert: fc.boolean(), v: fc.integer({ min: 0, max: 4000 }) }), { minLength: 200, maxLength: 3000 }),
        (ops) => {
          const list = new SortedList<Item>(before);
          const byValue = new Map<number, Item>();
          for (const o of ops) {
            const known = byValue.get(o.v);
            if (o.insert && known === undefined) {
              const item = { v: o.v };
              byValue.set(o.v, item);
              list.insert(item);
            } else if (!o.insert && known !== undefined) {
              expect(list.remove(known)).to.equal(true);
              byValue.delete(o.v);
            } else if (!o.insert) {
              expect(list.remove({ v: o.v })).to.equal(false);
            }
          }
          check(list, [...byValue.values()].sort((a, b) => a.v - b.v));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('head(n) is the first n items, in order, for any n', () => {
    const list = new SortedList<Item>(before);
    const items = Array.from({ length: 2000 }, (_, i) => ({ v: (i * 7919) % 2003 }));
    for (const x of items) list.insert(x);
    const sorted = [...items].sort((a, b) => a.v - b.v);
    for (const n of [0, 1, 255, 256, 257, 511, 512, 1000, 1999, 2000, 5000]) expect(list.head(n)).to.deep.equal(sorted.slice(0, n));
  });

  it('removes only the same object, never an equal-looking other one', () => {
    const list = new SortedList<Item>(before);
    const a = { v: 1 };
    list.insert(a);
    expect(list.remove({ v: 1 })).to.equal(false);
    expect(list.remove(a)).to.equal(true);
    expect(list.remove(a)).to.equal(false);
    check(list, []);
  });

  it('empties and refills after many removals from the front (blocks merge, none left empty)', () => {
    const list = new SortedList<Item>(before);
    const items = Array.from({ length: 5000 }, (_, i) => ({ v: i }));
    for (const x of items) list.insert(x);
    for (const x of items.slice(0, 4990)) list.remove(x);
    check(list, items.slice(4990));
    for (const x of items.slice(0, 100)) list.insert(x);
    check(list, [...items.slice(0, 100), ...items.slice(4990)]);
  });
});
