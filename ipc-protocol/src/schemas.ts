// zod schemas of the control-plane payloads (msgpack and the V2 JSON ones). Field order is the wire order.
import { z } from 'zod';

const u32 = z.number().int().min(0).max(0xffff_ffff);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const shortText = z.string().max(256);

export const helloSchema = z.object({
  protocolVersion: u32,
  features: z.array(z.string().max(64)).max(64),
  software: shortText,
  /** SHA-256 of the network passphrase (Stellar's network id). */
  networkId: z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 32, 'networkId must be 32 bytes'),
});

export const helloAckSchema = z.object({
  ...helloSchema.shape,
  /** libp2p PeerId of the overlay (base58). */
  peerId: shortText,
  /** The validator's node key, Stellar strkey (G...). */
  nodeKey: shortText,
});

export const errorSchema = z.object({
  code: z.number().int().min(0).max(0xffff),
  /** Type of the frame this error answers, 0 when none. */
  refType: u32,
  message: z.string().max(4096),
});

export const peerDirectionSchema = z.enum(['inbound', 'outbound']);

export const peerInfoSchema = z.object({
  peerId: shortText,
  nodeKey: shortText,
  address: shortText,
  direction: peerDirectionSchema,
  transport: shortText,
  /** Last ping round trip in milliseconds, -1 when not measured yet. */
  rttMs: z.number(),
  bytesIn: count,
  bytesOut: count,
  preferred: z.boolean(),
});

export const peerDisconnectedSchema = z.object({
  peerId: shortText,
  nodeKey: shortText,
  reason: shortText,
});

/** Longest key of a metrics record (METRICS_REPLY, OVERLAY_METRICS_RESPONSE). */
export const MAX_METRIC_KEY_LENGTH = 256;

export const metricsSchema = z.record(z.string().max(MAX_METRIC_KEY_LENGTH), z.number());

/**
 * True when metricsSchema accepts `v` exactly as it is: a plain object (Object.prototype) whose own enumerable keys
 * are strings of at most MAX_METRIC_KEY_LENGTH characters, none `__proto__` (zod strips it), holding finite numbers,
 * with no symbol keys. A plain loop over the record, where zod's parse also copies it into a new object (~84 series
 * a GET_METRICS reply). False means only "ask zod": it may still accept a value in another form, and it names the
 * fault.
 */
export function isPlainMetricsRecord(v: unknown): v is Record<string, number> {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const keys = Object.keys(v); // own enumerable string keys, in the order msgpackr and JSON.stringify write them
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k.length > MAX_METRIC_KEY_LENGTH || k === '__proto__') return false;
    const x = (v as Record<string, unknown>)[k];
    if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  }
  return Object.getOwnPropertySymbols(v).length === 0;
}

export const statsSchema = z.object({
  uptimeSec: z.number().min(0),
  lastLedgerSeq: u32,
  peersInbound: count,
  peersOutbound: count,
  mempoolTxs: count,
  mempoolBytes: count,
  txsReceived: count,
  txsFlooded: count,
  scpReceived: count,
  scpBroadcast: count,
});

// V2's SET_PEER_CONFIG, exactly as stellar-core's C++ bridge writes it.
const peerAddress = z.string().min(1).max(512);
export const peerConfigWireSchema = z.object({
  known_peers: z.array(peerAddress).max(10_000),
  preferred_peers: z.array(peerAddress).max(10_000),
  listen_port: z.number().int().min(0).max(65535),
});

export type Hello = z.output<typeof helloSchema>;
export type HelloAck = z.output<typeof helloAckSchema>;
export type PeerInfo = z.output<typeof peerInfoSchema>;
export type PeerDisconnected = z.output<typeof peerDisconnectedSchema>;
export type OverlayStats = z.output<typeof statsSchema>;
export type PeerConfig = { knownPeers: string[]; preferredPeers: string[]; listenPort: number };
