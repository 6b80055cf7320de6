import { expect } from 'chai';
import { MapRebuildPolicy } from '../../../overlay/src/util/map-rebuild.ts';

describe('MapRebuildPolicy', () => {
  it('is due after 3/4 of the spare slots a fresh table for the capacity has, then counts again', () => {
    const p = new MapRebuildPolicy(100_000); // a fresh table: 2^17 slots, 31,072 spare
    expect(p.after).to.equal(Math.floor(0.75 * (2 ** 17 - 100_000)));
    p.deleted(p.after - 1);
    expect(p.due()).to.equal(false);
    p.deleted();
    expect(p.due()).to.equal(true);
    expect(p.due()).to.equal(false);
  });

  it('never rebuilds when the fresh table has almost no spare slots (rebuilds would cost more than they save)', () => {
    const p = new MapRebuildPolicy(2 ** 17 - 100);
    expect(p.after).to.equal(Infinity);
    p.deleted(1e9);
    expect(p.due()).to.equal(false);
  });
});
