// The child process of raw-peer-process.ts: one RawPeer (raw-peer.ts) driven over the Node IPC channel, so that a
// test can SIGKILL it mid-request like a crashed validator. Commands and events are described in raw-peer-process.ts.
import { FramedStream } from '../../overlay/src/p2p/framed-stream.ts';
import { TxSetWire } from '../../overlay/src/txset/tx-sets.ts';
import { toHex } from '../../overlay/src/util/bytes.ts';
import { RawPeer } from './raw-peer.ts';
import type { ChildCommand, ChildMessage } from './raw-peer-process.ts';

/** A tx-set request is one 32-byte hash (tx-sets.ts serves requests of at most 64 bytes). */
const MAX_TXSET_REQUEST = 64;

const send = (m: ChildMessage) => process.send!(m);
const peer = await RawPeer.start(process.argv[2]);
/** The overlay we connected to: SCP envelopes are published once it is reachable on the topic. */
let overlay: { peerPort: number; peerId: string } | null = null;

async function run(c: ChildCommand): Promise<void> {
  switch (c.op) {
    case 'connect':
      overlay = { peerPort: c.peerPort, peerId: c.peerId };
      await peer.connect(overlay);
      return;
    case 'hold-tx-set-requests':
      // Every request is reported and never answered, its stream never closed: the asker waits on us.
      await peer.node.handle(peer.protocols.txSet, (stream) => {
        stream.inactivityTimeout = 0;
        new FramedStream(stream, MAX_TXSET_REQUEST, {
          onFrame: (type, payload) => {
            if (type === TxSetWire.REQUEST) send({ event: 'tx-set-request', hash: toHex(payload) });
          },
        });
      });
      return;
    case 'publish-scp':
      if (overlay === null) throw new Error('publish-scp before connect');
      await peer.publishScp(overlay, Buffer.from(c.envelope, 'base64'));
      return;
  }
}

process.on('message', (c: ChildCommand) => {
  run(c).then(
    () => send({ id: c.id, ok: true }),
    (err: Error) => send({ id: c.id, ok: false, error: `${err.name}: ${err.message}` }),
  );
});
// The test process is gone: so are we.
process.on('disconnect', () => process.exit(0));
send({ event: 'ready', peerId: peer.node.peerId.toString() });
