import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { TxFetcher, type FetcherOptions } from '../../../overlay/src/tx/flood/fetcher.ts';
import { SHORT_ID_BYTES, shortKeyOf } from '../../../overlay/src/tx/flood/short-id.ts';

function setup(over: Partial<FetcherOptions> = {}) {
  let now = 1_000;
  const requests: [string, string][] = [];
  const f = new TxFetcher({
    timeoutMs: 1000,
    giveUpMs: 30_000,
    maxAnnouncementsPerPeer: 4096,
    maxInflightPerPeer: 1000,
    maxWanted: 10_000,
    request: (peer, id) => requests.push([peer, Buffer.from(id).toString('hex')]),
    now: () => now,
    ...over,
  });
  /** A tx as the fetcher sees it: its short id and the id's key. */
  const tx = () => {
    const id = randomBytes(SHORT_ID_BYTES);
    return { id, key: shortKeyOf(id) };
  };
  return { f, requests, tx, advance: (ms: number) => (now += ms) };
}

describe('TxFetcher (announce-then-pull bookkeeping)', () => {
  it('asks one announcer at a time, highest fee first', () => {
    const { f, requests, tx } = setup();
    const low = tx();
    const high = tx();
    f.announced('A', low.id, low.key, 100n);
    f.announced('A', high.id, high.key, 5000n);
    f.announced('B', high.id, high.key, 5000n);
    f.schedule();
    expect(requests.map((r) => r[1])).to.deep.equal([high.key, low.key]);
    expect(requests.filter((r) => r[1] === high.key)).to.have.length(1);
  });

  it('tracks txs by short id: one entry across announcers, asked for by that 8-byte id, ended by its body', () => {
    const { f, requests } = setup();
    // Two announcers of one tx: the flood layer passes views into their INV frames, equal but distinct arrays.
    const hash = randomBytes(32);
    const key = shortKeyOf(hash);
    expect(f.announced('A', Uint8Array.prototype.slice.call(hash, 0, SHORT_ID_BYTES), key, 100n)).to.equal('new');
    expect(f.announced('B', Uint8Array.prototype.slice.call(hash, 0, SHORT_ID_BYTES), key, 200n)).to.equal('added');
    expect(f.size).to.equal(1);
    f.schedule();
    expect(requests).to.have.length(1);
    expect(requests[0]![1]).to.equal(hash.subarray(0, SHORT_ID_BYTES).toString('hex'));
    // The body's own hash gives the id back: the reply is recognised as the one asked for.
    expect(f.received(shortKeyOf(hash), requests[0]![0])).to.equal(true);
    expect(f.size).to.equal(0);
  });

  it('after a timeout asks a different announcer, and never the same one twice', () => {
    const { f, requests, tx, advance } = setup();
    const t = tx();
    for (const p of ['A', 'B', 'C']) f.announced(p, t.id, t.key, 100n);
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
    f.announced('A', t.id, t.key, 1n);
    f.announced('B', t.id, t.key, 1n);
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
    f.announced('C', t.id, t.key, 1n);
    f.schedule();
    expect(requests[2]![0]).to.equal('C');
  });

  it('a received body ends the chase and frees the announcers', () => {
    const { f, tx } = setup();
    const t = tx();
    f.announced('A', t.id, t.key, 1n);
    f.schedule();
    expect(f.received(t.key, 'A')).to.equal(true);
    expect(f.has(t.key)).to.equal(false);
    expect(f.inflight).to.equal(0);
  });

  it('forgets a hash after the give-up time', () => {
    const { f, tx, advance } = setup();
    const t = tx();
    f.announced('A', t.id, t.key, 1n);
    f.schedule();
    advance(30_000);
    f.tick();
    expect(f.has(t.key)).to.equal(false);
    expect(f.giveUps).to.equal(1);
  });

  it('caps outstanding announcements per peer and in-flight hashes per peer', () => {
    const { f, requests, tx } = setup({ maxAnnouncementsPerPeer: 3, maxInflightPerPeer: 2 });
    const outcomes = [tx(), tx(), tx(), tx()].map((t) => f.announced('A', t.id, t.key, 1n));
    expect(outcomes).to.deep.equal(['new', 'new', 'new', 'capped']);
    f.schedule();
    expect(requests).to.have.length(2);
  });

  it('frees all per-peer state when the peer leaves', () => {
    const { f, tx } = setup();
    for (let i = 0; i < 10; i++) {
      const t = tx();
      f.announced('A', t.id, t.key, 1n);
    }
    f.schedule();
    const shared = tx();
    f.announced('A', shared.id, shared.key, 1n);
    f.announced('B', shared.id, shared.key, 1n);
    f.peerGone('A');
    expect(f.inflight).to.equal(0);
    // Hashes only A announced are forgotten at once; one B also announced stays wanted.
    expect(f.size).to.equal(1);
    expect(f.has(shared.key)).to.equal(true);
  });
});
