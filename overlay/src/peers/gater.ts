// The libp2p ConnectionGater of the overlay: every connection, in or out, passes here at each upgrade step.
//   inbound, raw socket      → per-address rate limit (preferred peers whose id is already known — QUIC — skip it)
//   inbound, encrypted       → banned key; preferred_peers_only and the key is not preferred; not a Stellar key
//   inbound, upgraded        → inbound connections ≥ max_inbound, unless the peer is preferred
//   outbound, dial / encrypted → banned key (and, in preferred_peers_only mode, dials by peer id to non-preferred keys)
// Every refusal increments overlay_gater_refusals_total{reason} and is logged at debug. The gater is built before
// the node (the node factory takes `gate.gater`); `attach(node)` then gives it the node's connections for the inbound count.
import type { Connection, ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Multiaddr } from '@multiformats/multiaddr';
import { Counter, type Registry } from 'prom-client';
import type { OverlayConfig } from '../config/schema.ts';
import { stellarKeyOf } from '../identity/node-key.ts';
import type { Logger } from '../util/log.ts';
import type { BanList } from './ban-list.ts';
import { InboundLimiter } from './inbound-limiter.ts';
import { PreferredKeys } from './preferred.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: connections on top of inbound + outbound targets left for DHT queries and dial races. */
export const CONNECTION_HEADROOM = 32;
/** Ours: outbound connections tolerated above target_outbound before the peer manager prunes (see manager.ts). */
export const OUTBOUND_SLACK = 2;

export type RefusalReason = 'rate_limited' | 'banned' | 'not_preferred' | 'inbound_full' | 'not_stellar_key';

export type P2pConfig = OverlayConfig['p2p'];

export interface GaterOptions {
  /** The p2p section of the config (read live: preferred_peers_only, max_inbound). */
  config: P2pConfig;
  bans: BanList;
  log: Logger;
  registry: Registry;
  /** Default: built from p2p.inbound_per_ip_per_minute on `registry`. */
  limiter?: InboundLimiter;
  /** Default: p2p.preferred_peer_keys. The PeerManager adds the keys it learns from preferred addresses. */
  preferred?: PreferredKeys;
}

export interface ConnectionSource {
  getConnections(peerId?: PeerId): Connection[];
}

/** The gater and the state it shares with the PeerManager (pass the whole object to `new PeerManager({ gate })`). */
export interface Gate {
  /** For createOverlayNode({ gater }). */
  readonly gater: ConnectionGater;
  readonly preferred: PreferredKeys;
  readonly limiter: InboundLimiter;
  readonly config: P2pConfig;
  /** Gives the gater the node's connections (for the max_inbound check). Until then the inbound count is 0. */
  attach(node: ConnectionSource): void;
  /** Open inbound connections (every peer, preferred ones included). */
  inboundCount(): number;
  /** Counts and logs a refusal decided elsewhere (the peer manager's inbound double-check). */
  refused(reason: RefusalReason, fields: Record<string, unknown>): void;
}

/** libp2p connectionManager.maxConnections for this config: our limits plus headroom, so libp2p never refuses first. */
export function recommendedMaxConnections(p2p: P2pConfig): number {
  return p2p.max_inbound + p2p.target_outbound + OUTBOUND_SLACK + p2p.preferred_peers.length + p2p.preferred_peer_keys.length + CONNECTION_HEADROOM;
}

/** The IP address of a multiaddr (/ip4 or /ip6), if it has one. */
export function ipOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value;
}

/** The /p2p/ peer id string of a multiaddr, if present. */
export function peerIdStringOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().findLast((c) => c.name === 'p2p')?.value;
}

export function createGater(opts: GaterOptions): Gate {
  const { config, bans, log } = opts;
  const preferred = opts.preferred ?? new PreferredKeys(config.preferred_peer_keys);
  const limiter =
    opts.limiter ?? new InboundLimiter({ perMinute: config.inbound_per_ip_per_minute, registry: opts.registry });
  const refusals = new Counter({
    name: 'overlay_gater_refusals_total',
    help: 'Connections refused by the overlay (gater and inbound double-check), by reason',
    labelNames: ['reason'],
    registers: [opts.registry],
  });
  let node: ConnectionSource | null = null;

  const refused = (reason: RefusalReason, fields: Record<string, unknown>): true => {
    refusals.inc({ reason });
    log.debug('connection refused', { reason, ...fields });
    return true;
  };

  const inboundCount = (): number => {
    if (node === null) return 0;
    let n = 0;
    for (const c of node.getConnections()) if (c.direction === 'inbound' && c.status === 'open') n++;
    return n;
  };

  /** Shared by in/outbound encrypted checks. */
  const keyRefusal = (peerId: PeerId): { reason: RefusalReason; key: string | undefined } | null => {
    const key = stellarKeyOf(peerId);
    if (key === undefined) return { reason: 'not_stellar_key', key };
    if (bans.isBanned(key)) return { reason: 'banned', key };
    return null;
  };

  const gater: ConnectionGater = {
    denyInboundConnection(maConn: MultiaddrConnection): boolean {
      const ip = ipOf(maConn.remoteAddr);
      if (ip === undefined) return false;
      // QUIC hands over the authenticated peer id with the raw connection: preferred peers are never rate limited.
      const idStr = peerIdStringOf(maConn.remoteAddr);
      if (idStr !== undefined && preferredById(preferred, idStr)) return false;
      if (limiter.allow(ip)) return false;
      return refused('rate_limited', { ip, remote: maConn.remoteAddr.toString() });
    },

    denyInboundEncryptedConnection(peerId: PeerId): boolean {
      const r = keyRefusal(peerId);
      if (r !== null) return refused(r.reason, { direction: 'inbound', peer: peerId.toString(), key: r.key });
      const key = stellarKeyOf(peerId);
      if (config.preferred_peers_only && !preferred.has(key)) {
        return refused('not_preferred', { direction: 'inbound', peer: peerId.toString(), key });
      }
      return false;
    },

    denyInboundUpgradedConnection(peerId: PeerId): boolean {
      const key = stellarKeyOf(peerId);
      if (preferred.has(key)) return false;
      const n = inboundCount();
      if (n >= config.max_inbound) {
        return refused('inbound_full', { peer: peerId.toString(), key, inbound: n, max: config.max_inbound });
      }
      return false;
    },

    denyDialPeer(peerId: PeerId): boolean {
      const r = keyRefusal(peerId);
      if (r !== null) return refused(r.reason, { direction: 'outbound', peer: peerId.toString(), key: r.key });
      const key = stellarKeyOf(peerId);
      // Our own dials of preferred addresses carry no peer id and never reach here; this stops DHT/discovery dials.
      if (config.preferred_peers_only && !preferred.has(key)) {
        return refused('not_preferred', { direction: 'outbound', peer: peerId.toString(), key });
      }
      return false;
    },

    denyOutboundConnection(peerId: PeerId): boolean {
      const r = keyRefusal(peerId);
      if (r !== null) return refused(r.reason, { direction: 'outbound', peer: peerId.toString(), key: r.key });
      return false;
    },

    denyOutboundEncryptedConnection(peerId: PeerId): boolean {
      // The first point where a dial to a bare "host:port" address learns who answered.
      const r = keyRefusal(peerId);
      if (r !== null) return refused(r.reason, { direction: 'outbound', peer: peerId.toString(), key: r.key });
      return false;
    },
  };

  return {
    gater,
    preferred,
    limiter,
    config,
    attach(n) {
      node = n;
    },
    inboundCount,
    refused,
  };
}

function preferredById(preferred: PreferredKeys, idStr: string): boolean {
  if (preferred.isEmpty()) return false;
  try {
    return preferred.has(stellarKeyOf(peerIdFromString(idStr)));
  } catch {
    return false; // not a peer id: the handshake will fail on its own
  }
}
