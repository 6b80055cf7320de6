// A bare libp2p peer for protocol tests: a real libp2p node (the overlay's own transport stack) that speaks the
// tx-flood protocol frame by frame, so a test can announce without answering, die mid-request, or send garbage.
import { multiaddr } from '@multiformats/multiaddr';
import { Keypair } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { identityFromSeed } from '../../overlay/src/identity/node-key.ts';
import { createOverlayNode, type OverlayNode } from '../../overlay/src/p2p/node.ts';
import { FramedStream } from '../../overlay/src/p2p/framed-stream.ts';
import { protocolIds, type ProtocolIds } from '../../overlay/src/p2p/protocols.ts';
import { MAX_FLOOD_FRAME } from '../../overlay/src/tx/flood/wire.ts';
import type { OverlayProcess } from './overlay-process.ts';
import { TESTNET } from './raw-core.ts';

export interface Frame {
  type: number;
  payload: Uint8Array;
}

export class RawPeer {
  readonly node: OverlayNode;
  readonly protocols: ProtocolIds;
  /** Flood frames the overlay sent us, in order. */
  readonly received: Frame[] = [];
  private out: FramedStream | null = null;

  private constructor(node: OverlayNode, protocols: ProtocolIds) {
    this.node = node;
    this.protocols = protocols;
  }

  static async start(passphrase = TESTNET): Promise<RawPeer> {
    const protocols = protocolIds(Buffer.from(networkIdOf(passphrase)).toString('hex'));
    const node = await createOverlayNode({
      identity: await identityFromSeed(Keypair.random().secret()),
      protocols,
      listenHost: '127.0.0.1',
      tcpPort: 0,
      quicPort: null,
      gater: {},
      maxConnections: 16,
      dht: false,
    });
    const peer = new RawPeer(node, protocols);
    await node.handle(protocols.txFlood, (stream) => {
      stream.inactivityTimeout = 0;
      new FramedStream(stream, MAX_FLOOD_FRAME, {
        onFrame: (type, payload) => peer.received.push({ type, payload: Uint8Array.prototype.slice.call(payload) }),
      });
    });
    await node.start();
    return peer;
  }

  /** Connects to an overlay over TCP and opens our flood stream to it. */
  async connect(o: OverlayProcess): Promise<void> {
    const ma = multiaddr(`/ip4/127.0.0.1/tcp/${o.peerPort}/p2p/${o.peerId}`);
    const stream = await this.node.dialProtocol(ma, this.protocols.txFlood);
    stream.inactivityTimeout = 0;
    this.out = new FramedStream(stream, MAX_FLOOD_FRAME, { onFrame: () => {} });
  }

  /** Sends one flood frame on our stream. */
  send(type: number, payload: Uint8Array): void {
    if (!this.out) throw new Error('not connected');
    this.out.send(type, payload);
  }

  async stop(): Promise<void> {
    await this.node.stop();
  }
}
