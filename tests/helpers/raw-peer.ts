// A bare libp2p peer for protocol tests: a real libp2p node (the overlay's own transport stack) that speaks the
// tx-flood protocol frame by frame, so a test can announce without answering, die mid-request, or send garbage;
// and publishes on the SCP topic by gossip whatever bytes a test gives it.
import { peerIdFromString } from '@libp2p/peer-id';
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
import { waitFor } from './wait.ts';

/** What dialing an overlay takes: its TCP peer port and peer id (an OverlayProcess, or a bench's overlay). */
export type PeerAddress = Pick<OverlayProcess, 'peerPort' | 'peerId'>;

/** A libp2p node with the overlay's transport stack on 127.0.0.1 (TCP only, no DHT, no gater), a fresh node key. */
export async function loopbackNode(protocols: ProtocolIds, maxConnections: number): Promise<OverlayNode> {
  return createOverlayNode({
    identity: await identityFromSeed(Keypair.random().secret()),
    protocols,
    listenHost: '127.0.0.1',
    tcpPort: 0,
    quicPort: null,
    gater: {},
    maxConnections,
    dht: false,
  });
}

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
    const node = await loopbackNode(protocols, 16);
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
  async connect(o: PeerAddress): Promise<void> {
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

  /** Joins the SCP topic, as an overlay does (the overlay then grafts us into its mesh on a heartbeat). */
  subscribeScp(): void {
    this.node.services.pubsub.subscribe(this.protocols.scpTopic);
  }

  /**
   * Publishes bytes on the SCP topic once `o` subscribes to it and our gossipsub stream to it is open (published
   * before, a message reaches nobody and cannot be published again: gossipsub refuses it as a duplicate).
   */
  async publishScp(o: PeerAddress, envelope: Uint8Array): Promise<void> {
    const pubsub = this.node.services.pubsub;
    const overlay = peerIdFromString(o.peerId);
    // The implementation has streamsOutbound; the exported GossipSub interface does not declare it.
    const outbound = (pubsub as { streamsOutbound?: Map<string, unknown> }).streamsOutbound;
    await waitFor('the overlay reachable on the SCP topic', () =>
      pubsub.getSubscribers(this.protocols.scpTopic).some((p) => p.equals(overlay)) && (outbound?.has(o.peerId) ?? true),
    );
    await pubsub.publish(this.protocols.scpTopic, envelope);
  }

  async stop(): Promise<void> {
    await this.node.stop();
  }
}
