import { expect } from 'chai';
import fc from 'fast-check';
import { RequestTimeout } from '../../../overlay/src/tx/flood/request-timeout.ts';

const bounds = { floorMs: 1000, capMs: 3000 };

describe('RequestTimeout (per-peer GETDATA timeout, RFC 6298 estimator)', () => {
  it('is the floor before any reply is measured', () => {
    const t = new RequestTimeout(bounds);
    expect(t.timeoutMs).to.equal(1000);
    expect(t.smoothedMs).to.equal(undefined);
  });

  it('follows RFC 6298: first sample R gives srtt R, rttvar R/2; then gains 1/8 and 1/4', () => {
    const t = new RequestTimeout({ floorMs: 0, capMs: 100_000 });
    t.sample(400);
    expect(t.smoothedMs).to.equal(400);
    expect(t.timeoutMs).to.equal(400 + 4 * 200);
    t.sample(800);
    // rttvar = 3/4 × 200 + 1/4 × |400 − 800| = 250; srtt = 7/8 × 400 + 1/8 × 800 = 450
    expect(t.smoothedMs).to.equal(450);
    expect(t.timeoutMs).to.equal(450 + 4 * 250);
  });

  it('stays at the floor for a fast, steady peer', () => {
    const t = new RequestTimeout(bounds);
    for (let i = 0; i < 100; i++) t.sample(20 + (i % 5));
    expect(t.timeoutMs).to.equal(1000);
  });

  it('rises above the floor when replies slow down or vary, and never passes the cap', () => {
    const t = new RequestTimeout(bounds);
    for (let i = 0; i < 50; i++) t.sample(100);
    // Replies near 1 s under load: the timeout moves well past them, so they are not cut off.
    t.sample(900);
    t.sample(1100);
    expect(t.timeoutMs).to.be.greaterThan(1100);
    for (let i = 0; i < 20; i++) t.sample(10_000);
    expect(t.timeoutMs).to.equal(3000);
  });

  it('comes back down to the floor once the peer is fast again', () => {
    const t = new RequestTimeout(bounds);
    for (let i = 0; i < 10; i++) t.sample(i % 2 === 0 ? 2000 : 3000);
    expect(t.timeoutMs).to.equal(3000);
    for (let i = 0; i < 100; i++) t.sample(50);
    expect(t.timeoutMs).to.equal(1000);
  });

  it('a cap below the floor is raised to the floor (the timeout is then fixed)', () => {
    const t = new RequestTimeout({ floorMs: 1000, capMs: 500 });
    t.sample(5000);
    expect(t.timeoutMs).to.equal(1000);
  });

  it('always lies within [floor, cap], whatever the samples', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10, max: 60_000 }), { maxLength: 200 }), (samples) => {
        const t = new RequestTimeout(bounds);
        for (const s of samples) t.sample(s);
        return t.timeoutMs >= 1000 && t.timeoutMs <= 3000;
      }),
    );
  });
});
