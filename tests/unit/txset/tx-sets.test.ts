// The tx-set service on real libp2p nodes (127.0.0.1, ports chosen by the OS): serve and fetch, DONT_HAVE, a silent
// peer (per-peer timeout), a lying peer (hash mismatch), the overall deadline, shared attempts.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Stream } from '@libp2p/interface';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { FramedStream } from '../../../overlay/src/p2p/framed-stream.ts';
import { buildTxSet, type BuiltTxSet } from '../../../overlay/src/txset/build.ts';
import { TxSetCache } from '../../../overlay/src/txset/cache.ts';
import { TxSets, TxSetWire } from '../../../overlay/src/txset/tx-sets.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';
import { PROTOCOLS, quietLog, startPeer, waitFor, type TestPeer } from '../peers/helpers.ts';
import { chain } from './helpers.ts';
import type { Registry } from 'prom-client';

const PROTOCOL = PROTOCOLS.txSet;
const LEDGER = 7;

interface Service {
  sets: TxSets;
  cache: TxSetCache;
  registry: Registry;
}

function setOf(fees: number[]): BuiltTxSet {
  return buildTxSet({ previousLedgerHash: randomBytes(32), maxOps: 100, maxBytes: 1 << 20, chains: fees.map((f) => chain([f])) });
}

async function metric(s: Service, name: string): Promise<number> {
  return (await flatMetrics(s.registry))[name] ?? 0;
}

describe('txset/tx-sets (real libp2p nodes)', function () {
  this.timeout(30_000);
  let fetcher: TestPeer;
  let holder: TestPeer;
  let silent: TestPeer;
  let liar: TestPeer;
  const running: Service[] = [];
  const setA = setOf([100, 200]);
  const setB = setOf([300]);

  async function service(peer: TestPeer, timing = { peerTimeoutMs: 500, fetchDeadlineMs: 10_000 }): Promise<Service> {
    const registry = createRegistry({ processMetrics: false });
    const cache = new TxSetCache({ ledgers: 12, maxBytes: 1 << 24, registry });
    const sets = new TxSets({ node: peer.node, protocol: PROTOCOL, cache, ...timing, log: quietLog, registry });
    await sets.start();
    const s = { sets, cache, registry };
    running.push(s);
    return s;
  }

  /** A peer that answers every request with `reply` (a frame of its choosing), or never if null. */
  async function hostile(peer: TestPeer, reply: { type: number; payload: Uint8Array } | null): Promise<void> {
    await peer.node.handle(PROTOCOL, (stream: Stream) => {
      const framed: FramedStream = new FramedStream(stream, 64, {
        onFrame: () => {
          if (reply === null) return; // keeps the stream open, answers nothing
          framed.send(reply.type, reply.payload);
          void framed.close();
        },
      });
    });
  }

  before(async () => {
    [fetcher, holder, silent, liar] = await Promise.all([startPeer(), startPeer(), startPeer(), startPeer()]);
    await hostile(silent, null);
    await hostile(liar, { type: TxSetWire.TX_SET, payload: setB.xdr }); // a valid set, but not the one asked for
  });

  after(async () => {
    await Promise.all([fetcher, holder, silent, liar].map((p) => p?.stop()));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.sets.stop()));
    await Promise.all([holder, silent, liar].map((p) => fetcher.node.hangUp(p.node.peerId)));
  });

  async function connect(...peers: TestPeer[]): Promise<void> {
    for (const p of peers) await fetcher.node.dial(p.node.getMultiaddrs());
    await waitFor('connections', () => peers.every((p) => fetcher.node.getPeers().some((id) => id.equals(p.node.peerId))));
  }

  it('fetches a set a peer holds, then serves it from its cache', async () => {
    const mine = await service(fetcher);
    const theirs = await service(holder);
    theirs.sets.add(setA.hash, setA.xdr, LEDGER);
    await connect(holder);
    const got = await mine.sets.fetch(setA.hash, LEDGER);
    expect(Buffer.from(got).equals(Buffer.from(setA.xdr))).to.equal(true);
    expect(mine.cache.has(setA.hash)).to.equal(true);
    expect(await metric(mine, 'overlay_txset_fetches_total{outcome=fetched}')).to.equal(1);
    expect(await metric(theirs, 'overlay_txset_served_total{outcome=found}')).to.equal(1);
    const again = await mine.sets.fetch(setA.hash, LEDGER);
    expect(Buffer.from(again).equals(Buffer.from(setA.xdr))).to.equal(true);
    expect(await metric(mine, 'overlay_txset_fetches_total{outcome=cached}')).to.equal(1);
    expect(await metric(theirs, 'overlay_txset_served_total{outcome=found}'), 'second one from the cache').to.equal(1);
  });

  it('shares one attempt between concurrent fetches of one hash', async () => {
    const mine = await service(fetcher);
    const theirs = await service(holder);
    theirs.sets.add(setA.hash, setA.xdr, LEDGER);
    await connect(holder);
    const [x, y, z] = await Promise.all([1, 2, 3].map(() => mine.sets.fetch(setA.hash, LEDGER)));
    expect([x, y, z].every((v) => Buffer.from(v!).equals(Buffer.from(setA.xdr)))).to.equal(true);
    expect(await metric(theirs, 'overlay_txset_served_total{outcome=found}')).to.equal(1);
  });

  it('gets DONT_HAVE from a peer without the set, keeps asking, and times out with TIMEOUT', async () => {
    const mine = await service(fetcher, { peerTimeoutMs: 300, fetchDeadlineMs: 1500 });
    const theirs = await service(holder);
    await connect(holder);
    const err = await mine.sets.fetch(setA.hash, LEDGER).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OverlayError).with.property('code', 'TIMEOUT');
    expect(await metric(theirs, 'overlay_txset_served_total{outcome=dont_have}')).to.be.at.least(2);
    expect(await metric(mine, 'overlay_txset_peer_replies_total{outcome=dont_have}')).to.be.at.least(2);
    expect(await metric(mine, 'overlay_txset_fetches_total{outcome=timeout}')).to.equal(1);
    expect(mine.cache.has(setA.hash)).to.equal(false);
  });

  it('asks hinted peers first, moves on from a silent one after the per-peer timeout', async () => {
    const mine = await service(fetcher, { peerTimeoutMs: 500, fetchDeadlineMs: 10_000 });
    const theirs = await service(holder);
    theirs.sets.add(setA.hash, setA.xdr, LEDGER);
    await connect(silent, holder);
    mine.sets.hint(setA.hash, silent.node.peerId); // named it, but will never answer
    const got = await mine.sets.fetch(setA.hash, LEDGER);
    expect(Buffer.from(got).equals(Buffer.from(setA.xdr))).to.equal(true);
    expect(await metric(mine, 'overlay_txset_peer_replies_total{outcome=error}'), 'the silent peer timed out').to.equal(1);
  });

  it('refuses an answer that does not hash to the asked hash', async () => {
    const mine = await service(fetcher, { peerTimeoutMs: 500, fetchDeadlineMs: 10_000 });
    const theirs = await service(holder);
    theirs.sets.add(setA.hash, setA.xdr, LEDGER);
    await connect(liar, holder);
    mine.sets.hint(setA.hash, liar.node.peerId);
    const got = await mine.sets.fetch(setA.hash, LEDGER);
    expect(Buffer.from(got).equals(Buffer.from(setA.xdr)), 'the true set, from the honest peer').to.equal(true);
    expect(await metric(mine, 'overlay_txset_peer_replies_total{outcome=invalid}')).to.equal(1);
    expect(mine.cache.has(setB.hash), 'the wrong set is not kept').to.equal(false);
  });

  it('with only a lying peer, never accepts its set and times out', async () => {
    const mine = await service(fetcher, { peerTimeoutMs: 300, fetchDeadlineMs: 1500 });
    await connect(liar);
    const err = await mine.sets.fetch(setA.hash, LEDGER).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(OverlayError).with.property('code', 'TIMEOUT');
    expect(await metric(mine, 'overlay_txset_peer_replies_total{outcome=invalid}')).to.be.at.least(1);
    expect(mine.cache.size).to.equal(0);
  });

  it("a caller's signal withdraws that caller only", async () => {
    const mine = await service(fetcher, { peerTimeoutMs: 300, fetchDeadlineMs: 3000 });
    await connect(silent);
    const quitter = new AbortController();
    const first = mine.sets.fetch(setA.hash, LEDGER, quitter.signal).then(
      () => null,
      (e: unknown) => e,
    );
    const second = mine.sets.fetch(setA.hash, LEDGER).then(
      () => null,
      (e: unknown) => e,
    );
    quitter.abort(new Error('core moved on'));
    expect(await first).to.have.property('message', 'core moved on');
    const late = await second;
    expect(late, 'the other caller waits for the deadline').to.be.instanceOf(OverlayError).with.property('code', 'TIMEOUT');
    // A lone caller withdrawing ends the attempt itself.
    const lone = new AbortController();
    const alone = mine.sets.fetch(setB.hash, LEDGER, lone.signal).catch(() => 'withdrawn');
    lone.abort(new Error('core moved on'));
    expect(await alone).to.equal('withdrawn');
    await waitFor('the attempt to stop', async () => (await metric(mine, 'overlay_txset_fetches_total{outcome=aborted}')) === 1);
  });

  it('add() keeps only a tx set that its hash names', async () => {
    const mine = await service(fetcher);
    expect(() => mine.sets.add(setB.hash, setA.xdr, LEDGER)).to.throw(OverlayError).with.property('code', 'TXSET_INVALID');
    expect(() => mine.sets.add(setA.hash, randomBytes(64), LEDGER)).to.throw(OverlayError).with.property('code', 'TXSET_INVALID');
    mine.sets.add(setA.hash, setA.xdr, LEDGER);
    expect(Buffer.from(mine.sets.get(setA.hash)!).equals(Buffer.from(setA.xdr))).to.equal(true);
    mine.sets.ledgerClosed(LEDGER + 12);
    expect(mine.sets.get(setA.hash), 'out of the ledger window').to.equal(undefined);
  });
});
