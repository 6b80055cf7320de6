import { expect } from 'chai';
import { Backoff } from '../../../core-bridge/src/client/backoff.ts';

describe('Backoff', () => {
  it('doubles its step from minMs up to maxMs, every delay within [minMs, maxMs]', () => {
    for (const r of [0, 0.5, 1 - 1e-12]) {
      const b = new Backoff({ minMs: 100, maxMs: 5000, random: () => r });
      const delays = Array.from({ length: 12 }, () => b.next());
      for (const d of delays) expect(d).to.be.within(100, 5000);
      // Upper ends of the steps: 100, 200, 400, ... capped at 5000.
      if (r > 0.99) expect(delays.slice(0, 7)).to.deep.equal([100, 200, 400, 800, 1600, 3200, 5000]);
      // Lower ends: half the step, never below minMs.
      if (r === 0) expect(delays.slice(0, 7)).to.deep.equal([100, 100, 200, 400, 800, 1600, 2500]);
      expect(delays.at(-1)).to.equal(Math.max(100, Math.round(2500 + r * 2500)));
    }
  });

  it('jitters: the same attempt gets different delays from different draws', () => {
    const draws = [0.1, 0.9];
    const got = draws.map((r) => {
      const b = new Backoff({ minMs: 100, maxMs: 5000, random: () => r });
      for (let i = 0; i < 5; i++) b.next();
      return b.next();
    });
    expect(got[0]).to.not.equal(got[1]);
  });

  it('starts again from minMs after reset', () => {
    const b = new Backoff({ minMs: 50, maxMs: 1000, random: () => 1 });
    for (let i = 0; i < 10; i++) b.next();
    expect(b.attempts).to.equal(10);
    b.reset();
    expect(b.next()).to.equal(50);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new Backoff({ minMs: 0, maxMs: 10 })).to.throw(RangeError);
    expect(() => new Backoff({ minMs: 100, maxMs: 10 })).to.throw(RangeError);
  });
});
