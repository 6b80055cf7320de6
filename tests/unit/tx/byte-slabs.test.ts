import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ByteSlabs, COMPACT_BELOW, SLAB_BYTES, type Slab, type SlabRecord } from '../../../overlay/src/tx/byte-slabs.ts';

class Rec implements SlabRecord {
  slab: Slab | null = null;
  at = 0;
  slot = -1;
  readonly content: Uint8Array;
  constructor(content: Uint8Array) {
    this.content = content;
  }
  get storedBytes(): number {
    return this.content.length;
  }
  read(): Uint8Array {
    return ByteSlabs.view(this, 0, this.content.length);
  }
}

function placed(store: ByteSlabs, size: number): Rec {
  const r = new Rec(new Uint8Array(randomBytes(size)));
  store.place(r, r.content);
  return r;
}

describe('tx/byte-slabs', () => {
  it('keeps every live record intact through releases and compactions, within 4/3 of the live bytes (+ one slab)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ place: fc.boolean(), size: fc.integer({ min: 1, max: 40_000 }), pick: fc.nat() }), { minLength: 50, maxLength: 600 }),
        (ops) => {
          const store = new ByteSlabs();
          const live: Rec[] = [];
          for (const o of ops) {
            if (o.place || live.length === 0) live.push(placed(store, o.size));
            else store.release(live.splice(o.pick % live.length, 1)[0]!);
            // Every slab but the current one is at least COMPACT_BELOW live, so: allocated ≤ live / COMPACT_BELOW +
            // one slab (× 8/7 for the end of each slab a record did not fit, at most an eighth of it).
            expect(store.allocatedBytes).to.be.at.most(((8 / 7) * store.bytes) / COMPACT_BELOW + SLAB_BYTES);
          }
          expect(store.bytes).to.equal(live.reduce((s, r) => s + r.content.length, 0));
          for (const r of live) expect(Buffer.from(r.read()).equals(r.content)).to.equal(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('moves the live records of a sparse slab and drops it; views taken before stay readable', () => {
    const store = new ByteSlabs();
    const size = 1000;
    const first = Array.from({ length: Math.floor(SLAB_BYTES / size) }, () => placed(store, size));
    const slab = first[0]!.slab;
    const more = placed(store, size); // the first slab is full: a second one is current
    expect(more.slab).to.not.equal(slab);
    expect(store.slabCount).to.equal(2);
    const kept = first.filter((_, i) => i % 3 === 0);
    const views = kept.map((r) => r.read());
    for (const [i, r] of first.entries()) if (i % 3 !== 0) store.release(r);
    // Compacted into the current slab the moment it fell below COMPACT_BELOW live (moving what was live then), dropped.
    expect(store.slabCount).to.equal(1);
    expect(store.movedBytes).to.be.within(kept.length * size, COMPACT_BELOW * SLAB_BYTES);
    for (const [i, r] of kept.entries()) {
      expect(r.slab).to.equal(more.slab);
      expect(Buffer.from(r.read()).equals(r.content)).to.equal(true);
      expect(Buffer.from(views[i]!).equals(r.content)).to.equal(true);
    }
  });

  it('gives a large record a slab of its own, dropped when it is released; a released record stays readable', () => {
    const store = new ByteSlabs();
    const big = placed(store, SLAB_BYTES / 4);
    expect(store.slabCount).to.equal(1);
    expect(store.allocatedBytes).to.equal(SLAB_BYTES / 4);
    store.release(big);
    expect(store.slabCount).to.equal(0);
    expect(store.bytes).to.equal(0);
    expect(Buffer.from(big.read()).equals(big.content)).to.equal(true);
    store.release(big); // twice: nothing
    expect(store.bytes).to.equal(0);
  });
});
