// The message catalogue: for every frame type, its id, its direction, the extension feature it belongs to (V2
// messages belong to none) and its payload layout. Ids 1..99 travel core→overlay, 100..199 overlay→core (V2 rule);
// our extensions use 64..99 and 164..199 so V2 can grow below them.
import * as f from './fields.ts';
import { Feature, MAX_SCP_ENVELOPES_PER_LIST, MAX_TXS_PER_LIST, type FeatureName } from './constants.ts';
import {
  errorSchema,
  helloAckSchema,
  helloSchema,
  isPlainMetricsRecord,
  metricsSchema,
  peerConfigWireSchema,
  peerDisconnectedSchema,
  peerInfoSchema,
  statsSchema,
  type PeerConfig,
} from './schemas.ts';
import { z } from 'zod';

export type Direction = 'toOverlay' | 'toCore';

interface Def<F extends f.Fields, D extends Direction> {
  readonly id: number;
  readonly direction: D;
  /** Extension feature that must be negotiated; null for the V2 dialect. */
  readonly feature: FeatureName | null;
  /** True for the extension's HELLO/HELLO_ACK/ERROR, usable in any extension session. */
  readonly base?: boolean;
  /** True when the payload starts with a u64 request id. */
  readonly correlated: boolean;
  readonly layout: f.StructField<f.StructOf<F>>;
}

function def<F extends f.Fields, D extends Direction>(
  id: number,
  direction: D,
  feature: FeatureName | null,
  fields: F,
  base = false,
): Def<F, D> {
  return { id, direction, feature, base, correlated: Object.keys(fields)[0] === 'requestId', layout: f.struct(fields) };
}

const peerConfig = f.json<typeof peerConfigWireSchema, PeerConfig>(
  peerConfigWireSchema,
  (w) => ({ knownPeers: w.known_peers, preferredPeers: w.preferred_peers, listenPort: w.listen_port }),
  (v) => ({ known_peers: v.knownPeers, preferred_peers: v.preferredPeers, listen_port: v.listenPort }),
);

// V2 metrics JSON: a flat object of numbers (the V2 overlay never fixed its keys).
const metricsJson = f.json(
  metricsSchema,
  (w) => w,
  (v: Record<string, number>) => v,
  isPlainMetricsRecord,
);

const verdict = f.struct({ status: f.u8, reason: f.u8, hash: f.hash });
const rid = f.u64;
// Every list has its maximum element count (constants.ts): checked with the remaining bytes before allocating.
const txList = f.list(f.sized, MAX_TXS_PER_LIST);
const envelopeList = f.list(f.sized, MAX_SCP_ENVELOPES_PER_LIST);
const verdictList = f.list(verdict, MAX_TXS_PER_LIST);
const txHashes = f.hashList(MAX_TXS_PER_LIST);

export const catalogue = {
  // ── V2 dialect, core → overlay ─────────────────────────────────────────────────────────────────────────────
  BROADCAST_SCP: def(1, 'toOverlay', null, { envelope: f.rest }),
  GET_TOP_TXS: def(2, 'toOverlay', null, { count: f.u32 }),
  REQUEST_SCP_STATE: def(3, 'toOverlay', null, { ledgerSeq: f.u32 }),
  LEDGER_CLOSED: def(4, 'toOverlay', null, { ledgerSeq: f.u32, ledgerHash: f.hash }),
  TX_SET_EXTERNALIZED: def(5, 'toOverlay', null, { txSetHash: f.hash, txHashes }),
  SCP_STATE_RESPONSE: def(6, 'toOverlay', null, { requestId: rid, envelopes: envelopeList }),
  SHUTDOWN: def(7, 'toOverlay', null, {}),
  SET_PEER_CONFIG: def(8, 'toOverlay', null, { config: peerConfig }),
  SUBMIT_TX: def(10, 'toOverlay', null, { fee: f.i64, numOps: f.u32, tx: f.rest }),
  REQUEST_TX_SET: def(11, 'toOverlay', null, { hash: f.hash }),
  CACHE_TX_SET: def(12, 'toOverlay', null, { hash: f.hash, txSet: f.rest }),
  REQUEST_OVERLAY_METRICS: def(13, 'toOverlay', null, {}),

  // ── V2 dialect, overlay → core ─────────────────────────────────────────────────────────────────────────────
  SCP_RECEIVED: def(100, 'toCore', null, { envelope: f.rest }),
  TOP_TXS_RESPONSE: def(101, 'toCore', null, { txs: txList }),
  PEER_REQUESTS_SCP_STATE: def(102, 'toCore', null, { requestId: rid, ledgerSeq: f.u32 }),
  TX_SET_AVAILABLE: def(103, 'toCore', null, { hash: f.hash, txSet: f.rest }),
  QUORUM_SET_AVAILABLE: def(104, 'toCore', null, { quorumSet: f.rest }),
  OVERLAY_METRICS_RESPONSE: def(105, 'toCore', null, { metrics: metricsJson }),

  // ── Extensions, core → overlay ─────────────────────────────────────────────────────────────────────────────
  HELLO: def(64, 'toOverlay', null, { hello: f.msgpack(helloSchema) }, true),
  SUBMIT_TX_CHECKED: def(65, 'toOverlay', Feature.TX_VERDICTS, { requestId: rid, tx: f.rest }),
  SUBMIT_TX_BATCH: def(66, 'toOverlay', Feature.TX_BATCH, { requestId: rid, txs: txList }),
  GET_TOP_TXS_REQ: def(67, 'toOverlay', Feature.QUERIES, { requestId: rid, count: f.u32 }),
  BUILD_TX_SET: def(68, 'toOverlay', Feature.BUILD_TX_SET, {
    requestId: rid,
    ledgerSeq: f.u32,
    previousLedgerHash: f.hash,
    maxOps: f.u32,
    maxBytes: f.u32,
  }),
  FETCH_TX_SET: def(69, 'toOverlay', Feature.QUERIES, { requestId: rid, hash: f.hash }),
  FETCH_QUORUM_SET: def(70, 'toOverlay', Feature.QUORUM_SETS, { requestId: rid, hash: f.hash }),
  GET_METRICS: def(71, 'toOverlay', Feature.QUERIES, { requestId: rid }),
  GET_PEERS: def(72, 'toOverlay', Feature.QUERIES, { requestId: rid }),
  GET_STATS: def(73, 'toOverlay', Feature.STATS, { requestId: rid }),
  CACHE_QUORUM_SET: def(74, 'toOverlay', Feature.QUORUM_SETS, { hash: f.hash, quorumSet: f.rest }),

  // ── Extensions, overlay → core ─────────────────────────────────────────────────────────────────────────────
  HELLO_ACK: def(164, 'toCore', null, { hello: f.msgpack(helloAckSchema) }, true),
  ERROR: def(165, 'toCore', null, { requestId: rid, error: f.msgpack(errorSchema) }, true),
  TX_VERDICT: def(166, 'toCore', Feature.TX_VERDICTS, { requestId: rid, verdict }),
  TX_VERDICT_BATCH: def(167, 'toCore', Feature.TX_BATCH, { requestId: rid, verdicts: verdictList }),
  TOP_TXS_REPLY: def(168, 'toCore', Feature.QUERIES, { requestId: rid, txs: txList }),
  TX_SET_BUILT: def(169, 'toCore', Feature.BUILD_TX_SET, { requestId: rid, hash: f.hash, txSet: f.rest }),
  TX_SET_REPLY: def(170, 'toCore', Feature.QUERIES, { requestId: rid, hash: f.hash, txSet: f.rest }),
  QUORUM_SET_REPLY: def(171, 'toCore', Feature.QUORUM_SETS, { requestId: rid, hash: f.hash, quorumSet: f.rest }),
  METRICS_REPLY: def(172, 'toCore', Feature.QUERIES, { requestId: rid, metrics: f.msgpack(metricsSchema, isPlainMetricsRecord) }),
  PEERS_REPLY: def(173, 'toCore', Feature.QUERIES, { requestId: rid, peers: f.msgpack(z.array(peerInfoSchema)) }),
  STATS_REPLY: def(174, 'toCore', Feature.STATS, { requestId: rid, stats: f.msgpack(statsSchema) }),
  PEER_CONNECTED: def(175, 'toCore', Feature.PEER_EVENTS, { peer: f.msgpack(peerInfoSchema) }),
  PEER_DISCONNECTED: def(176, 'toCore', Feature.PEER_EVENTS, { peer: f.msgpack(peerDisconnectedSchema) }),
} as const;

type Catalogue = typeof catalogue;
export type MessageName = keyof Catalogue;
type LayoutOf<K extends MessageName> = Catalogue[K]['layout'] extends f.Field<infer T> ? T : never;

/** A decoded message: `{ type: 'NAME', ...fields }`. */
export type MessageOf<K extends MessageName> = { type: K } & LayoutOf<K>;
export type Message = { [K in MessageName]: MessageOf<K> }[MessageName];

/** Messages core sends and the overlay receives, and the reverse. */
export type ToOverlayName = { [K in MessageName]: Catalogue[K]['direction'] extends 'toOverlay' ? K : never }[MessageName];
export type ToCoreName = Exclude<MessageName, ToOverlayName>;
export type ToOverlayMessage = Extract<Message, { type: ToOverlayName }>;
export type ToCoreMessage = Extract<Message, { type: ToCoreName }>;

export interface CatalogueEntry {
  readonly name: MessageName;
  readonly id: number;
  readonly direction: Direction;
  readonly feature: FeatureName | null;
  readonly base: boolean;
  readonly correlated: boolean;
  readonly layout: f.Field<any>;
}

export const MESSAGE_NAMES = Object.keys(catalogue) as MessageName[];

const byId = new Map<number, CatalogueEntry>();
for (const name of MESSAGE_NAMES) {
  const d = catalogue[name];
  if (byId.has(d.id)) throw new Error(`duplicate message id ${d.id}`);
  byId.set(d.id, {
    name,
    id: d.id,
    direction: d.direction,
    feature: d.feature,
    base: d.base ?? false,
    correlated: d.correlated,
    layout: d.layout,
  });
}

export function entryById(id: number): CatalogueEntry | undefined {
  return byId.get(id);
}

export function entryByName(name: MessageName): CatalogueEntry {
  return byId.get(catalogue[name].id)!;
}

/** Frame type ids by name, for switch statements and native/ parity. */
export const MsgType = Object.fromEntries(MESSAGE_NAMES.map((n) => [n, catalogue[n].id])) as {
  readonly [K in MessageName]: Catalogue[K]['id'];
};

/** True for messages of the V2 dialect, which any core may use without HELLO. */
export function isV2(entry: CatalogueEntry): boolean {
  return entry.feature === null && !entry.base;
}
