// TxFlood by short id, in process: a real TxFlood and Mempool on a real libp2p node, a RawPeer (tests/helpers) as
// its peer on 127.0.0.1. Short-id collisions cannot be mined in a test (~2^32 hashes), so the colliding txs are
// TxInfos whose hashes are made to share their first 8 bytes: the pool and the flood take a TxInfo's hash as given.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { networkIdOf } from '#ipc-protocol';
import { configSchema } from '../../../overlay/src/config/schema.ts';
import type { OverlayNode } from '../../../overlay/src/p2p/node.ts';
import { protocolIds } from '../../../overlay/src/p2p/protocols.ts';
import { TxFlood } from '../../../overlay/src/tx/flood/flood.ts';
import { SHORT_ID_BYTES } from '../../../overlay/src/tx/flood/short-id.ts';
import { FloodFrame, decodeIds, decodeInv, decodeTxs, encodeIds, encodeInv, encodeTxs } from '../../../overlay/src/tx/flood/wire.ts';
import { Mempool } from '../../../overlay/src/tx/mempool.ts';
import type { TxInfo } from '../../../overlay/src/tx/types.ts';
import { createLogger } from '../../../overlay/src/util/log.ts';
import { TESTNET } from '../../helpers/raw-core.ts';
import { RawPeer, loopbackNode, type Frame } from '../../helpers/raw-peer.ts';
import { waitFor } from '../../helpers/wait.ts';

const protocols = protocolIds(Buffer.from(networkIdOf(TESTNET)).toString('hex'));
const MAX_TX_BYTES = 100 * 1024;

let accounts = 0;
/** A pending tx with the given hash (its own account, so the pool never chains two of them). */
function txWithHash(hash: Buffer, fee = 100n): TxInfo {
  return { hash, key: hash.toString('hex'), bytes: randomBytes(150), source: (++accounts).toString(16).padStart(64, '0'), seq: 1n, fee, ops: 1 };
}

/** Two hashes sharing their short id. */
function collidingHashes(): [Buffer, Buffer] {
  const id = randomBytes(SHORT_ID_BYTES);
  return [Buffer.concat([id, randomBytes(24)]), Buffer.concat([id, randomBytes(24)])];
}

describe('TxFlood by short id (in process, real libp2p)', function () {
  this.timeout(30_000);
  let node: OverlayNode;
  let flood: TxFlood;
  let mempool: Mempool;
  let registry: Registry;
  let peer: RawPeer;
  /** Bodies the flood handed to intake. */
  let accepted: Uint8Array[];

  beforeEach(async () => {
    registry = new Registry();
    accepted = [];
    node = await loopbackNode(protocols, 8);
    await node.start();
    mempool = new Mempool({ maxTxs: 1000, maxBytes: 1 << 20, pendingLedgers: 4, banLedgers: 10, rbfMultiplier: 10, registry, onRemove: (tx) => flood.forget(tx.key) });
    flood = new TxFlood({
      node,
      protocol: protocols.txFlood,
      config: configSchema.parse({}).flood,
      maxTxBytes: MAX_TX_BYTES,
      mempool,
      accept: (bytes) => accepted.push(bytes),
      log: createLogger('flood', 'error'),
      registry,
    });
    await flood.start();
    peer = await RawPeer.start();
  });

  afterEach(async () => {
    await flood.stop();
    await Promise.all([peer.stop(), node.stop()]);
  });

  /** What intake does with an accepted tx. */
  const add = (tx: TxInfo) => {
    expect(mempool.add(tx).status).to.equal('ACCEPTED');
    flood.announce(tx);
  };

  /** Connects the raw peer both ways, as the peer manager would. */
  const connect = async () => {
    const port = Number(/\/tcp\/(\d+)/.exec(node.getMultiaddrs()[0]!.toString())![1]);
    await peer.connect({ peerPort: port, peerId: node.peerId.toString() });
    flood.peerConnected(peer.node.peerId.toString());
  };

  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = (await registry.getSingleMetric(name)!.get()).values;
    return m.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  };

  /** The next frame of `type` the flood sends the peer after the first `seen` frames. */
  const nextFrame = async (type: number, seen: number): Promise<Frame> => {
    let found: Frame | undefined;
    await waitFor(`frame ${type}`, () => (found = peer.received.slice(seen).find((f) => f.type === type)) !== undefined);
    return found!;
  };

  /** Sends a GETDATA and returns the reply: bodies (TXS) or the ids not found (NOTFOUND). */
  const ask = async (ids: Uint8Array[]) => {
    const seen = peer.received.length;
    peer.send(FloodFrame.GETDATA, encodeIds(ids));
    await waitFor('a reply', () => peer.received.slice(seen).some((f) => f.type === FloodFrame.TXS || f.type === FloodFrame.NOTFOUND));
    const reply = peer.received.slice(seen).find((f) => f.type === FloodFrame.TXS || f.type === FloodFrame.NOTFOUND)!;
    return reply.type === FloodFrame.TXS
      ? { txs: decodeTxs(reply.payload, MAX_TX_BYTES).map((b) => Buffer.from(b)), notFound: [] }
      : { txs: [], notFound: decodeIds(reply.payload, 'NOTFOUND').map((b) => Buffer.from(b)) };
  };

  it('announces a pending tx by its short id and varint fee, serves it by that id, and answers NOTFOUND for others', async () => {
    const tx = txWithHash(randomBytes(32), 300n);
    add(tx);
    await connect();
    const inv = decodeInv((await nextFrame(FloodFrame.INV, 0)).payload);
    expect(inv.map((e) => [Buffer.from(e.id), e.feePerOp])).to.deep.equal([[tx.hash.subarray(0, SHORT_ID_BYTES), 300n]]);
    expect(await ask([tx.hash.subarray(0, SHORT_ID_BYTES)])).to.deep.equal({ txs: [Buffer.from(tx.bytes)], notFound: [] });
    const unknown = randomBytes(SHORT_ID_BYTES);
    expect(await ask([unknown])).to.deep.equal({ txs: [], notFound: [unknown] });
    expect(await metric('overlay_flood_table_entries', { table: 'pending_ids' })).to.equal(1);
  });

  it('a tx whose short id a pending tx holds is neither announced nor served: the first keeps the id', async () => {
    const [h1, h2] = collidingHashes();
    const first = txWithHash(h1, 100n);
    const second = txWithHash(h2, 500n);
    add(first);
    add(second);
    expect(mempool.size).to.equal(2);
    expect(await metric('overlay_flood_short_id_collisions_total', { where: 'pending' })).to.equal(1);
    await connect();
    const inv = decodeInv((await nextFrame(FloodFrame.INV, 0)).payload);
    expect(inv.map((e) => [Buffer.from(e.id), e.feePerOp])).to.deep.equal([[h1.subarray(0, SHORT_ID_BYTES), 100n]]);
    const id = h1.subarray(0, SHORT_ID_BYTES);
    expect((await ask([id])).txs).to.deep.equal([Buffer.from(first.bytes)]);
    // The second leaving does not take the first's id with it.
    mempool.externalized([second.hash]);
    expect((await ask([id])).txs).to.deep.equal([Buffer.from(first.bytes)]);
    mempool.externalized([first.hash]);
    expect(await ask([id])).to.deep.equal({ txs: [], notFound: [Buffer.from(id)] });
    expect(await metric('overlay_flood_table_entries', { table: 'pending_ids' })).to.equal(0);
  });

  it('a body from a peer whose short id another pending tx holds is dropped, not taken', async () => {
    const clash = randomBytes(150);
    const clashHash = createHash('sha256').update(clash).digest();
    const holder = txWithHash(Buffer.concat([clashHash.subarray(0, SHORT_ID_BYTES), randomBytes(24)]));
    add(holder);
    await connect();
    const other = randomBytes(150);
    peer.send(FloodFrame.TXS, encodeTxs([clash, other]));
    await waitFor('the other body taken', () => accepted.length === 1);
    expect(Buffer.from(accepted[0]!)).to.deep.equal(other);
    expect(await metric('overlay_flood_short_id_collisions_total', { where: 'body' })).to.equal(1);
  });

  it('an announcement of a tx that just left the pool is not fetched; one of an unknown tx is, by its short id', async () => {
    const gone = txWithHash(randomBytes(32));
    add(gone);
    mempool.externalized([gone.hash]);
    expect(mempool.size).to.equal(0);
    await connect();
    const fresh = randomBytes(SHORT_ID_BYTES);
    const seen = peer.received.length;
    peer.send(FloodFrame.INV, encodeInv([{ id: gone.hash.subarray(0, SHORT_ID_BYTES), feePerOp: 100n }, { id: fresh, feePerOp: 100n }]));
    const asked = decodeIds((await nextFrame(FloodFrame.GETDATA, seen)).payload, 'GETDATA').map((b) => Buffer.from(b));
    expect(asked).to.deep.equal([fresh]);
    expect(await metric('overlay_flood_announcements_total', { outcome: 'known' })).to.equal(1);
    expect(await metric('overlay_flood_wanted')).to.equal(1);
  });
});
