// PeerLink on real libp2p streams (QUIC and TCP between two nodes on 127.0.0.1): bursts of frames all arrive, in
// order, with nothing written after them to push them out; queued INV entries the peer has are left out; a GETDATA
// not yet sent can be withdrawn.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Keypair } from '@stellar/stellar-base';
import { identityFromSeed } from '../../../overlay/src/identity/node-key.ts';
import { createOverlayNode, type OverlayNode } from '../../../overlay/src/p2p/node.ts';
import { FramedStream } from '../../../overlay/src/p2p/framed-stream.ts';
import { protocolIds } from '../../../overlay/src/p2p/protocols.ts';
import { PeerLink } from '../../../overlay/src/tx/flood/peer-link.ts';
import { SHORT_ID_BYTES } from '../../../overlay/src/tx/flood/short-id.ts';
import { FloodFrame, MAX_FLOOD_FRAME, decodeIds, decodeInv } from '../../../overlay/src/tx/flood/wire.ts';
import { waitFor } from '../../helpers/wait.ts';

const protocols = protocolIds('00'.repeat(32));

async function node(transport: 'quic' | 'tcp'): Promise<OverlayNode> {
  const n = await createOverlayNode({
    identity: await identityFromSeed(Keypair.random().secret()),
    protocols,
    listenHost: '127.0.0.1',
    tcpPort: transport === 'tcp' ? 0 : null,
    quicPort: transport === 'quic' ? 0 : null,
    gater: {},
    maxConnections: 8,
    dht: false,
  });
  await n.start();
  return n;
}

for (const transport of ['quic', 'tcp'] as const) {
  describe(`PeerLink over ${transport}`, function () {
    this.timeout(30_000);
    let a: OverlayNode;
    let b: OverlayNode;
    /** Frames b received on its inbound flood stream, in order. */
    const received: { type: number; payload: Uint8Array }[] = [];
    const links: PeerLink[] = [];

    before(async () => {
      [a, b] = await Promise.all([node(transport), node(transport)]);
      await b.handle(protocols.txFlood, (stream) => {
        stream.inactivityTimeout = 0;
        new FramedStream(stream, MAX_FLOOD_FRAME, {
          onFrame: (type, payload) => received.push({ type, payload: Uint8Array.prototype.slice.call(payload) }),
        });
      });
    });

    after(async () => {
      for (const l of links) l.close();
      await Promise.all([a.stop(), b.stop()]);
    });

    const link = (over: Partial<ConstructorParameters<typeof PeerLink>[0]> = {}) => {
      const l = new PeerLink({
        peer: b.peerId.toString(),
        invMaxHashes: 1,
        invIntervalMs: 100,
        open: () => a.dialProtocol(b.getMultiaddrs()[0]!, protocols.txFlood),
        onDrop: () => expect.fail('no frame may be dropped'),
        onSent: () => {},
        onError: (err) => expect.fail(String(err)),
        ...over,
      });
      links.push(l);
      return l;
    };

    it('delivers a burst of frames, in order, with nothing written after it', async () => {
      received.length = 0;
      const l = link();
      const ids = Array.from({ length: 50 }, () => randomBytes(SHORT_ID_BYTES));
      // One INV frame per entry (invMaxHashes 1), all written in one go.
      for (const [i, id] of ids.entries()) l.announce({ id, feePerOp: BigInt(i) });
      await waitFor('all 50 INV frames at the peer', () => received.length === 50);
      const back = received.map((f) => decodeInv(f.payload)[0]!);
      expect(back.map((e) => Buffer.from(e.id))).to.deep.equal(ids);
      expect(back.map((e) => e.feePerOp)).to.deep.equal(ids.map((_, i) => BigInt(i)));
      // And again on the same stream, once it has drained at least once.
      received.length = 0;
      for (const id of ids) l.announce({ id, feePerOp: 1n });
      await waitFor('the second burst', () => received.length === 50);
    });

    it('leaves out queued INV entries the peer is known to have by the time the batch goes', async () => {
      received.length = 0;
      const known = new Set<string>();
      let skipped = 0;
      const l = link({
        invMaxHashes: 1000,
        peerHas: (h) => known.has(Buffer.from(h).toString('hex')),
        onInvSkipped: (n) => (skipped += n),
      });
      const [x, y, z] = [randomBytes(SHORT_ID_BYTES), randomBytes(SHORT_ID_BYTES), randomBytes(SHORT_ID_BYTES)];
      for (const id of [x, y, z]) l.announce({ id, feePerOp: 1n });
      // The peer announced y to us while ours waited for its batch.
      known.add(y.toString('hex'));
      await waitFor('the INV batch', () => received.length === 1);
      expect(decodeInv(received[0]!.payload).map((e) => Buffer.from(e.id))).to.deep.equal([x, z]);
      expect(skipped).to.equal(1);
    });

    it('withdraws a GETDATA not yet sent, and only that one', async () => {
      received.length = 0;
      const l = link();
      const [keep, drop] = [randomBytes(SHORT_ID_BYTES), randomBytes(SHORT_ID_BYTES)];
      l.request(keep);
      l.request(drop);
      expect(l.cancelRequest(drop)).to.equal(true);
      expect(l.cancelRequest(drop)).to.equal(false);
      expect(l.cancelRequest(Uint8Array.prototype.slice.call(keep))).to.equal(false); // a copy is not the request
      await waitFor('the GETDATA', () => received.length === 1);
      expect(received[0]!.type).to.equal(FloodFrame.GETDATA);
      expect(decodeIds(received[0]!.payload, 'GETDATA').map((h) => Buffer.from(h))).to.deep.equal([keep]);
      expect(l.cancelRequest(keep)).to.equal(false); // already sent
    });
  });
}
