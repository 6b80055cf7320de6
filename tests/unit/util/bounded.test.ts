import { expect } from 'chai';
import { RecentSet } from '../../../overlay/src/util/bounded.ts';

describe('RecentSet', () => {
  it('forgets members after one to two generations of time', () => {
    let t = 0;
    const s = new RecentSet<string>(1000, 100, () => t);
    s.add('a');
    t = 99;
    s.add('b');
    expect(s.has('a')).to.equal(true);
    t = 100;
    s.add('c'); // a and b move to the older generation
    expect(s.has('a') && s.has('b') && s.has('c')).to.equal(true);
    t = 200;
    s.add('d'); // the generation holding a and b is dropped
    expect(s.has('a')).to.equal(false);
    expect(s.has('b')).to.equal(false);
    expect(s.has('c') && s.has('d')).to.equal(true);
    expect(s.size).to.equal(2);
    expect(s.evictions).to.equal(2);
  });

  it('never holds more than its capacity, however fast members come', () => {
    const s = new RecentSet<number>(10, 60_000, () => 0);
    for (let i = 0; i < 1000; i++) {
      s.add(i);
      expect(s.size).to.be.at.most(10);
    }
    expect(s.has(999)).to.equal(true);
    expect(s.has(0)).to.equal(false);
    expect(s.evictions).to.equal(1000 - s.size);
  });

  it('reports a member already present, in either generation, and deletes from both', () => {
    let t = 0;
    const s = new RecentSet<string>(100, 10, () => t);
    expect(s.add('x')).to.equal(true);
    expect(s.add('x')).to.equal(false);
    t = 10;
    s.add('y');
    expect(s.add('x')).to.equal(false);
    expect(s.delete('x')).to.equal(true);
    expect(s.has('x')).to.equal(false);
    expect(s.delete('x')).to.equal(false);
  });

  it('refuses bounds that cannot work', () => {
    expect(() => new RecentSet(1, 10)).to.throw(RangeError);
    expect(() => new RecentSet(10, 0)).to.throw(RangeError);
  });
});
