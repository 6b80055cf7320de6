// The TOML config, validated key by key with zod. Unknown keys are errors (a typo must not be ignored).
import { z } from 'zod';
import { SIGNATURE_BACKEND_CHOICES } from '../crypto/ed25519.ts';
import { DEFAULTS } from './defaults.ts';

const port = z.number().int().min(0).max(65535);
const positive = z.number().int().min(1);
const nonNegative = z.number().int().min(0);
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected "host:port"');
const stellarPublicKey = z.string().regex(/^G[A-Z2-7]{55}$/, 'expected a Stellar public key (G...)');

export const configSchema = z.strictObject({
  /** Unset: the first core names the network (HELLO), or a V2 core means DEFAULTS.networkPassphrase. */
  network_passphrase: z.string().min(1).optional(),
  /** Default: .overlay-data/<peer_port> under the working directory. */
  data_dir: z.string().min(1).optional(),
  /** The validator's node seed (S...). Prefer node_seed_file for real deployments. */
  node_seed: z.string().regex(/^S[A-Z2-7]{55}$/, 'expected a Stellar secret seed (S...)').optional(),
  node_seed_file: z.string().min(1).optional(),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default(DEFAULTS.logLevel),

  ipc: z
    .strictObject({
      socket: z.string().min(1).optional(),
      max_payload: z.number().int().min(1024).max(DEFAULTS.ipcMaxPayload).default(DEFAULTS.ipcMaxPayload),
      droppable_backlog_bytes: positive.default(DEFAULTS.ipcDroppableBacklogBytes),
    })
    .prefault({}),

  p2p: z
    .strictObject({
      listen_host: z.string().min(1).default('127.0.0.1'),
      peer_port: port.default(DEFAULTS.peerPort),
      quic: z.boolean().default(true),
      tcp: z.boolean().default(true),
      quic_port_offset: z.number().int().min(1).max(60000).default(DEFAULTS.quicPortOffset),
      known_peers: z.array(hostPort).default([]),
      preferred_peers: z.array(hostPort).default([]),
      preferred_peer_keys: z.array(stellarPublicKey).default([]),
      preferred_peers_only: z.boolean().default(false),
      target_outbound: nonNegative.default(DEFAULTS.targetOutbound),
      max_inbound: nonNegative.default(DEFAULTS.maxInbound),
      max_pending_inbound: positive.default(DEFAULTS.maxPendingInbound),
      /** IPs exempt from gossipsub's colocation penalty (more than 10 node keys seen from one address). */
      gossip_ip_whitelist: z.array(z.union([z.ipv4(), z.ipv6()])).max(1000).default([]),
      inbound_per_ip_per_minute: positive.default(DEFAULTS.inboundPerIpPerMinute),
      reconnect_min_ms: positive.default(DEFAULTS.reconnectMinMs),
      reconnect_max_ms: positive.default(DEFAULTS.reconnectMaxMs),
      dht: z.boolean().default(true),
      dht_refresh_ms: positive.default(DEFAULTS.dhtRefreshMs),
    })
    .prefault({})
    .refine((p) => p.quic || p.tcp, { message: 'at least one of quic and tcp must be enabled' }),

  scp: z
    .strictObject({
      seen_capacity: positive.default(DEFAULTS.scpSeenCapacity),
      state_peers: positive.default(DEFAULTS.scpStatePeers),
      state_timeout_ms: positive.default(DEFAULTS.scpStateTimeoutMs),
      verify_signatures: z.boolean().default(true),
    })
    .prefault({}),

  quorum_sets: z
    .strictObject({
      cache_entries: positive.default(DEFAULTS.quorumSetCacheEntries),
      fetch_timeout_ms: positive.default(DEFAULTS.quorumSetFetchTimeoutMs),
    })
    .prefault({}),

  tx: z
    .strictObject({
      verify_signatures: z.boolean().default(true),
      base_fee: positive.default(DEFAULTS.baseFee),
      max_tx_bytes: positive.default(DEFAULTS.maxTxBytes),
      verify_batch: positive.default(DEFAULTS.txVerifyBatch),
      /** 0: one worker per core, less the main thread (at least one). */
      verify_threads: nonNegative.default(DEFAULTS.txVerifyThreads),
      /** ed25519 verifier of tx and SCP signatures: auto (sodium-native when its addon loads, else node:crypto). */
      signature_backend: z.enum(SIGNATURE_BACKEND_CHOICES).default(DEFAULTS.txSignatureBackend),
    })
    .prefault({}),

  mempool: z
    .strictObject({
      max_txs: positive.default(DEFAULTS.mempoolMaxTxs),
      max_bytes: positive.default(DEFAULTS.mempoolMaxBytes),
      pending_ledgers: positive.default(DEFAULTS.mempoolPendingLedgers),
      ban_ledgers: positive.default(DEFAULTS.mempoolBanLedgers),
      rbf_multiplier: positive.default(DEFAULTS.mempoolRbfMultiplier),
    })
    .prefault({}),

  flood: z
    .strictObject({
      /** pull: INV/GETDATA (announce, then fetch once); push: full txs to every peer (the legacy baseline). */
      mode: z.enum(['pull', 'push']).default('pull'),
      inv_max_hashes: positive.default(DEFAULTS.invMaxHashes),
      inv_interval_ms: positive.default(DEFAULTS.invIntervalMs),
      getdata_timeout_ms: positive.default(DEFAULTS.getdataTimeoutMs),
      getdata_timeout_max_ms: positive.default(DEFAULTS.getdataTimeoutMaxMs),
      getdata_give_up_ms: positive.default(DEFAULTS.getdataGiveUpMs),
      max_announcements_per_peer: positive.default(DEFAULTS.maxAnnouncementsPerPeer),
      max_inflight_per_peer: positive.default(DEFAULTS.maxInflightPerPeer),
      rebroadcast_interval_ms: positive.default(DEFAULTS.rebroadcastIntervalMs),
      rebroadcast_budget: positive.default(DEFAULTS.rebroadcastBudget),
    })
    .prefault({}),

  tx_sets: z
    .strictObject({
      cache_ledgers: positive.default(DEFAULTS.txSetCacheLedgers),
      cache_bytes: positive.default(DEFAULTS.txSetCacheBytes),
      peer_timeout_ms: positive.default(DEFAULTS.txSetPeerTimeoutMs),
      fetch_deadline_ms: positive.default(DEFAULTS.txSetFetchDeadlineMs),
    })
    .prefault({}),

  /** Misbehaviour scores of peers and the bans past the threshold (peers/scoring.ts; docs/security.md). */
  scoring: z
    .strictObject({
      enabled: z.boolean().default(true),
      threshold: positive.default(DEFAULTS.scoreThreshold),
      half_life_ms: positive.default(DEFAULTS.scoreHalfLifeMs),
      ban_ms: positive.default(DEFAULTS.scoreBanMs),
      max_peers: positive.default(DEFAULTS.scoreMaxPeers),
      /** GETDATA hashes served per peer per second, and the burst above it; beyond, requests are refused. */
      getdata_per_sec: positive.default(DEFAULTS.getdataPerSec),
      getdata_burst: positive.default(DEFAULTS.getdataBurst),
      /** Tx bodies a peer may send unasked (pull mode) per second, and the burst above it; beyond, dropped unchecked. */
      unsolicited_tx_per_sec: positive.default(DEFAULTS.unsolicitedTxPerSec),
      unsolicited_tx_burst: positive.default(DEFAULTS.unsolicitedTxBurst),
    })
    .prefault({})
    .refine((s) => s.getdata_burst >= 1000, { message: 'getdata_burst must hold a full GETDATA frame (1000 hashes)' }),

  admin: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default(DEFAULTS.adminHost),
      /** Default: peer_port + 2 (0 picks a free port, logged at start). */
      port: port.optional(),
      /** Required for POST/DELETE when host is not loopback. */
      token: z.string().min(16, 'a token must be at least 16 characters').optional(),
    })
    .prefault({}),
});

export type OverlayConfig = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
