// Hostile peers against a real overlay process (default [scoring] config): raw libp2p peers (tests/helpers/raw-peer.ts)
// send garbage, malformed and oversized flood frames, INV spam beyond the announcement cap, GETDATA beyond the
// per-peer rate, and txs with bad signatures. Each time the overlay stays up, scores the peer, and past the
// threshold bans its node key (the peer is dropped, its next connection refused), while a tx submitted at a second,
// honest overlay still reaches the first. Peers that lie in tx-set and quorum-set replies, and peers that gossip SCP
// envelopes with bad signatures, are banned the same way.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromString } from '@libp2p/peer-id';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { Keypair } from '@stellar/stellar-base';
import { createLibp2p } from 'libp2p';
import { TxStatus, networkIdOf } from '#ipc-protocol';
import { ScpSigner } from '../../core-bridge/src/scp/envelopes.ts';
import { stellarKeyOf } from '../../overlay/src/identity/node-key.ts';
import { FramedStream } from '../../overlay/src/p2p/framed-stream.ts';
import { QsetWire } from '../../overlay/src/qset/quorum-sets.ts';
import type { BanEntry } from '../../overlay/src/peers/types.ts';
import { SHORT_ID_BYTES } from '../../overlay/src/tx/flood/short-id.ts';
import { FloodFrame, MAX_FLOOD_FRAME, encodeIds, encodeInv, encodeTxs } from '../../overlay/src/tx/flood/wire.ts';
import { TxSetWire } from '../../overlay/src/txset/tx-sets.ts';
import { corrupt, garbage, makePayment, testKeypair } from '../fixtures/txs.ts';
import { getJson, metric, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { RawCore, TESTNET } from '../helpers/raw-core.ts';
import { RawPeer } from '../helpers/raw-peer.ts';
import { waitFor } from '../helpers/wait.ts';

/** A flood frame as bytes: `[type u32][len u32][payload]`, with the length given (a lie if it is not the payload's). */
function frame(type: number, payload: Uint8Array, length = payload.length): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(length, 4);
  b.set(payload, 8);
  return b;
}

const sameBytes = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
const qsetHash = createHash('sha256').update('qset').digest();

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

describe('hostile peers (real processes)', function () {
  this.timeout(120_000);
  let a: OverlayProcess; // the overlay under attack
  let b: OverlayProcess; // an honest neighbour
  let coreA: RawCore;
  let coreB: RawCore;
  const hostile: RawPeer[] = [];
  let rid = 1n;
  let honestTxs = 0;

  before(async () => {
    // Many test peers dial from 127.0.0.1: lift the per-IP rate so only bans refuse them, and exempt the address
    // from gossipsub's colocation penalty (past 10 identities from one IP it takes the honest neighbour out of the
    // SCP mesh too).
    const p2p = { inbound_per_ip_per_minute: 10_000, gossip_ip_whitelist: ['127.0.0.1'] };
    a = await startOverlay({ p2p });
    b = await startOverlay({ p2p, knownPeers: [a.address] });
    coreA = await RawCore.hello(a.socketPath);
    coreB = await RawCore.hello(b.socketPath);
    await waitFor('a flood link between the two overlays', async () => (await metric(a, /^overlay_flood_links /)) >= 1 && (await metric(b, /^overlay_flood_links /)) >= 1);
  });

  after(async () => {
    coreA?.close();
    coreB?.close();
    await Promise.all(hostile.map((p) => p.stop().catch(() => {})));
    await Promise.all([a?.stop(), b?.stop()]);
  });

  async function attacker(): Promise<RawPeer> {
    const p = await RawPeer.start();
    hostile.push(p);
    await p.connect(a);
    // The overlay opens its own flood link to every peer that connects; GETDATA is only served over one.
    await waitFor('a flood link to the attacker', async () => (await metric(a, /^overlay_flood_links /)) >= 2);
    return p;
  }

  /** A raw stream on the flood protocol, for bytes that are not frames. */
  async function rawStream(p: RawPeer) {
    const s = await p.node.dialProtocol(peerIdFromString(a.peerId), p.protocols.txFlood);
    s.inactivityTimeout = 0;
    return s;
  }

  const offences = (kind: string) => metric(a, new RegExp(`^overlay_peer_misbehaviour_total\\{kind="${kind}"\\}`));

  async function bans(): Promise<BanEntry[]> {
    return getJson<BanEntry[]>(`${a.adminUrl}/bans`);
  }

  /** The attacker is banned for `kind`, dropped, refused on its next connection; the overlay is up and healthy. */
  async function expectBanned(p: RawPeer, kind: string): Promise<void> {
    const key = stellarKeyOf(p.node.peerId)!;
    const ban = await waitFor(`a ban of the ${kind} attacker`, async () => (await bans()).find((x) => x.key === key));
    expect(ban.reason).to.include(`last: ${kind}`);
    expect(ban.until).to.be.greaterThan(Date.now());
    await waitFor('the attacker dropped', () => p.node.getConnections(peerIdFromString(a.peerId)).length === 0);
    const refused = await metric(a, /^overlay_gater_refusals_total\{reason="banned"\}/);
    let err: unknown = null;
    await p.connect(a).catch((e: unknown) => (err = e));
    expect(err, 'the banned peer connected again').to.not.equal(null);
    await waitFor('the refusal counted as a ban', async () => (await metric(a, /^overlay_gater_refusals_total\{reason="banned"\}/)) > refused);
    expect(a.proc.exitCode).to.equal(null);
    expect((await fetch(`${a.adminUrl}/healthz`)).ok).to.equal(true);
    expect(await metric(a, /^overlay_peer_score_bans_total /)).to.be.greaterThan(0);
  }

  /** A tx submitted at the honest overlay reaches the one under attack. */
  async function honestTrafficFlows(): Promise<void> {
    const tx = makePayment({ source: testKeypair(50_000 + honestTxs++), seq: 1n });
    const requestId = rid++;
    coreB.send({ type: 'SUBMIT_TX_CHECKED', requestId, tx });
    expect((await coreB.next('TX_VERDICT', (m) => m.requestId === requestId)).verdict.status).to.equal(TxStatus.ACCEPTED);
    await waitFor('the honest tx at the attacked overlay', async () => {
      const q = rid++;
      coreA.send({ type: 'GET_TOP_TXS_REQ', requestId: q, count: 100_000 });
      const r = await coreA.next('TOP_TXS_REPLY', (m) => m.requestId === q);
      return r.txs.some((t) => Buffer.from(tx).equals(t));
    });
  }

  it('garbage bytes: each stream is cut and scored (oversized or malformed); the second one bans', async () => {
    const p = await attacker();
    const before = (await offences('oversized_frame')) + (await offences('malformed_frame'));
    const first = await rawStream(p);
    first.send(garbage(4096, 1)); // its "length" field reads 2,988,101,841: above the 2 MiB frame limit
    await waitFor('the garbage scored', async () => (await offences('oversized_frame')) + (await offences('malformed_frame')) > before);
    expect(p.node.getConnections(peerIdFromString(a.peerId)).length, 'one offence is no ban').to.be.greaterThan(0);
    const second = await rawStream(p);
    second.send(Buffer.concat([u32(3), u32(0xfffffff0), randomBytes(64)]));
    await expectBanned(p, 'oversized_frame');
    await honestTrafficFlows();
  });

  it('malformed INV, GETDATA, TXS and an unknown frame type: one offence per stream, banned at the fourth', async () => {
    const p = await attacker();
    const id = randomBytes(SHORT_ID_BYTES);
    const bad = [
      frame(FloodFrame.INV, Buffer.concat([u32(2), id, Buffer.from([100])])), // count 2, one entry
      frame(FloodFrame.GETDATA, Buffer.concat([u32(1), id.subarray(0, SHORT_ID_BYTES - 1)])), // a 7-byte short id
      frame(FloodFrame.TXS, Buffer.concat([u32(1), u32(100), Buffer.alloc(10)])), // a body cut short
      frame(9, Buffer.alloc(4)), // no such frame type
    ];
    for (const [i, bytes] of bad.entries()) {
      const before = (await offences('malformed_frame')) + (await offences('unknown_frame'));
      const s = await rawStream(p);
      s.send(bytes);
      if (i < bad.length - 1) {
        await waitFor(`offence ${i + 1} scored`, async () => (await offences('malformed_frame')) + (await offences('unknown_frame')) > before);
      }
    }
    await expectBanned(p, 'unknown_frame');
    await honestTrafficFlows();
  });

  it('oversized frames: refused from the header alone, two are a ban', async () => {
    const p = await attacker();
    for (let i = 0; i < 2; i++) {
      const before = await offences('oversized_frame');
      const s = await rawStream(p);
      s.send(frame(FloodFrame.TXS, new Uint8Array(0), MAX_FLOOD_FRAME + 1));
      await waitFor(`oversized frame ${i + 1} scored`, async () => (await offences('oversized_frame')) > before);
    }
    await expectBanned(p, 'oversized_frame');
    await honestTrafficFlows();
  });

  it('INV spam beyond the 4096-announcement cap: capped, counted, and banned when it goes on', async () => {
    const p = await attacker();
    const capped = () => metric(a, /^overlay_flood_announcements_total\{outcome="capped"\}/);
    const cappedBefore = await capped();
    // 4096 announcements fill the cap (never answered); every INV after that is capped entirely.
    for (let i = 0; i < 4096 / 512; i++) {
      p.send(FloodFrame.INV, encodeInv(Array.from({ length: 512 }, () => ({ id: randomBytes(SHORT_ID_BYTES), feePerOp: 100n }))));
    }
    await waitFor('the cap reached', async () => (await metric(a, /^overlay_flood_wanted /)) >= 4096);
    expect(await capped()).to.equal(cappedBefore);
    // A few over the cap: counted, scored, no ban yet.
    for (let i = 0; i < 10; i++) p.send(FloodFrame.INV, encodeInv([{ id: randomBytes(SHORT_ID_BYTES), feePerOp: 100n }]));
    await waitFor('capped announcements counted', async () => (await capped()) >= cappedBefore + 10);
    expect(await offences('inv_over_cap')).to.be.at.least(10);
    expect((await bans()).some((x) => x.key === stellarKeyOf(p.node.peerId))).to.equal(false);
    // Keeping it up (0.1 per frame, threshold 100) is a ban.
    for (let i = 0; i < 1100; i++) p.send(FloodFrame.INV, encodeInv([{ id: randomBytes(SHORT_ID_BYTES), feePerOp: 100n }]));
    await expectBanned(p, 'inv_over_cap');
    await honestTrafficFlows();
  });

  it('GETDATA flood: served up to the per-peer burst, then refused and scored until banned', async () => {
    const p = await attacker();
    const limited = () => metric(a, /^overlay_flood_getdata_served_total\{outcome="rate_limited"\}/);
    // 20,000 ids of burst, then 10,000/s: 100 frames of 1000 at once is far beyond.
    for (let i = 0; i < 100; i++) p.send(FloodFrame.GETDATA, encodeIds(Array.from({ length: 1000 }, () => randomBytes(SHORT_ID_BYTES))));
    await waitFor('GETDATA refused', async () => (await limited()) > 0);
    expect(await metric(a, /^overlay_flood_getdata_served_total\{outcome="notfound"\}/)).to.be.at.least(20_000);
    await expectBanned(p, 'getdata_flood');
    await honestTrafficFlows();
  });

  it('txs with bad signatures: rejected, never flooded, ten are a ban', async () => {
    const p = await attacker();
    const txs = Array.from({ length: 10 }, (_, i) => corrupt(makePayment({ source: testKeypair(60_000 + i), seq: 1n }), 'signature'));
    p.send(FloodFrame.TXS, encodeTxs(txs.slice(0, 5)));
    await waitFor('five bad txs scored', async () => (await offences('bad_tx')) >= 5);
    p.send(FloodFrame.TXS, encodeTxs(txs.slice(5)));
    await expectBanned(p, 'bad_tx');
    expect(await metric(a, /^overlay_tx_intake_total\{origin="peer",status="INVALID",reason="BAD_SIGNATURE"\}/)).to.be.at.least(10);
    // None reached the honest overlay.
    expect(await metric(b, /^overlay_tx_intake_total\{origin="peer",status="INVALID"/)).to.equal(0);
    await honestTrafficFlows();
  });

  it('a TXS frame of 600 bad txs nobody asked for: at most the unsolicited burst (250) is checked, the rest dropped unchecked', async () => {
    const p = await attacker();
    const invalid = () => metric(a, /^overlay_tx_intake_total\{origin="peer",status="INVALID",reason="BAD_SIGNATURE"\}/);
    const dropped = () => metric(a, /^overlay_flood_tx_bodies_received_total\{kind="unsolicited_dropped"\}/);
    const [invalidBefore, droppedBefore] = [await invalid(), await dropped()];
    const txs = Array.from({ length: 600 }, (_, i) => corrupt(makePayment({ source: testKeypair(70_000 + i), seq: 1n }), 'signature'));
    p.send(FloodFrame.TXS, encodeTxs(txs));
    // The whole frame is taken in at once: the budget (250, refilled at 50/s) covers what it covers.
    await waitFor('the bodies beyond the budget dropped', async () => (await dropped()) - droppedBefore >= 600 - 260);
    await expectBanned(p, 'bad_tx');
    await waitFor('the checked bodies answered', async () => (await metric(a, /^overlay_tx_check_queue /)) === 0);
    const checked = (await invalid()) - invalidBefore;
    expect(checked).to.be.at.least(10).and.at.most(260);
    expect(checked + (await dropped()) - droppedBefore).to.equal(600);
    await honestTrafficFlows();
  });

  it('lying quorum-set and tx-set replies: each lie scored, the second one bans', async () => {
    // Liars answer every request with bytes that are not the set asked for.
    const liar = async (protocol: 'quorumSet' | 'txSet', answerType: number) => {
      const p = await attacker();
      await p.node.handle(p.protocols[protocol], (stream) => {
        const framed: FramedStream = new FramedStream(stream, 64, {
          onFrame: () => {
            framed.send(answerType, randomBytes(200));
            void framed.close();
          },
        });
      });
      return p;
    };
    const qsetLiar = await liar('quorumSet', QsetWire.QUORUM_SET);
    for (let i = 0; i < 2; i++) {
      const requestId = rid++;
      coreA.send({ type: 'FETCH_QUORUM_SET', requestId, hash: randomBytes(32) });
      await coreA.next('ERROR', (m) => m.requestId === requestId); // nobody has it (the honest peer says so)
    }
    await expectBanned(qsetLiar, 'lying_reply');
    const txSetLiar = await liar('txSet', TxSetWire.TX_SET);
    // One fetch asks every peer again each round (1.5 s apart) until its deadline: the liar lies twice.
    coreA.send({ type: 'FETCH_TX_SET', requestId: rid++, hash: randomBytes(32) });
    await expectBanned(txSetLiar, 'lying_reply');
    await honestTrafficFlows();
  });

  it('SCP envelopes with bad signatures: rejected, never relayed, out of the gossip mesh at the first, banned at the fourth', async () => {
    const p = await attacker();
    p.subscribeScp();
    const mesh = () => metric(a, /^overlay_scp_mesh_peers /);
    // The honest neighbour and the attacker.
    await waitFor('the attacker in the SCP mesh', async () => (await mesh()) >= 2);
    const signer = new ScpSigner(Keypair.random().secret(), networkIdOf(TESTNET));
    let slot = 1n;
    const envelope = () => signer.externalize(slot++, randomBytes(32), qsetHash);
    const badSignature = () => {
      const e = Buffer.from(envelope());
      e[e.length - 1]! ^= 0xff;
      return e;
    };
    // A valid envelope from it is delivered, and no offence.
    const good = envelope();
    await p.publishScp(a, good);
    await coreA.next('SCP_RECEIVED', (m) => sameBytes(m.envelope, good));
    expect(await offences('bad_envelope')).to.equal(0);
    // The first bad one: scored, and gossipsub's own score saw the Reject (negative: pruned from the mesh at the
    // next heartbeat, though still connected).
    await p.publishScp(a, badSignature());
    await waitFor('the bad envelope scored', async () => (await offences('bad_envelope')) === 1);
    await waitFor('the attacker out of the SCP mesh', async () => (await mesh()) === 1);
    expect(p.node.getConnections(peerIdFromString(a.peerId)).length, 'one offence is no ban').to.be.greaterThan(0);
    for (let i = 0; i < 3; i++) await p.publishScp(a, badSignature());
    await expectBanned(p, 'bad_envelope');
    expect(await offences('bad_envelope')).to.equal(4);
    expect(await metric(a, /^overlay_scp_envelopes_received_total\{outcome="bad_signature"\}/)).to.equal(4);
    // None was relayed to the honest overlay, whose SCP still reaches the attacked one.
    expect(await metric(b, /^overlay_scp_envelopes_received_total\{outcome="bad_signature"\}/)).to.equal(0);
    const honest = new ScpSigner(b.seed, networkIdOf(TESTNET)).externalize(1n, randomBytes(32), qsetHash);
    coreB.send({ type: 'BROADCAST_SCP', envelope: honest });
    await coreA.next('SCP_RECEIVED', (m) => sameBytes(m.envelope, honest));
    await honestTrafficFlows();
  });

  it('a peer whose identity is not a Stellar (ed25519) node key is refused at the handshake', async () => {
    const stranger = await createLibp2p({
      privateKey: await generateKeyPair('secp256k1'),
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    });
    try {
      const refused = () => metric(a, /^overlay_gater_refusals_total\{reason="not_stellar_key"\}/);
      const before = await refused();
      await stranger.dial(multiaddr(`/ip4/127.0.0.1/tcp/${a.peerPort}/p2p/${a.peerId}`)).catch(() => null);
      await waitFor('the refusal counted', async () => (await refused()) > before);
      await waitFor('no connection left', () => stranger.getConnections().every((c) => c.status !== 'open'));
    } finally {
      await stranger.stop();
    }
  });

  it('the honest overlay was never scored', async () => {
    expect((await bans()).some((x) => x.key === b.nodeKey)).to.equal(false);
    expect(await metric(b, /^overlay_peer_misbehaviour_total/)).to.equal(0);
    expect(a.logged(/"msg":"uncaught exception"/)).to.equal(false);
  });
});
