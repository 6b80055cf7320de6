// Wire constants. Sources: stellar-core Overlay V2 (src/overlay/IPC.h, docs/rust-overlay/ipc.md) for the framing;
// our own choices are marked as such.

/** `[type u32 LE][payload length u32 LE]` (Overlay V2 framing). */
export const HEADER_SIZE = 8;

/** Largest payload a frame may carry (Overlay V2: 16 MiB). A lower limit may be configured per decoder. */
export const MAX_PAYLOAD = 16 * 1024 * 1024;

/** Version of our extension protocol, announced in HELLO. Ours: bump only for incompatible changes. */
export const PROTOCOL_VERSION = 1;

/** Size of every hash on the wire (SHA-256). */
export const HASH_SIZE = 32;

/**
 * Frame types are u32 on the wire but every catalogue id is below this (1..199; checked when the codecs load):
 * per-type tables indexed by frame type (codecs, a receiver's counters) are dense arrays of this length.
 */
export const TYPE_TABLE_SIZE = 256;

/**
 * Most elements a transaction list may declare: SUBMIT_TX_BATCH and TOP_TXS_RESPONSE/TOP_TXS_REPLY (txs),
 * TX_VERDICT_BATCH (one verdict per tx of a batch) and TX_SET_EXTERNALIZED (tx hashes). Source: Overlay V2's
 * mempool holds 100,000 transactions (overlay `mempool.max_txs` default), so a list can still carry a whole mempool.
 * A larger count is MALFORMED_PAYLOAD on decode and refused on encode.
 */
export const MAX_TXS_PER_LIST = 100_000;

/**
 * Most envelopes one SCP_STATE_RESPONSE may declare. Ours: an SCP state is the latest envelopes of each validator
 * for the last few slots, thousands at most on today's networks; this leaves two orders of magnitude of room.
 */
export const MAX_SCP_ENVELOPES_PER_LIST = 100_000;

/**
 * Extension features a peer may offer in HELLO; the session uses the intersection. Ours. A new message joins the
 * protocol by joining a (new) feature, so older peers never receive it.
 */
export const Feature = {
  /** SUBMIT_TX_CHECKED → TX_VERDICT. */
  TX_VERDICTS: 'tx-verdicts',
  /** SUBMIT_TX_BATCH → TX_VERDICT_BATCH. */
  TX_BATCH: 'tx-batch',
  /** Correlated queries: GET_TOP_TXS_REQ, FETCH_TX_SET, GET_METRICS, GET_PEERS. */
  QUERIES: 'queries',
  /** CACHE_QUORUM_SET (core hands over quorum sets to serve) and FETCH_QUORUM_SET → QUORUM_SET_REPLY. */
  QUORUM_SETS: 'quorum-sets',
  /** BUILD_TX_SET → TX_SET_BUILT. */
  BUILD_TX_SET: 'build-tx-set',
  /** Unsolicited PEER_CONNECTED / PEER_DISCONNECTED events. */
  PEER_EVENTS: 'peer-events',
  /** GET_STATS → STATS_REPLY. */
  STATS: 'stats',
} as const;

export type FeatureName = (typeof Feature)[keyof typeof Feature];

export const ALL_FEATURES: readonly FeatureName[] = Object.values(Feature);
