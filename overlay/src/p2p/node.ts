// Builds the libp2p node: QUIC first, TCP + Noise + Yamux as fallback, identify, ping, kad-dht (server mode)
// and gossipsub. Everything network-facing the overlay does goes through the node returned here.
import { createLibp2p, type Libp2p } from 'libp2p';
import { quic } from '@chainsafe/libp2p-quic';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht';
import { gossipsub, StrictNoSign, type GossipSub } from '@libp2p/gossipsub';
import type { ConnectionGater } from '@libp2p/interface';
import { identify, type Identify } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { createHash } from 'node:crypto';
import type { NodeIdentity } from '../identity/node-key.ts';
import type { ProtocolIds } from './protocols.ts';

import type { ConnectionTraffic } from './traffic.ts';

export interface P2pServices {
  identify: Identify;
  ping: Ping;
  /** Absent when `p2p.dht` is off. */
  dht?: KadDHT;
  pubsub: GossipSub;
  [key: string]: unknown;
}

export type OverlayNode = Libp2p<P2pServices>;

export interface NodeOptions {
  identity: NodeIdentity;
  protocols: ProtocolIds;
  listenHost: string;
  tcpPort: number | null;
  quicPort: number | null;
  gater: ConnectionGater;
  /** Hard ceiling on connections (inbound + outbound + slack for DHT queries). */
  maxConnections: number;
  /** Inbound connections allowed mid-handshake at once (libp2p counts them before the gater runs); default libp2p's. */
  maxPendingInbound?: number;
  dht: boolean;
  /** Kademlia self-query (routing table refresh) interval; kad-dht's default when absent. */
  dhtRefreshMs?: number;
  /** Counts wire bytes per connection (for /peers). */
  traffic?: ConnectionTraffic;
  /**
   * Addresses exempt from gossipsub's IP colocation penalty (its default: past 10 peer identities seen from one IP,
   * remembered for an hour, every one of them scores −5 × excess², out of the mesh: a Sybil defence).
   */
  gossipIpWhitelist?: readonly string[];
}

// libp2p timings (ours): fail fast on loopback and LAN; the peer manager retries with backoff.
const DIAL_TIMEOUT_MS = 5_000;
const INBOUND_UPGRADE_TIMEOUT_MS = 5_000;
/** Gossipsub: how long a seen message id is remembered (ours: a few ledgers). */
const GOSSIP_SEEN_TTL_MS = 60_000;

function ipFamily(host: string): 'ip4' | 'ip6' {
  return host.includes(':') ? 'ip6' : 'ip4';
}

export function listenAddresses(host: string, tcpPort: number | null, quicPort: number | null): string[] {
  const fam = ipFamily(host);
  const out: string[] = [];
  if (quicPort !== null) out.push(`/${fam}/${host}/udp/${quicPort}/quic-v1`);
  if (tcpPort !== null) out.push(`/${fam}/${host}/tcp/${tcpPort}`);
  return out;
}

/** Gossipsub message id: SHA-256 of the payload, so the same envelope relayed by two peers is one message. */
function messageId(msg: { data: Uint8Array }): Uint8Array {
  return createHash('sha256').update(msg.data).digest();
}

export async function createOverlayNode(opts: NodeOptions): Promise<OverlayNode> {
  const transports = [];
  if (opts.quicPort !== null) transports.push(quic());
  if (opts.tcpPort !== null) transports.push(tcp());
  const services: Record<string, unknown> = {
    identify: identify(),
    ping: ping(),
    pubsub: gossipsub({
      globalSignaturePolicy: StrictNoSign, // SCP envelopes carry their own node signature, checked by the app
      msgIdFn: messageId,
      fastMsgIdFn: (msg) => createHash('sha1').update(msg.data ?? new Uint8Array(0)).digest('base64'),
      allowPublishToZeroTopicPeers: true,
      emitSelf: false,
      floodPublish: true,
      seenTTL: GOSSIP_SEEN_TTL_MS,
      // Small validator networks: keep every peer in the mesh.
      D: 8,
      Dlo: 4,
      Dhi: 12,
      asyncValidation: false,
      scoreParams: { IPColocationFactorWhitelist: new Set(opts.gossipIpWhitelist ?? []) },
    }),
  };
  if (opts.dht) {
    services.dht = kadDHT({
      protocol: opts.protocols.kad,
      clientMode: false,
      peerInfoMapper: passthroughMapper, // keep loopback/private addresses: validators often peer on them
      initialQuerySelfInterval: 0, // the notes: the default 1 s delay holds every cold lookup back
      querySelfInterval: opts.dhtRefreshMs,
      allowQueryWithZeroPeers: true,
    });
  }
  return createLibp2p({
    privateKey: opts.identity.privateKey,
    addresses: { listen: listenAddresses(opts.listenHost, opts.tcpPort, opts.quicPort) },
    transports: transports as never,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: opts.gater,
    ...(opts.traffic ? { metrics: () => opts.traffic!.component() } : {}),
    connectionManager: {
      maxConnections: opts.maxConnections,
      dialTimeout: DIAL_TIMEOUT_MS,
      inboundUpgradeTimeout: INBOUND_UPGRADE_TIMEOUT_MS,
      ...(opts.maxPendingInbound === undefined ? {} : { maxIncomingPendingConnections: opts.maxPendingInbound }),
      // Our own per-address limiter (peers/inbound-limiter.ts) does this, with a metric.
      inboundConnectionThreshold: Number.MAX_SAFE_INTEGER,
      reconnectRetries: 0, // the peer manager owns reconnection, with backoff
    },
    services: services as never,
  }) as Promise<OverlayNode>;
}
