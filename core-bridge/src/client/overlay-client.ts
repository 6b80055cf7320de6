// The typed core-side client of an overlay: requests with u64 ids and timeouts, fire-and-forget messages queued
// (bounded) while the overlay is away or the socket congested, overlay messages as typed events, and reconnection
// with the overlay's state restored after it restarts (peer config, recent tx sets, quorum sets, last ledger, and
// the txs core submitted that are not yet externalized).
//
// Events can also be consumed as async iterators with node:events `on`, e.g.
//   for await (const [envelope] of on(client, 'scp', { signal })) handle(envelope);
// (`on` buffers events the loop has not taken yet: use it for low-rate streams or keep the loop fast.)
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import {
  ALL_FEATURES,
  HASH_SIZE,
  HEADER_SIZE,
  MAX_PAYLOAD,
  ProtocolError,
  decodeAs,
  encodeFrame,
  entryByName,
  txReasonName,
  txStatusName,
  type FeatureName,
  type MessageOf,
  type OverlayStats,
  type PeerConfig,
  type PeerDisconnected,
  type PeerInfo,
  type ToCoreMessage,
  type ToCoreName,
  type ToOverlayMessage,
  type ToOverlayName,
  type TxReasonName,
  type TxStatusName,
} from '#ipc-protocol';
import { Backoff } from './backoff.ts';
import { CoreConnection, CONNECT_ATTEMPTS, CONNECT_INTERVAL_MS } from './connection.ts';
import { BackpressureError, OverlayClientError } from './errors.ts';
import { createClientMetrics, type ClientMetrics } from './metrics.ts';
import { Outbox, type OutboxItem } from './outbox.ts';
import { PendingRequests, type PendingRequest } from './pending-requests.ts';
import { RetainedByHash } from './retained.ts';

// ── Constants ───────────────────────────────────────────────────────────────────────────────────────────────────
/** Ours (issue 5): defaults of the options. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_RECONNECT = { minMs: 100, maxMs: 5000 } as const;
export const DEFAULT_MAX_RETAINED_TXS = 200_000;
/** Ours (issue 5): requests awaiting a reply at once. */
export const DEFAULT_MAX_PENDING_REQUESTS = 100_000;
/** Ours (issue 5): tx sets of the last 12 ledgers are re-cached in a restarted overlay (SCP may still ask for them). */
const TX_SET_RETAIN_LEDGERS = 12;
/** Ours: bounds of the tx sets kept for that (a few candidate sets per ledger; a tx set is at most a few MiB). */
const MAX_RETAINED_TX_SETS = 64;
const MAX_RETAINED_TX_SET_BYTES = 64 * 1024 * 1024;
/** Ours: a validator hands over its own quorum set and a few others; they change rarely. */
const MAX_RETAINED_QUORUM_SETS = 64;
const MAX_RETAINED_QUORUM_SET_BYTES = 4 * 1024 * 1024;
/** Ours: above this many bytes waiting in the socket, frames queue in the outbox until it drains. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Ours: re-submission after a restart, in batches well under MAX_PAYLOAD, a few batches in flight at a time. */
const RESUBMIT_BATCH_TXS = 1000;
const RESUBMIT_BATCH_BYTES = Math.min(4 * 1024 * 1024, MAX_PAYLOAD / 2);
const RESUBMIT_WINDOW = 4;
/** Ours: without tx-batch, single SUBMIT_TX_CHECKED re-submissions in flight at a time. */
const RESUBMIT_SINGLE_WINDOW = 256;

// ── Public types ────────────────────────────────────────────────────────────────────────────────────────────────
/** The logging the client does, structurally compatible with the overlay's Logger; silent by default. */
export interface ClientLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface OverlayClientOptions {
  socketPath: string;
  networkPassphrase: string;
  software?: string;
  /** Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * Bound of the outgoing queue (frames waiting while disconnected or while the socket holds 1 MiB unsent) plus
   * requests written and kept to re-send after a reconnect. Default 64 MiB.
   */
  maxQueueBytes?: number;
  /** Exponential backoff with jitter between reconnection attempts, default 100 ms .. 5 s; false: never reconnect. */
  reconnect?: { minMs?: number; maxMs?: number } | false;
  /** Submitted-but-not-externalized txs kept for re-submission; default 200,000 (oldest dropped first). */
  maxRetainedTxs?: number;
  /** Requests awaiting a reply at once; default 100,000. */
  maxPendingRequests?: number;
  /** Features offered in HELLO; default all this client knows. */
  features?: readonly FeatureName[];
  /** Where the client's metrics go (names are fixed: one client per registry). Default: a registry of its own. */
  registry?: Registry;
  log?: ClientLogger;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface TxVerdict {
  status: TxStatusName;
  reason: TxReasonName;
  /** SHA-256 of the TransactionEnvelope XDR; zeros when the overlay could not read the bytes at all. */
  hash: Uint8Array;
}

export type Stats = OverlayStats;
export type { PeerConfig, PeerDisconnected, PeerInfo };

export interface OverlayClientEvents {
  scp: [envelope: Uint8Array];
  txSetAvailable: [{ hash: Uint8Array; txSet: Uint8Array }];
  quorumSetAvailable: [quorumSet: Uint8Array];
  scpStateRequest: [{ requestId: bigint; ledgerSeq: number }];
  peerConnected: [PeerInfo];
  peerDisconnected: [PeerDisconnected];
  /** After each reconnection, once the overlay's state is restored (connect() itself stands for the first one). */
  connected: [];
  disconnected: [err: Error | undefined];
  /** Emitted only when someone listens (an unheard 'error' would crash the process); always logged. */
  error: [Error];
}

// ── Requests and their replies ──────────────────────────────────────────────────────────────────────────────────
const REPLY_OF = {
  SUBMIT_TX_CHECKED: 'TX_VERDICT',
  SUBMIT_TX_BATCH: 'TX_VERDICT_BATCH',
  GET_TOP_TXS_REQ: 'TOP_TXS_REPLY',
  BUILD_TX_SET: 'TX_SET_BUILT',
  FETCH_TX_SET: 'TX_SET_REPLY',
  FETCH_QUORUM_SET: 'QUORUM_SET_REPLY',
  GET_METRICS: 'METRICS_REPLY',
  GET_PEERS: 'PEERS_REPLY',
  GET_STATS: 'STATS_REPLY',
} as const satisfies Partial<Record<ToOverlayName, ToCoreName>>;

type RequestName = keyof typeof REPLY_OF;
type ReplyOf<K extends RequestName> = MessageOf<(typeof REPLY_OF)[K]>;
type RequestFields<K extends RequestName> = Omit<MessageOf<K>, 'type' | 'requestId'>;
type WireVerdict = { status: number; reason: number; hash: Uint8Array };

/** How a fire-and-forget frame behaves across a disconnect. */
type Durability =
  /** Queued while away and sent after reconnecting. */
  | 'queued'
  /** Remembered by the client and re-sent as part of restoring state: never queued while away. */
  | 'restored'
  /** Meaningful only to the connection it answers: dropped while away. */
  | 'session';

const silent: ClientLogger = { debug() {}, info() {}, warn() {}, error() {} };
const copy = (b: Uint8Array): Buffer => Buffer.from(b);

export class OverlayClient extends EventEmitter<OverlayClientEvents> {
  private readonly opts: OverlayClientOptions;
  private readonly log: ClientLogger;
  private readonly requestTimeoutMs: number;
  private readonly maxQueueBytes: number;
  private readonly backoff: Backoff | null;
  private readonly meters: ClientMetrics;
  private readonly pending: PendingRequests;
  private readonly outbox = new Outbox();
  /** Outbox items of queued requests, so a request that leaves the table early is never sent. */
  private readonly queuedRequests = new Map<bigint, OutboxItem>();
  /** Bytes of requests written on the current connection (kept to re-send after a reconnect). */
  private inFlightBytes = 0;
  private readonly retainedTxs: RetainedByHash;
  private readonly retainedTxSets: RetainedByHash;
  private readonly retainedQuorumSets: RetainedByHash;
  private peerConfig: PeerConfig | null = null;
  private lastLedger: { seq: number; hash: Buffer } | null = null;

  private conn: CoreConnection | null = null;
  /** True once the current connection's state is restored: frames may be written directly. */
  private ready = false;
  private features: ReadonlySet<FeatureName> = new Set();
  private identity: { peerId: string; nodeKey: string; software: string } | null = null;
  private closing = false;
  private readonly closeController = new AbortController();
  private reconnectTimer: NodeJS.Timeout | null = null;

  private constructor(opts: OverlayClientOptions) {
    super();
    this.opts = opts;
    this.log = opts.log ?? silent;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.backoff =
      opts.reconnect === false
        ? null
        : new Backoff({
            minMs: opts.reconnect?.minMs ?? DEFAULT_RECONNECT.minMs,
            maxMs: opts.reconnect?.maxMs ?? DEFAULT_RECONNECT.maxMs,
          });
    this.meters = createClientMetrics(opts.registry ?? new Registry(), {
      pendingRequests: () => this.pending.size,
      outboxBytes: () => this.outbox.bytes,
      outboxFrames: () => this.outbox.length,
      inFlightBytes: () => this.inFlightBytes,
      retainedTxs: () => this.retainedTxs.size,
      retainedTxBytes: () => this.retainedTxs.bytes,
      retainedTxSets: () => this.retainedTxSets.size,
      retainedTxSetBytes: () => this.retainedTxSets.bytes,
      retainedQuorumSets: () => this.retainedQuorumSets.size,
      connected: () => this.connected,
    });
    const evicted = (kind: string) => () => this.meters.evicted.labels(kind).inc();
    this.retainedTxs = new RetainedByHash({ maxEntries: opts.maxRetainedTxs ?? DEFAULT_MAX_RETAINED_TXS, onEvict: evicted('tx') });
    this.retainedTxSets = new RetainedByHash({
      maxEntries: MAX_RETAINED_TX_SETS,
      maxBytes: MAX_RETAINED_TX_SET_BYTES,
      onEvict: evicted('tx_set'),
    });
    this.retainedQuorumSets = new RetainedByHash({
      maxEntries: MAX_RETAINED_QUORUM_SETS,
      maxBytes: MAX_RETAINED_QUORUM_SET_BYTES,
      onEvict: evicted('quorum_set'),
    });
    this.pending = new PendingRequests(opts.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS, (req, outcome) =>
      this.onRequestRemoved(req, outcome),
    );
  }

  /**
   * Connects (stellar-core's V2 rule: 10 attempts 100 ms apart), negotiates extensions and resolves once ready.
   * Rejects if the overlay cannot be reached, refuses HELLO (network or version mismatch), or `signal` aborts.
   */
  static async connect(opts: OverlayClientOptions & { signal?: AbortSignal }): Promise<OverlayClient> {
    const conn = await CoreConnection.open({
      ...connectOptions(opts),
      attempts: CONNECT_ATTEMPTS,
      intervalMs: CONNECT_INTERVAL_MS,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    // Built only now, so a failed connect registers no metrics on the caller's registry.
    const client = new OverlayClient(opts);
    await client.attach(conn);
    return client;
  }

  /** True while connected with the overlay's state restored. */
  get connected(): boolean {
    return this.ready && this.conn !== null && this.conn.isOpen;
  }

  /** Features negotiated with the overlay (the last connection's while away). */
  get negotiatedFeatures(): ReadonlySet<FeatureName> {
    return this.features;
  }

  /** The overlay's identity from its HELLO_ACK (the last connection's while away). */
  get overlayIdentity(): { peerId: string; nodeKey: string; software: string } | null {
    return this.identity;
  }

  // ── Requests ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** SUBMIT_TX_CHECKED. An accepted (or duplicate) tx is kept and re-submitted if the overlay restarts, until externalized. */
  async submitTx(tx: Uint8Array, opts?: RequestOptions): Promise<TxVerdict> {
    const { pending, reply } = this.request('SUBMIT_TX_CHECKED', { tx }, opts);
    const verdict = toVerdict((await reply).verdict);
    this.retain([decodeAs('SUBMIT_TX_CHECKED', payloadOf(pending.frame)).tx], [verdict]);
    return verdict;
  }

  /** SUBMIT_TX_BATCH (one SUBMIT_TX_CHECKED per tx when the overlay lacks tx-batch); verdicts in the order of `txs`. */
  async submitTxBatch(txs: readonly Uint8Array[], opts?: RequestOptions): Promise<TxVerdict[]> {
    if (txs.length === 0) return [];
    if (!this.features.has('tx-batch') && this.features.has('tx-verdicts')) {
      return Promise.all(txs.map((tx) => this.submitTx(tx, opts)));
    }
    const { pending, reply } = this.request('SUBMIT_TX_BATCH', { txs: [...txs] }, opts);
    const verdicts = this.batchVerdicts((await reply).verdicts, txs.length);
    this.retain(decodeAs('SUBMIT_TX_BATCH', payloadOf(pending.frame)).txs, verdicts);
    return verdicts;
  }

  /** GET_TOP_TXS_REQ: up to `count` txs of the overlay's mempool, best first. */
  async topTxs(count: number, opts?: RequestOptions): Promise<Uint8Array[]> {
    const r = await this.request('GET_TOP_TXS_REQ', { count }, opts).reply;
    return r.txs.map(copy);
  }

  /** BUILD_TX_SET; the built set is kept and re-cached in a restarted overlay while its ledger is recent. */
  async buildTxSet(
    req: { ledgerSeq: number; previousLedgerHash: Uint8Array; maxOps: number; maxBytes: number },
    opts?: RequestOptions,
  ): Promise<{ hash: Uint8Array; txSet: Uint8Array }> {
    const r = await this.request('BUILD_TX_SET', req, opts).reply;
    const built = { hash: copy(r.hash), txSet: copy(r.txSet) };
    this.retainedTxSets.add(built.hash, built.txSet, req.ledgerSeq);
    return built;
  }

  /** FETCH_TX_SET: from the overlay's cache, else from peers. */
  async fetchTxSet(hash: Uint8Array, opts?: RequestOptions): Promise<Uint8Array> {
    return copy((await this.request('FETCH_TX_SET', { hash }, opts).reply).txSet);
  }

  /** FETCH_QUORUM_SET: from the overlay's store, else from peers. */
  async fetchQuorumSet(hash: Uint8Array, opts?: RequestOptions): Promise<Uint8Array> {
    return copy((await this.request('FETCH_QUORUM_SET', { hash }, opts).reply).quorumSet);
  }

  async metrics(opts?: RequestOptions): Promise<Record<string, number>> {
    return (await this.request('GET_METRICS', {}, opts).reply).metrics;
  }

  async peers(opts?: RequestOptions): Promise<PeerInfo[]> {
    return (await this.request('GET_PEERS', {}, opts).reply).peers;
  }

  async stats(opts?: RequestOptions): Promise<Stats> {
    return (await this.request('GET_STATS', {}, opts).reply).stats;
  }

  // ── Fire-and-forget ───────────────────────────────────────────────────────────────────────────────────────────
  // These throw (synchronously) BackpressureError when the queue is full, ProtocolError for a message that cannot be
  // encoded, and OverlayClientError NOT_NEGOTIATED / CLIENT_CLOSED / CONNECTION_CLOSED.

  broadcastScp(envelope: Uint8Array): void {
    this.send({ type: 'BROADCAST_SCP', envelope }, 'queued');
  }

  /** CACHE_TX_SET; the set is kept (last 12 ledgers, bounded) and re-cached in a restarted overlay. */
  cacheTxSet(hash: Uint8Array, txSet: Uint8Array, ledgerSeq?: number): void {
    this.send({ type: 'CACHE_TX_SET', hash, txSet }, 'restored');
    this.retainedTxSets.add(hash, txSet, ledgerSeq ?? (this.lastLedger?.seq ?? 0) + 1);
  }

  /** CACHE_QUORUM_SET; kept (bounded) and re-cached in a restarted overlay. */
  cacheQuorumSet(hash: Uint8Array, quorumSet: Uint8Array): void {
    this.send({ type: 'CACHE_QUORUM_SET', hash, quorumSet }, 'restored');
    this.retainedQuorumSets.add(hash, quorumSet);
  }

  /** TX_SET_EXTERNALIZED; the named txs are no longer re-submitted after a restart. */
  txSetExternalized(txSetHash: Uint8Array, txHashes: readonly Uint8Array[]): void {
    const joined = Buffer.concat(txHashes.map((h) => {
      if (h.length !== HASH_SIZE) throw new ProtocolError('MALFORMED_PAYLOAD', `tx hash must be ${HASH_SIZE} bytes, got ${h.length}`);
      return h;
    }));
    this.send({ type: 'TX_SET_EXTERNALIZED', txSetHash, txHashes: joined }, 'queued');
    for (const h of txHashes) this.retainedTxs.delete(h);
  }

  /** LEDGER_CLOSED; also ages out the tx sets kept for restoring. */
  ledgerClosed(ledgerSeq: number, ledgerHash: Uint8Array): void {
    this.send({ type: 'LEDGER_CLOSED', ledgerSeq, ledgerHash }, 'restored');
    this.lastLedger = { seq: ledgerSeq, hash: copy(ledgerHash) };
    this.retainedTxSets.forgetBefore(ledgerSeq - TX_SET_RETAIN_LEDGERS);
  }

  /** SET_PEER_CONFIG; the latest is re-sent to a restarted overlay. */
  setPeerConfig(cfg: PeerConfig): void {
    this.send({ type: 'SET_PEER_CONFIG', config: cfg }, 'restored');
    this.peerConfig = { knownPeers: [...cfg.knownPeers], preferredPeers: [...cfg.preferredPeers], listenPort: cfg.listenPort };
  }

  /** REQUEST_SCP_STATE: asks peers for their SCP state from `ledgerSeq` on (answers arrive as `scp` events). */
  requestScpState(ledgerSeq: number): void {
    this.send({ type: 'REQUEST_SCP_STATE', ledgerSeq }, 'queued');
  }

  /** SCP_STATE_RESPONSE to a `scpStateRequest`; dropped if the connection that asked is gone. */
  respondScpState(requestId: bigint, envelopes: readonly Uint8Array[]): void {
    this.send({ type: 'SCP_STATE_RESPONSE', requestId, envelopes: [...envelopes] }, 'session');
  }

  /** Stops reconnecting, fails pending requests (CLIENT_CLOSED), writes what is queued if connected, and closes. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.closeController.abort(new OverlayClientError('CLIENT_CLOSED', 'client closed'));
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.pending.failAll(() => new OverlayClientError('CLIENT_CLOSED', 'client closed'), 'closed');
    const conn = this.conn;
    if (conn?.isOpen && this.ready) {
      for (let item = this.outbox.shift(); item !== undefined; item = this.outbox.shift()) conn.sendFrame(item.frame!);
    }
    this.outbox.clear();
    if (conn?.isOpen) {
      const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
      conn.close();
      await closed;
    }
    this.conn = null;
    this.ready = false;
  }

  // ── Sending ───────────────────────────────────────────────────────────────────────────────────────────────────

  private request<K extends RequestName>(
    type: K,
    fields: RequestFields<K>,
    opts: RequestOptions = {},
    direct?: CoreConnection,
  ): { pending: PendingRequest; reply: Promise<ReplyOf<K>> } {
    this.assertUsable(type);
    const { pending, reply } = this.pending.add({
      type,
      expect: REPLY_OF[type],
      encode: (requestId) => encodeFrame({ type, requestId, ...fields } as unknown as ToOverlayMessage),
      timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs,
      signal: opts.signal,
      // Restoration's own requests belong to one connection: the next restoration starts afresh.
      resendAfterReconnect: direct === undefined,
    });
    if (direct !== undefined) {
      this.write(direct, pending);
    } else if (this.canWriteNow()) {
      this.write(this.conn!, pending);
    } else if (this.queuedBytes + pending.frame.length > this.maxQueueBytes) {
      this.meters.backpressure.labels(type).inc();
      this.pending.fail(pending.id, this.backpressure(type, pending.frame.length), 'backpressure');
    } else {
      const item: OutboxItem = { frame: pending.frame, request: pending, keepAcrossReconnect: true };
      this.queuedRequests.set(pending.id, item);
      this.outbox.push(item);
    }
    return { pending, reply: reply as Promise<ReplyOf<K>> };
  }

  private send(msg: ToOverlayMessage, durability: Durability): void {
    this.assertUsable(msg.type);
    if (this.canWriteNow()) return this.conn!.send(msg);
    if (this.conn === null && durability !== 'queued') {
      // Away: restoration re-sends what is 'restored'; a 'session' answer has nobody left to read it.
      if (durability === 'session') this.meters.dropped.labels('session_gone').inc();
      return;
    }
    const frame = encodeFrame(msg);
    if (this.queuedBytes + frame.length > this.maxQueueBytes) {
      this.meters.backpressure.labels(msg.type).inc();
      throw this.backpressure(msg.type, frame.length);
    }
    this.outbox.push({ frame, request: null, keepAcrossReconnect: durability === 'queued' });
  }

  private write(conn: CoreConnection, req: PendingRequest): void {
    conn.sendFrame(req.frame);
    req.state = 'sent';
    this.inFlightBytes += req.frame.length;
  }

  private get queuedBytes(): number {
    return this.outbox.bytes + this.inFlightBytes;
  }

  private canWriteNow(): boolean {
    return this.ready && this.conn !== null && this.conn.isOpen && this.outbox.length === 0 && this.conn.backlogBytes < HIGH_WATER_BYTES;
  }

  /** Writes queued frames while the socket takes them. */
  private pump(): void {
    const conn = this.conn;
    if (!this.ready || conn === null || !conn.isOpen) return;
    while (conn.backlogBytes < HIGH_WATER_BYTES) {
      const item = this.outbox.shift();
      if (item === undefined) return;
      if (item.request === null) {
        conn.sendFrame(item.frame!);
      } else {
        this.queuedRequests.delete(item.request.id);
        this.write(conn, item.request);
      }
    }
  }

  private assertUsable(type: ToOverlayName): void {
    if (this.closing) throw new OverlayClientError('CLIENT_CLOSED', `${type}: client closed`, { requestType: type });
    if (this.backoff === null && (this.conn === null || !this.conn.isOpen)) {
      throw new OverlayClientError('CONNECTION_CLOSED', `${type}: disconnected from the overlay (reconnect disabled)`, { requestType: type });
    }
    const feature = entryByName(type).feature;
    if (feature !== null && !this.features.has(feature)) {
      throw new OverlayClientError('NOT_NEGOTIATED', `${type} needs feature "${feature}", which the overlay did not negotiate`, {
        requestType: type,
      });
    }
  }

  private backpressure(type: string, bytes: number): BackpressureError {
    return new BackpressureError(
      `${type}: outgoing queue full (${this.queuedBytes} + ${bytes} bytes > ${this.maxQueueBytes}); ${this.connected ? 'the overlay is not reading' : 'the overlay is away'}`,
      type,
    );
  }

  private onRequestRemoved(req: PendingRequest, outcome: string): void {
    this.meters.requests.labels(req.type, outcome).inc();
    if (req.state === 'sent') {
      this.inFlightBytes -= req.frame.length;
    } else {
      const item = this.queuedRequests.get(req.id);
      if (item !== undefined) {
        this.outbox.cancel(item);
        this.queuedRequests.delete(req.id);
      }
    }
  }

  // ── Receiving ─────────────────────────────────────────────────────────────────────────────────────────────────

  private onMessage(msg: ToCoreMessage): void {
    switch (msg.type) {
      case 'SCP_RECEIVED':
        return this.deliver('scp', copy(msg.envelope));
      case 'TX_SET_AVAILABLE':
        return this.deliver('txSetAvailable', { hash: copy(msg.hash), txSet: copy(msg.txSet) });
      case 'QUORUM_SET_AVAILABLE':
        return this.deliver('quorumSetAvailable', copy(msg.quorumSet));
      case 'PEER_REQUESTS_SCP_STATE':
        return this.deliver('scpStateRequest', { requestId: msg.requestId, ledgerSeq: msg.ledgerSeq });
      case 'PEER_CONNECTED':
        return this.deliver('peerConnected', msg.peer);
      case 'PEER_DISCONNECTED':
        return this.deliver('peerDisconnected', msg.peer);
      case 'ERROR': {
        const req = msg.requestId === 0n ? undefined : this.pending.get(msg.requestId);
        if (req !== undefined) {
          this.pending.fail(req.id, OverlayClientError.fromWire(msg.error.code, msg.error.message, req.type), 'error');
        } else {
          this.report(OverlayClientError.fromWire(msg.error.code, msg.error.message, `frame type ${msg.error.refType}`));
        }
        return;
      }
      case 'HELLO_ACK':
      case 'TOP_TXS_RESPONSE':
      case 'OVERLAY_METRICS_RESPONSE':
        // Answers to V2 requests or a second HELLO, none of which this client sends.
        this.log.warn('unexpected message from the overlay', { type: msg.type });
        return;
      default:
        if (!this.pending.answer(msg.requestId, msg)) this.meters.lateReplies.inc();
    }
  }

  private onBadFrame(bad: { type: number; requestId: bigint; error: ProtocolError }): void {
    this.meters.badFrames.inc();
    this.log.warn('undecodable frame from the overlay', { type: bad.type, code: bad.error.code, detail: bad.error.message });
    const req = bad.requestId === 0n ? undefined : this.pending.get(bad.requestId);
    if (req !== undefined) {
      this.pending.fail(req.id, new OverlayClientError(bad.error.code, `${req.type}: undecodable reply: ${bad.error.message}`, { requestType: req.type, cause: bad.error }), 'error');
    }
  }

  /** Emits to the application; a throwing listener is reported, never allowed to break the connection. */
  private deliver<K extends keyof OverlayClientEvents>(event: K, ...args: OverlayClientEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: OverlayClientEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.report(new Error(`'${String(event)}' listener threw: ${(err as Error)?.message ?? err}`, { cause: err }));
    }
  }

  private report(err: Error): void {
    this.log.error('overlay client error', { err: err.message, code: (err as { code?: unknown }).code });
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  // ── Connection life ───────────────────────────────────────────────────────────────────────────────────────────

  /** Resolves once the socket can take more (or the connection is gone); true while `conn` is still ours. */
  private async drained(conn: CoreConnection): Promise<boolean> {
    while (this.conn === conn && conn.isOpen && conn.backlogBytes >= HIGH_WATER_BYTES) {
      await new Promise<void>((resolve) => {
        const done = () => {
          conn.off('drain', done);
          conn.off('close', done);
          resolve();
        };
        conn.on('drain', done);
        conn.on('close', done);
      });
    }
    return this.conn === conn && conn.isOpen;
  }

  /** Adopts a fresh connection: restores the overlay's state, then releases queued frames. */
  private async attach(conn: CoreConnection): Promise<void> {
    this.conn = conn;
    this.ready = false;
    this.features = conn.features;
    this.identity = { peerId: conn.ack.peerId, nodeKey: conn.ack.nodeKey, software: conn.ack.software };
    conn.on('message', (m) => this.onMessage(m));
    conn.on('badFrame', (b) => this.onBadFrame(b));
    conn.on('drain', () => this.pump());
    conn.once('close', (err) => this.onClose(conn, err));
    try {
      await this.restore(conn);
    } catch (err) {
      // A bug in restoring must not leave the client stuck: report it and carry on with what was restored.
      this.report(err as Error);
    }
    if (this.conn !== conn || !conn.isOpen) return;
    this.ready = true;
    this.log.info('connected to the overlay', { peerId: conn.ack.peerId, features: [...conn.features] });
    this.pump();
    this.deliver('connected');
  }

  /**
   * Re-sends what a restarted overlay lost: peer config, last ledger, quorum sets and recent tx sets, then the txs
   * accepted and not externalized. Writes are paced by the socket; requests made meanwhile wait in the outbox.
   */
  private async restore(conn: CoreConnection): Promise<void> {
    const live = () => this.conn === conn && conn.isOpen;
    if (this.peerConfig) conn.send({ type: 'SET_PEER_CONFIG', config: this.peerConfig });
    if (this.lastLedger) conn.send({ type: 'LEDGER_CLOSED', ledgerSeq: this.lastLedger.seq, ledgerHash: this.lastLedger.hash });
    if (conn.features.has('quorum-sets')) {
      for (const q of [...this.retainedQuorumSets.values()]) {
        if (!(await this.drained(conn))) return;
        conn.send({ type: 'CACHE_QUORUM_SET', hash: q.hash, quorumSet: q.bytes });
      }
    }
    for (const s of [...this.retainedTxSets.values()]) {
      if (!(await this.drained(conn))) return;
      conn.send({ type: 'CACHE_TX_SET', hash: s.hash, txSet: s.bytes });
    }
    if (live() && this.retainedTxs.size > 0) await this.resubmit(conn);
  }

  /** Re-submits every retained tx, oldest first, a window of requests at a time; INVALID ones are forgotten. */
  private async resubmit(conn: CoreConnection): Promise<void> {
    const batched = conn.features.has('tx-batch');
    if (!batched && !conn.features.has('tx-verdicts')) return;
    const txs = [...this.retainedTxs.values()];
    this.log.info('re-submitting txs to the overlay', { count: txs.length, batched });
    const window: Promise<boolean>[] = [];
    const limit = batched ? RESUBMIT_WINDOW : RESUBMIT_SINGLE_WINDOW;
    for (let i = 0; i < txs.length; ) {
      let end = i + 1;
      if (batched) {
        let bytes = txs[i]!.bytes.length;
        while (end < txs.length && end - i < RESUBMIT_BATCH_TXS && bytes + txs[end]!.bytes.length <= RESUBMIT_BATCH_BYTES) {
          bytes += txs[end]!.bytes.length;
          end++;
        }
      }
      const chunk = txs.slice(i, end);
      i = end;
      if (this.conn !== conn || !conn.isOpen) return;
      window.push(this.resubmitChunk(conn, chunk.map((t) => t.bytes), batched));
      if (window.length >= limit && !(await window.shift()!)) break;
    }
    await Promise.all(window);
  }

  /** One re-submission request; false when re-submission should stop (the overlay refuses, or the link is gone). */
  private async resubmitChunk(conn: CoreConnection, txs: Uint8Array[], batched: boolean): Promise<boolean> {
    try {
      const verdicts = batched
        ? this.batchVerdicts((await this.request('SUBMIT_TX_BATCH', { txs }, {}, conn).reply).verdicts, txs.length)
        : [toVerdict((await this.request('SUBMIT_TX_CHECKED', { tx: txs[0]! }, {}, conn).reply).verdict)];
      for (const v of verdicts) {
        this.meters.resubmitted.labels(v.status).inc();
        // Rejected now (e.g. its sequence number was used meanwhile): it can never be accepted again.
        if (v.status === 'INVALID') this.retainedTxs.delete(v.hash);
      }
      return true;
    } catch (err) {
      this.meters.resubmitted.labels('error').inc(txs.length);
      this.log.warn('re-submission stopped', { err: (err as Error).message, code: (err as { code?: unknown }).code });
      return false;
    }
  }

  private onClose(conn: CoreConnection, err: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.ready = false;
    // Requests written on the lost connection go first when the next one is ready, unless they belonged to it.
    const again: OutboxItem[] = [];
    const lost: bigint[] = [];
    for (const req of this.pending.values()) {
      if (req.state !== 'sent') continue;
      req.state = 'queued';
      this.inFlightBytes -= req.frame.length;
      if (!req.resendAfterReconnect) {
        lost.push(req.id);
        continue;
      }
      const item: OutboxItem = { frame: req.frame, request: req, keepAcrossReconnect: true };
      this.queuedRequests.set(req.id, item);
      again.push(item);
    }
    const dropped = this.outbox.dropWhere((i) => !i.keepAcrossReconnect);
    if (dropped > 0) this.meters.dropped.labels('disconnect').inc(dropped);
    this.outbox.unshiftAll(again);
    for (const id of lost) this.pending.fail(id, new OverlayClientError('CONNECTION_CLOSED', 'the overlay connection closed'), 'closed');
    this.log.warn('disconnected from the overlay', { err: err?.message, pending: this.pending.size, queuedBytes: this.queuedBytes });
    this.deliver('disconnected', err);
    if (this.closing) return;
    if (this.backoff === null) {
      this.pending.failAll(() => new OverlayClientError('CONNECTION_CLOSED', 'the overlay connection closed (reconnect disabled)'), 'closed');
      this.outbox.clear();
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.backoff!.next();
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    this.reconnectTimer = null;
    if (this.closing) return;
    let conn: CoreConnection;
    try {
      conn = await CoreConnection.open({ ...connectOptions(this.opts), attempts: 1, signal: this.closeController.signal });
    } catch (err) {
      if (this.closing) return;
      this.meters.reconnects.labels('failed').inc();
      // Not there yet is expected while the overlay restarts; a refused HELLO is worth an 'error'.
      const refused = err instanceof ProtocolError && err.code !== 'CONNECTION_CLOSED' && err.code !== 'TIMEOUT';
      if (refused) this.report(err);
      else this.log.debug('reconnect attempt failed', { err: (err as Error).message, attempt: this.backoff!.attempts });
      this.scheduleReconnect();
      return;
    }
    if (this.closing) {
      conn.destroy();
      return;
    }
    this.meters.reconnects.labels('connected').inc();
    this.backoff!.reset();
    await this.attach(conn);
  }

  // ── Verdicts ──────────────────────────────────────────────────────────────────────────────────────────────────

  private batchVerdicts(wire: WireVerdict[], expected: number): TxVerdict[] {
    if (wire.length !== expected) {
      throw new OverlayClientError('MALFORMED_PAYLOAD', `TX_VERDICT_BATCH has ${wire.length} verdicts for ${expected} txs`, {
        requestType: 'SUBMIT_TX_BATCH',
      });
    }
    return wire.map(toVerdict);
  }

  /** Keeps accepted (and duplicate: the overlay has it) txs for re-submission; `txs` are views of our own frame. */
  private retain(txs: readonly Uint8Array[], verdicts: readonly TxVerdict[]): void {
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i]!;
      if ((v.status === 'ACCEPTED' || v.status === 'DUPLICATE') && !isZero(v.hash)) this.retainedTxs.add(v.hash, txs[i]!);
    }
  }
}

/** An all-zero hash: the overlay named no tx (a verdict without one). */
function isZero(hash: Uint8Array): boolean {
  for (let i = 0; i < hash.length; i++) if (hash[i] !== 0) return false;
  return true;
}

function toVerdict(w: WireVerdict): TxVerdict {
  const status = txStatusName(w.status);
  const reason = txReasonName(w.reason);
  if (status === undefined || reason === undefined) {
    throw new OverlayClientError('MALFORMED_PAYLOAD', `unknown verdict code (status ${w.status}, reason ${w.reason})`);
  }
  return { status, reason, hash: copy(w.hash) };
}

/** The payload of an encoded frame (after its header). */
function payloadOf(frame: Buffer): Buffer {
  return frame.subarray(HEADER_SIZE);
}

function connectOptions(opts: OverlayClientOptions) {
  return {
    socketPath: opts.socketPath,
    networkPassphrase: opts.networkPassphrase,
    software: opts.software ?? 'core-bridge',
    features: opts.features ?? ALL_FEATURES,
  };
}
