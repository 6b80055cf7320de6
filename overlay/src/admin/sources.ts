// What the admin endpoint reads and changes: the interface between the HTTP layer and the rest of the overlay.
// The composition root implements it from the live components; the HTTP layer knows nothing else of the overlay,
// so it can be tested with a small in-test implementation.
import type { Registry } from 'prom-client';
import type { BanEntry, PeerView } from '../peers/types.ts';

export interface AdminInfo {
  /** Software name, e.g. "overlay-sidecar". */
  software: string;
  version: string;
  /** libp2p PeerId of this overlay (base58). */
  peerId: string;
  /** The validator's node key, Stellar strkey (G...). */
  nodeKey: string;
  uptimeSec: number;
  coreConnected: boolean;
  /** Last ledger closed by core as seen by the overlay; null before the first one. `hash` is hex. */
  lastLedger: { seq: number; hash: string } | null;
  /** Network passphrase (the id in hex when core named an unknown one); null until decided. */
  network: string | null;
  /** SHA-256 of the passphrase, hex; null until decided. */
  networkId: string | null;
  /** Who decided it: config (file or --network), core's HELLO, or the default for a V2 core. */
  networkSource: 'config' | 'core-hello' | 'v2-default' | null;
  /** Multiaddrs the overlay listens on / announces. */
  addresses: string[];
}

export interface Readiness {
  ready: boolean;
  coreConnected: boolean;
  /** Connected peers. */
  peers: number;
  /** Why not ready (set when `ready` is false). */
  reason?: string;
}

/**
 * The ban list as the endpoint uses it (peers/ban-list.ts BanList fits). `ban` and `unban` may be asynchronous
 * (the change is in force at once, the promise settles once it is persisted): the reply waits for them.
 */
export interface AdminBans {
  list(): BanEntry[];
  /**
   * `durationMs` absent = until unbanned. A synchronous OverlayError 'BAN_INVALID' is a refused ban (answered 400);
   * a rejected promise is a ban in force but not persisted (answered 500).
   */
  ban(key: string, opts: { durationMs?: number; reason: string }): BanEntry | void | Promise<BanEntry | void>;
  /** False when the key was not banned. */
  unban(key: string): boolean | Promise<boolean>;
}

export interface AdminSources {
  info(): AdminInfo;
  peers(): PeerView[];
  /** Prometheus text exposition; see `metricsFromRegistry`. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Liveness: false only when the process should be restarted. */
  health(): { ok: boolean };
  /** See `computeReadiness` for the rule. */
  readiness(): Readiness;
  bans: AdminBans;
}

/** The readiness rule: ready when core is connected over IPC and at least one peer is connected. */
export function computeReadiness(state: { coreConnected: boolean; peers: number }): Readiness {
  const { coreConnected, peers } = state;
  if (!coreConnected) return { ready: false, coreConnected, peers, reason: 'stellar-core is not connected' };
  if (peers < 1) return { ready: false, coreConnected, peers, reason: 'no peer connected' };
  return { ready: true, coreConnected, peers };
}

/** `AdminSources.metrics` from a prom-client registry (its own content type, text format). */
export function metricsFromRegistry(registry: Registry): AdminSources['metrics'] {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}
