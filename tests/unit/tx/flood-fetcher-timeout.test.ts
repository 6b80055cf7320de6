// The fetcher's per-peer adaptive GETDATA timeouts: late replies, withdrawn re-asks, metrics.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { TxFetcher, type FetcherOptions } from '../../../overlay/src/tx/flood/fetcher.ts';
import { SHORT_ID_BYTES, shortKeyOf } from '../../../overlay/src/tx/flood/short-id.ts';

function setup(over: Partial<FetcherOptions> = {}) {
  let now = 1_000;
  const requests: { peer: string; key: string; id: Uint8Array }[] = [];
  /** Requests "not sent yet": the test decides which ones cancel() finds. */
  const queued = new Set<Uint8Array>();
  const registry = new Registry();
  const f = new TxFetcher({
    timeoutMs: 1000,
    maxTimeoutMs: 3000,
    giveUpMs: 30_000,
    maxAnnouncementsPerPeer: 4096,
    maxInflightPerPeer: 1000,
    maxWanted: 10_000,
    request: (peer, id) => requests.push({ peer, key: Buffer.from(id).toString('hex'), id }),
    cancel: (_peer, id) => queued.delete(id),
    registry,
    now: () => now,
    ...over,
  });
  /** A tx as the fetcher sees it: its short id and the id's key. */
  const tx = () => {
    const id = randomBytes(SHORT_ID_BYTES);
    return { id, key: shortKeyOf(id) };
  };
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = (await registry.getSingleMetric(name)!.get()).values;
    return m.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  };
  /** `peer` announces a fresh tx and is asked for it; it answers after `ms`. */
  const roundTrip = (peer: string, ms: number) => {
    const t = tx();
    f.announced(peer, t.id, t.key, 100n);
    f.schedule();
    now += ms;
    f.received(t.key, peer);
  };
  /** A fresh tx announced by A and B; A is asked first. */
  const announcedByBoth = () => {
    const t = tx();
    f.announced('A', t.id, t.key, 1n);
    f.announced('B', t.id, t.key, 1n);
    f.schedule();
    return t;
  };
  /** As announcedByBoth, then A's request times out (1 s) and B is asked. */
  const firstTimedOut = () => {
    const t = announcedByBoth();
    now += 1000;
    f.tick();
    return t;
  };
  return { f, requests, queued, tx, metric, roundTrip, announcedByBoth, firstTimedOut, advance: (ms: number) => (now += ms) };
}

describe('TxFetcher per-peer adaptive timeouts', () => {
  it('times out at 1 s before anything is measured, and for a fast peer', () => {
    const { f, requests, tx, advance, roundTrip, announcedByBoth } = setup();
    expect(f.timeoutOf('A')).to.equal(1000);
    for (let i = 0; i < 20; i++) roundTrip('A', 30);
    expect(f.timeoutOf('A')).to.equal(1000);
    const t = announcedByBoth();
    advance(999);
    f.tick();
    expect(f.timeouts).to.equal(0);
    advance(1);
    f.tick();
    expect(f.timeouts).to.equal(1);
    expect(requests.filter((r) => r.key === t.key)).to.have.length(2);
  });

  it('waits longer for a peer whose replies have been slow, within the cap, without slowing the others', () => {
    // random 0: the first untried announcer is asked.
    const { f, requests, tx, advance, roundTrip } = setup({ random: () => 0 });
    for (let i = 0; i < 20; i++) roundTrip('SLOW', 1200 + (i % 3) * 100);
    for (let i = 0; i < 20; i++) roundTrip('FAST', 20);
    const slow = Math.ceil(f.timeoutOf('SLOW'));
    expect(slow).to.be.greaterThan(1300).and.at.most(3000);
    expect(f.timeoutOf('FAST')).to.equal(1000);

    const a = tx();
    const b = tx();
    f.announced('SLOW', a.id, a.key, 1n);
    f.announced('X', a.id, a.key, 1n);
    f.announced('FAST', b.id, b.key, 1n);
    f.announced('Y', b.id, b.key, 1n);
    f.schedule();
    const askedFor = (t: { key: string }) => requests.filter((r) => r.key === t.key).map((r) => r.peer);
    advance(1000);
    f.tick();
    expect(askedFor(b)).to.deep.equal(['FAST', 'Y']);
    expect(askedFor(a)).to.deep.equal(['SLOW']);
    advance(slow - 1000);
    f.tick();
    expect(askedFor(a)).to.deep.equal(['SLOW', 'X']);
  });

  it('a reply after the timeout counts as received: measured, no penalty, no second request when nobody else announced', async () => {
    const { f, requests, tx, advance, metric } = setup();
    const t = tx();
    f.announced('A', t.id, t.key, 1n);
    f.schedule();
    advance(1000);
    f.tick();
    expect(f.timeouts).to.equal(1);
    advance(400);
    expect(f.received(t.key, 'A')).to.equal(true);
    expect(f.has(t.key)).to.equal(false);
    expect(requests).to.have.length(1);
    expect(f.lateReplies).to.equal(1);
    expect(await metric('overlay_flood_getdata_late_replies_total', { kind: 'body' })).to.equal(1);
    // 1.4 s measured: A's timeout is now above it.
    expect(f.timeoutOf('A')).to.be.greaterThan(1400);
    expect(await metric('overlay_flood_getdata_reply_seconds', {})).to.be.greaterThan(0);
  });

  it('a late body withdraws the request to the next announcer if it has not been sent', () => {
    const { f, requests, queued, tx, advance, firstTimedOut } = setup({ random: () => 0 });
    const t = firstTimedOut(); // A timed out; B asked (its GETDATA still queued)
    const reask = requests[1]!;
    expect(reask.peer).to.not.equal(requests[0]!.peer);
    queued.add(reask.id);
    expect(f.received(t.key, requests[0]!.peer)).to.equal(true);
    expect(f.cancelled).to.equal(1);
    expect(queued.size).to.equal(0);
    expect(f.inflight).to.equal(0);
  });

  it('a request already sent is not counted as withdrawn, and its late answer is not a new body', () => {
    const { f, requests, tx, advance, firstTimedOut } = setup();
    const t = firstTimedOut();
    const [first, second] = requests;
    expect(f.received(t.key, second!.peer)).to.equal(true);
    expect(f.cancelled).to.equal(0);
    // The first announcer's late copy is measured (its timeout grows) and reported as asked-for.
    expect(f.received(t.key, first!.peer)).to.equal(true);
    expect(f.lateReplies).to.equal(1);
    expect(f.timeoutOf(first!.peer)).to.be.greaterThan(1000);
  });

  it('a late NOTFOUND is measured and changes nothing else', async () => {
    const { f, requests, tx, advance, metric, firstTimedOut } = setup();
    const t = firstTimedOut();
    const [first, second] = requests;
    advance(500);
    f.notFound(first!.peer, t.key);
    f.schedule();
    expect(requests).to.have.length(2);
    expect(f.inflight).to.equal(1);
    expect(await metric('overlay_flood_getdata_late_replies_total', { kind: 'notfound' })).to.equal(1);
    expect(f.received(t.key, second!.peer)).to.equal(true);
  });

  it('timed-out requests awaiting a late reply are bounded per peer, aged out, and freed with the peer', async () => {
    const { f, tx, advance, metric } = setup({ maxInflightPerPeer: 3 });
    for (let i = 0; i < 5; i++) {
      const t = tx();
      f.announced('A', t.id, t.key, 1n);
    }
    f.schedule(); // 3 asked (the in-flight cap)
    advance(1000);
    f.tick(); // they time out; the other 2 are asked
    advance(1000);
    f.tick(); // those time out too: 5 awaiting a late reply, kept to 3
    expect(f.timeouts).to.equal(5);
    expect(await metric('overlay_flood_getdata_awaiting_late')).to.equal(3);
    advance(30_000);
    f.tick();
    expect(await metric('overlay_flood_getdata_awaiting_late')).to.equal(0);
    const t = tx();
    f.announced('A', t.id, t.key, 1n);
    f.schedule();
    advance(1000);
    f.tick();
    f.peerGone('A');
    expect(await metric('overlay_flood_getdata_awaiting_late')).to.equal(0);
    expect(f.size).to.equal(0);
    expect(f.inflight).to.equal(0);
  });

  it('reports the per-peer timeouts (min, mean, max) as a gauge', async () => {
    const { metric, roundTrip } = setup();
    expect(await metric('overlay_flood_getdata_timeout_seconds', { stat: 'max' })).to.equal(1);
    for (let i = 0; i < 5; i++) roundTrip('SLOW', 2000);
    roundTrip('FAST', 10);
    expect(await metric('overlay_flood_getdata_timeout_seconds', { stat: 'min' })).to.equal(1);
    expect(await metric('overlay_flood_getdata_timeout_seconds', { stat: 'max' })).to.be.greaterThan(2);
  });

  it('with tickMs, our own stall does not age requests: the reply read after it is on time, and measured without it', async () => {
    const { f, requests, tx, advance, metric, announcedByBoth } = setup({ tickMs: 50 });
    const t = announcedByBoth();
    for (let i = 0; i < 10; i++) {
      advance(50);
      f.tick();
    }
    // The process is starved for 2 s; the timer fires before the reply waiting in the socket is read.
    advance(2000);
    f.tick();
    expect(f.timeouts).to.equal(0);
    expect(requests).to.have.length(1);
    expect(f.received(t.key, requests[0]!.peer)).to.equal(true);
    expect(f.lateReplies).to.equal(0);
    // Measured as 600 ms (10 ticks + one 100 ms step), not 2.5 s: first sample, so 600 + 4 × 300.
    expect(f.timeoutOf(requests[0]!.peer)).to.equal(1800);
    expect(await metric('overlay_flood_getdata_stalled_seconds')).to.equal(1.9);
  });

  it('with tickMs, regular ticks still time a request out after 1 s, and a sustained stall only slows the clock', () => {
    const { f, tx, advance, announcedByBoth } = setup({ tickMs: 50 });
    const t = announcedByBoth();
    for (let i = 0; i < 20; i++) {
      advance(50);
      f.tick();
    }
    expect(f.timeouts).to.equal(1);
    // Every tick 300 ms late: the request clock moves 100 ms per tick, so the next 1 s takes 10 ticks.
    for (let i = 0; i < 9; i++) {
      advance(300);
      f.tick();
    }
    expect(f.timeouts).to.equal(1);
    advance(300);
    f.tick();
    expect(f.timeouts).to.equal(2);
  });

  it('without tickMs, time between ticks counts in full (a caller with irregular ticks)', () => {
    const { f, tx, advance } = setup();
    const t = tx();
    f.announced('A', t.id, t.key, 1n);
    f.schedule();
    advance(2000);
    f.tick();
    expect(f.timeouts).to.equal(1);
  });

  it('with maxTimeoutMs equal to the floor, or without it, the timeout is fixed (Overlay V2)', () => {
    for (const maxTimeoutMs of [1000, undefined]) {
      const fixed = setup({ maxTimeoutMs });
      for (let i = 0; i < 10; i++) fixed.roundTrip('A', 2000);
      expect(fixed.f.timeoutOf('A')).to.equal(1000);
    }
  });
});
