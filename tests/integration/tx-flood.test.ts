// Transaction intake and flooding on real overlay processes: a 6-node network in pull mode, rejections that never
// leave the node, and a dead announcer bypassed.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Networks, xdr } from '@stellar/stellar-base';
import { TxReason, TxStatus } from '#ipc-protocol';
import { SHORT_ID_BYTES } from '../../overlay/src/tx/flood/short-id.ts';
import { FloodFrame, decodeIds, encodeInv, encodeTxs } from '../../overlay/src/tx/flood/wire.ts';
import { RawPeer } from '../helpers/raw-peer.ts';
import { corrupt, garbage, makePayment, testKeypair } from '../fixtures/txs.ts';
import { metric, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { RawCore } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';

const hashOf = (tx: Uint8Array) => createHash('sha256').update(tx).digest();

async function submit(core: RawCore, tx: Uint8Array, requestId: bigint) {
  core.send({ type: 'SUBMIT_TX_CHECKED', requestId, tx });
  const m = await core.next('TX_VERDICT', (v) => v.requestId === requestId);
  return m.verdict;
}

async function holds(core: RawCore, tx: Uint8Array, requestId: bigint): Promise<boolean> {
  core.send({ type: 'GET_TOP_TXS_REQ', requestId, count: 100_000 });
  const r = await core.next('TOP_TXS_REPLY', (m) => m.requestId === requestId);
  const want = Buffer.from(tx);
  return r.txs.some((t) => want.equals(t));
}

describe('tx flooding (real processes)', function () {
  this.timeout(120_000);
  const overlays: OverlayProcess[] = [];
  const cores: RawCore[] = [];
  let rid = 1n;

  before(async () => {
    // Each node knows the two before it: a connected graph of degree ≤ 4 with several paths between any two nodes.
    for (let i = 0; i < 6; i++) {
      const knownPeers = overlays.slice(Math.max(0, i - 2)).map((o) => o.address);
      overlays.push(await startOverlay({ knownPeers }));
    }
    for (const o of overlays) cores.push(await RawCore.hello(o.socketPath));
    for (const [i, o] of overlays.entries()) {
      await waitFor(`node ${i} flood links`, async () => (await metric(o, /^overlay_flood_links /)) >= 2);
    }
  });

  after(async () => {
    for (const c of cores) c.close();
    await Promise.all(overlays.map((o) => o.stop()));
  });

  it('a tx submitted at one node reaches every mempool, and no node receives a body twice', async () => {
    const txs = Array.from({ length: 20 }, (_, i) => makePayment({ source: testKeypair(100 + i), seq: 1n }));
    for (const [i, tx] of txs.entries()) {
      const v = await submit(cores[i % 6]!, tx, rid++);
      expect(v.status, `tx ${i}`).to.equal(TxStatus.ACCEPTED);
      expect(Buffer.from(v.hash)).to.deep.equal(hashOf(tx));
    }
    for (const [i, o] of overlays.entries()) {
      await waitFor(`node ${i} to hold all 20 txs`, async () => (await metric(o, /^overlay_mempool_txs /)) === 20);
    }
    for (const [i, c] of cores.entries()) expect(await holds(c, txs[0]!, rid++), `node ${i}`).to.equal(true);
    for (const [i, o] of overlays.entries()) {
      expect(await metric(o, /^overlay_flood_tx_bodies_received_total\{kind="duplicate"\}/), `duplicates at node ${i}`).to.equal(0);
      // Every tx not submitted here arrived exactly once as a body.
      const bodies = await metric(o, /^overlay_flood_tx_bodies_received_total/);
      expect(bodies, `bodies at node ${i}`).to.be.at.most(20 - txs.filter((_, j) => j % 6 === i).length);
    }
  });

  it('refuses bad signatures, bad XDR, low fees and the wrong network with the reason, and never floods them', async () => {
    const kp = testKeypair(900);
    const cases: [Uint8Array, number][] = [
      [corrupt(makePayment({ source: kp, seq: 1n }), 'signature'), TxReason.BAD_SIGNATURE],
      [garbage(200), TxReason.MALFORMED_XDR],
      [makePayment({ source: kp, seq: 1n, fee: 10 }), TxReason.FEE_TOO_LOW],
      [makePayment({ source: kp, seq: 1n, networkPassphrase: Networks.PUBLIC }), TxReason.WRONG_NETWORK],
    ];
    for (const [tx, reason] of cases) {
      const v = await submit(cores[0]!, tx, rid++);
      expect(v.status).to.equal(TxStatus.INVALID);
      expect(v.reason).to.equal(reason);
    }
    // A good tx submitted after them reaches the far node; had the bad ones been flooded they would be there too.
    const good = makePayment({ source: kp, seq: 1n });
    expect((await submit(cores[0]!, good, rid++)).status).to.equal(TxStatus.ACCEPTED);
    await waitFor('good tx at node 5', () => holds(cores[5]!, good, rid++));
    for (const [i, o] of overlays.entries()) {
      if (i === 0) continue;
      expect(await metric(o, /^overlay_tx_intake_total\{origin="peer",status="INVALID"/), `node ${i}`).to.equal(0);
    }
    expect(await metric(overlays[0]!, /^overlay_flood_announced_total/)).to.be.greaterThan(0);
  });

  it('bypasses an announcer that dies before answering: another announcer serves the tx', async () => {
    const x = overlays[5]!;
    const tx = makePayment({ source: testKeypair(700), seq: 1n });
    const hash = hashOf(tx);
    const dead = await RawPeer.start();
    try {
      await dead.connect(x);
      const id = hash.subarray(0, SHORT_ID_BYTES); // the short id the INV and GETDATA carry
      dead.send(FloodFrame.INV, encodeInv([{ id, feePerOp: 100n }]));
      await waitFor('GETDATA from x to the announcer', () =>
        dead.received.some((f) => f.type === FloodFrame.GETDATA && decodeIds(f.payload, 'GETDATA').some((h) => id.equals(h))),
      );
      // A real node announces it too, then the first announcer dies without answering.
      expect((await submit(cores[4]!, tx, rid++)).status).to.equal(TxStatus.ACCEPTED);
      await dead.stop();
      await waitFor('x to get the tx from the other announcer', () => holds(cores[5]!, tx, rid++));
    } finally {
      await dead.stop();
    }
  });

  it('takes a reply that comes after its GETDATA timed out: the body is accepted as asked for, and the peer is given longer', async () => {
    const x = overlays[3]!;
    const tx = makePayment({ source: testKeypair(750), seq: 1n });
    const hash = hashOf(tx);
    const slow = await RawPeer.start();
    try {
      await slow.connect(x);
      const before = {
        timeouts: await metric(x, /^overlay_flood_getdata_timeouts /),
        late: await metric(x, /^overlay_flood_getdata_late_replies_total\{kind="body"\}/),
        unsolicited: await metric(x, /^overlay_flood_tx_bodies_received_total\{kind="unsolicited"\}/),
      };
      const id = hash.subarray(0, SHORT_ID_BYTES); // the short id the INV and GETDATA carry
      slow.send(FloodFrame.INV, encodeInv([{ id, feePerOp: 100n }]));
      const asked = () =>
        slow.received.filter((f) => f.type === FloodFrame.GETDATA && decodeIds(f.payload, 'GETDATA').some((h) => id.equals(h))).length;
      await waitFor('GETDATA from x', () => asked() === 1);
      // Answer only once x has given up waiting (its first request to a new peer times out at the 1 s floor).
      await waitFor('the request to time out', async () => (await metric(x, /^overlay_flood_getdata_timeouts /)) > before.timeouts);
      slow.send(FloodFrame.TXS, encodeTxs([tx]));
      await waitFor('x to hold the late tx', () => holds(cores[3]!, tx, rid++));
      expect(await metric(x, /^overlay_flood_getdata_late_replies_total\{kind="body"\}/)).to.equal(before.late + 1);
      expect(await metric(x, /^overlay_flood_tx_bodies_received_total\{kind="unsolicited"\}/)).to.equal(before.unsolicited);
      // A reply of over a second measured: the slowest peer's timeout is now above the 1 s floor.
      expect(await metric(x, /^overlay_flood_getdata_timeout_seconds\{stat="max"\}/)).to.be.greaterThan(1);
      expect(asked()).to.equal(1);
    } finally {
      await slow.stop();
    }
  });

  it('builds deterministic tx sets, serves them to a node without them, and drops externalized txs', async () => {
    for (let i = 0; i < 3; i++) {
      const v = await submit(cores[4]!, makePayment({ source: testKeypair(600 + i), seq: 1n }), rid++);
      expect(v.status).to.be.oneOf([TxStatus.ACCEPTED, TxStatus.DUPLICATE]);
    }
    const build = async (core: RawCore) => {
      const requestId = rid++;
      core.send({ type: 'BUILD_TX_SET', requestId, ledgerSeq: 2, previousLedgerHash: Buffer.alloc(32, 9), maxOps: 1000, maxBytes: 1 << 20 });
      return core.next('TX_SET_BUILT', (m) => m.requestId === requestId);
    };
    const a = await build(cores[4]!);
    const b = await build(cores[4]!);
    expect(Buffer.from(a.hash)).to.deep.equal(Buffer.from(b.hash));
    expect(Buffer.from(a.txSet)).to.deep.equal(Buffer.from(b.txSet));
    // The hash is stellar's: SHA-256 of the GeneralizedTransactionSet XDR, as stellar-base encodes it.
    const parsed = xdr.GeneralizedTransactionSet.fromXDR(Buffer.from(a.txSet));
    expect(hashOf(parsed.toXDR())).to.deep.equal(Buffer.from(a.hash));
    const txs = parsed.v1TxSet().phases()[0]!.v0Components()[0]!.txsMaybeDiscountedFee().txes();
    expect(txs.length).to.be.greaterThan(0);

    // Node 5 never built it: it fetches it from its peers.
    const requestId = rid++;
    cores[5]!.send({ type: 'FETCH_TX_SET', requestId, hash: a.hash });
    const reply = await cores[5]!.next('TX_SET_REPLY', (m) => m.requestId === requestId);
    expect(Buffer.from(reply.txSet)).to.deep.equal(Buffer.from(a.txSet));

    const before = await metric(overlays[5]!, /^overlay_mempool_txs /);
    const hashes = Buffer.concat(txs.map((t) => hashOf(t.toXDR())));
    cores[5]!.send({ type: 'TX_SET_EXTERNALIZED', txSetHash: a.hash, txHashes: hashes });
    await waitFor('externalized txs removed', async () => (await metric(overlays[5]!, /^overlay_mempool_txs /)) === before - txs.length);
  });

  it('announces pending txs to a peer that connects late, in pull and push mode', async () => {
    for (const mode of ['pull', 'push']) {
      const alone = await startOverlay({ toml: `[flood]\nmode = "${mode}"` });
      const core = await RawCore.hello(alone.socketPath);
      const tx = makePayment({ source: testKeypair(mode === 'pull' ? 800 : 801), seq: 1n });
      try {
        expect((await submit(core, tx, rid++)).status).to.equal(TxStatus.ACCEPTED);
        const late = await startOverlay({ knownPeers: [alone.address], toml: `[flood]\nmode = "${mode}"` });
        const lateCore = await RawCore.hello(late.socketPath);
        try {
          await waitFor(`${mode}: the late peer to hold the tx`, () => holds(lateCore, tx, rid++));
        } finally {
          lateCore.close();
          await late.stop();
        }
      } finally {
        core.close();
        await alone.stop();
      }
    }
  });
});
