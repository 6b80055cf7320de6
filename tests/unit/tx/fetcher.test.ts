import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { TxFetcher, type FetcherOptions } from '../../../overlay/src/tx/flood/fetcher.ts';

function setup(over: Partial<FetcherOptions> = {}) {
  let now = 1_000;
  const requests: [string, string][] = [];
  const f = new TxFetcher({
    timeoutMs: 1000,
    giveUpMs: 30_000,
    maxAnnouncementsPerPeer: 4096,
    maxInflightPerPeer: 1000,
    maxWanted: 10_000,
    request: (peer, hash) => requests.push([peer, Buffer.from(hash).toString('hex')]),
    now: () => now,
    ...over,
  });
  const tx = () => {
    const hash = randomBytes(32);
    return { hash, key: hash.toString('hex') };
  };
  return { f, requests, tx, advance: (ms: number) => (now += ms) };
}

describe('TxFetcher (announce-then-pull bookkeeping)', () => {
  it('asks one announcer at a time, highest fee first', () => {
    const { f, requests, tx } = setup();
    const low = tx();
    const high = tx();
    f.announced('A', low.hash, low.key, 100n);
    f.announced('A', high.hash, high.key, 5000n);
    f.announced('B', high.hash, high.key, 5000n);
    f.schedule();
    expect(requests.map((r) => r[1])).to.deep.equal([high.key, low.key]);
    expect(requests.filter((r) => r[1] === high.key)).to.have.length(1);
  });

  it('after a timeout asks a different announcer, and never the same one twice', () => {
    const { f, requests, tx, advance } = setup();
    const t = tx();
    for (const p of ['A', 'B', 'C']) f.announced(p, t.hash, t.key, 100n);
    f.schedule();
    advance(1000);
    f.tick();
    advance(1000);
    f.tick();
    const asked = requests.map((r) => r[0]);
    expect(asked).to.have.length(3);
    expect(new Set(asked).size).to.equal(3);
    expect(f.timeouts).to.equal(2);
  });

  it('NOTFOUND and a departed peer move the request on at once', () => {
    const { f, requests, tx } = setup();
    const t = tx();
    f.announced('A', t.hash, t.key, 1n);
    f.announced('B', t.hash, t.key, 1n);
    f.schedule();
    const first = requests[0]![0];
    f.notFound(first, t.key);
    f.schedule();
    expect(requests).to.have.length(2);
    const second = requests[1]![0];
    expect(second).to.not.equal(first);
    f.peerGone(second);
    f.schedule();
    expect(requests).to.have.length(2); // both tried or gone: waits for a new announcer
    f.announced('C', t.hash, t.key, 1n);
    f.schedule();
    expect(requests[2]![0]).to.equal('C');
  });

  it('a received body ends the chase and frees the announcers', () => {
    const { f, tx } = setup();
    const t = tx();
    f.announced('A', t.hash, t.key, 1n);
    f.schedule();
    expect(f.received(t.key, 'A')).to.equal(true);
    expect(f.has(t.key)).to.equal(false);
    expect(f.inflight).to.equal(0);
  });

  it('forgets a hash after the give-up time', () => {
    const { f, tx, advance } = setup();
    const t = tx();
    f.announced('A', t.hash, t.key, 1n);
    f.schedule();
    advance(30_000);
    f.tick();
    expect(f.has(t.key)).to.equal(false);
    expect(f.giveUps).to.equal(1);
  });

  it('caps outstanding announcements per peer and in-flight hashes per peer', () => {
    const { f, requests, tx } = setup({ maxAnnouncementsPerPeer: 3, maxInflightPerPeer: 2 });
    const outcomes = [tx(), tx(), tx(), tx()].map((t) => f.announced('A', t.hash, t.key, 1n));
    expect(outcomes).to.deep.equal(['new', 'new', 'new', 'capped']);
    f.schedule();
    expect(requests).to.have.length(2);
  });

  it('frees all per-peer state when the peer leaves', () => {
    const { f, tx } = setup();
    for (let i = 0; i < 10; i++) {
      const t = tx();
      f.announced('A', t.hash, t.key, 1n);
    }
    f.schedule();
    const shared = tx();
    f.announced('A', shared.hash, shared.key, 1n);
    f.announced('B', shared.hash, shared.key, 1n);
    f.peerGone('A');
    expect(f.inflight).to.equal(0);
    // Hashes only A announced are forgotten at once; one B also announced stays wanted.
    expect(f.size).to.equal(1);
    expect(f.has(shared.key)).to.equal(true);
  });
});
