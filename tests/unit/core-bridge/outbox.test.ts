import { expect } from 'chai';
import { Outbox, type OutboxItem } from '../../../core-bridge/src/client/outbox.ts';

const item = (n: number, keep = true): OutboxItem => ({ frame: Buffer.alloc(n, n), request: null, keepAcrossReconnect: keep });

describe('Outbox', () => {
  it('keeps call order and counts bytes and frames exactly', () => {
    const o = new Outbox();
    const items = [item(10), item(20), item(30)];
    items.forEach((i) => o.push(i));
    expect([o.bytes, o.length]).to.deep.equal([60, 3]);
    expect(o.shift()).to.equal(items[0]);
    expect([o.bytes, o.length]).to.deep.equal([50, 2]);
  });

  it('skips cancelled items and uncounts them once', () => {
    const o = new Outbox();
    const [a, b, c] = [item(1), item(2), item(3)];
    [a, b, c].forEach((i) => o.push(i));
    o.cancel(b);
    o.cancel(b);
    expect([o.bytes, o.length]).to.deep.equal([4, 2]);
    expect(o.shift()).to.equal(a);
    expect(o.shift()).to.equal(c);
    expect(o.shift()).to.equal(undefined);
    expect([o.bytes, o.length]).to.deep.equal([0, 0]);
  });

  it('puts re-sends ahead of what waits and drops what a new connection cannot use', () => {
    const o = new Outbox();
    const [keep, session] = [item(5), item(6, false)];
    o.push(keep);
    o.push(session);
    expect(o.dropWhere((i) => !i.keepAcrossReconnect)).to.equal(1);
    const resend = item(7);
    o.unshiftAll([resend]);
    expect(o.shift()).to.equal(resend);
    expect(o.shift()).to.equal(keep);
    expect(o.peek()).to.equal(undefined);
  });

  it('stays exact across many items (compaction)', () => {
    const o = new Outbox();
    for (let i = 0; i < 10_000; i++) o.push(item(1));
    for (let i = 0; i < 9_000; i++) o.shift();
    expect([o.bytes, o.length]).to.deep.equal([1000, 1000]);
    o.clear();
    expect([o.bytes, o.length, o.shift()]).to.deep.equal([0, 0, undefined]);
  });
});
