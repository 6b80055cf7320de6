// The reference core: consensus, ledger and snapshot wired to an overlay through the OverlayClient. It stands in for
// stellar-core so the whole system runs without it. The consensus module decides what to do; this module does it
// (build, fetch and check tx sets, sign and broadcast envelopes, apply, persist, tell the overlay) and feeds the
// outcomes back.
import { createHash } from 'node:crypto';
import { StrKey } from '@stellar/stellar-base';
import type { Registry } from 'prom-client';
import { networkIdOf } from '#ipc-protocol';
import type { OverlayClient, TxVerdict } from '../client/overlay-client.ts';
import { quorumSetXdr, ScpSigner } from '../scp/envelopes.ts';
import { BoundedMap } from '../util/bounded-map.ts';
import { Consensus, type Action } from './consensus.ts';
import { CoreError } from './errors.ts';
import { Ledger, SKIP_REASONS, type CloseResult, type SkipReason } from './ledger.ts';
import type { Logger } from './log.ts';
import { createCoreMetrics, type CoreMetrics } from './metrics.ts';
import { ScpHistory } from './scp-history.ts';
import { parseEnvelope } from './scp-messages.ts';
import { decodeSnapshot, SnapshotEncoder, SnapshotStore } from './snapshot.ts';
import { closeTimeSane, decodeValue, encodeValue, nextCloseTime } from './stellar-value.ts';
import { SubmissionTracker, type LatencySummary } from './submissions.ts';
import { decodeTxSet, txSetHash, type DecodedTxSet } from './tx-set.ts';

/** Ours: tx sets held locally (built, validated, applied): a few candidates per ledger for a few ledgers. */
const MAX_TX_SETS = 32;
/** Ours: closes remembered for closedTps (the brief: last 10 ledgers). */
const TPS_WINDOW = 10;
/** Ours: a decided tx set that cannot be fetched is retried this often (it must be applied before anything else). */
const DECIDE_RETRY_MS = 500;
/** Ours: headers of recent ledgers served by GET /ledger/:seq (a few minutes of 1 s ledgers). */
const HEADER_HISTORY = 256;
/** Ours: slots a catch-up answer covers: the overlay's tx-set cache holds 12 ledgers, older sets are gone anyway. */
const CATCH_UP_SLOTS = 12;
/** Ours: commit counters of catch-up votes start here, far above any real round, and grow so each vote is new bytes. */
const CATCH_UP_COUNTER_BASE = 0x4000_0000;
/** A raw ed25519 public key as hex. */
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
/**
 * Ours: outcomes of recent txs served by GET /tx/:hash (~100 s at 200 tx/s, 20 s at 1,000); the oldest is forgotten
 * first. Tests ask about a few hundred; a larger table only took minutes to fill, which the soak read as growth.
 */
const TX_RESULTS = 20_000;

export interface CoreSettings {
  seed: string;
  validators: string[];
  threshold: number;
  ledgerMs: number;
  accounts: number;
  network: string;
  maxOps: number;
  maxBytes: number;
  dataDir?: string | undefined;
}

export interface ReferenceCoreOptions {
  settings: CoreSettings;
  overlay: OverlayClient;
  log: Logger;
  registry: Registry;
  now?: () => number;
}

export interface VerdictJson {
  status: TxVerdict['status'];
  reason: TxVerdict['reason'];
  hash: string;
}

export interface LedgerInfo {
  seq: number;
  hash: string;
  closeTime: number;
  /** Txs in the last ledger's set, and what became of them. */
  txCount: number;
  applied: number;
  skipped: number;
  /** Applied txs per second over the last 10 closes (null until two closes). */
  closedTps: number | null;
  /** The round of the slot being agreed. */
  round: number;
  totals: { applied: number; skipped: number; ledgers: number };
}

export interface ClosedLedger {
  seq: number;
  hash: string;
  closeTime: number;
  txSetHash: string;
  txCount: number;
  applied: number;
  skipped: number;
}

/** Milestones of one slot (ms timestamps); null when it did not happen here (e.g. decided before we voted). */
interface SlotTimeline {
  slot: number;
  /** We built and nominated (leader), or got the leader's nomination. */
  nominated: number | null;
  /** We voted (EXTERNALIZE). */
  voted: number | null;
  /** Threshold votes: decided. */
  decided: number | null;
}

export interface TxResult {
  ledger: number;
  applied: boolean;
}

export class ReferenceCore {
  readonly networkId: Uint8Array;
  readonly self: string;
  readonly ledger: Ledger;
  readonly consensus: Consensus;
  private readonly settings: CoreSettings;
  private readonly overlay: OverlayClient;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly signer: ScpSigner;
  private readonly qsetXdr: Buffer;
  private readonly qsetHash: Buffer;
  private readonly history: ScpHistory;
  private readonly submissions = new SubmissionTracker();
  private readonly snapshots: SnapshotStore | null;
  private readonly snapshotEncoder: SnapshotEncoder | null;
  /** Tx sets by hash (hex), oldest inserted first out. */
  private readonly txSets = new BoundedMap<string, Buffer>(MAX_TX_SETS);
  /** The last tx set decoded (validated, usually the one then decided): decoded once, applied from here. */
  private lastDecoded: { key: string; set: DecodedTxSet } | null = null;
  private readonly recentCloses: { at: number; applied: number }[] = [];
  private readonly headers = new BoundedMap<number, ClosedLedger>(HEADER_HISTORY);
  private readonly txResults = new BoundedMap<string, TxResult>(TX_RESULTS);
  private last: { txCount: number; applied: number; skipped: number } = { txCount: 0, applied: 0, skipped: 0 };
  private readonly totals = { applied: 0, skipped: 0, ledgers: 0 };
  readonly metrics: CoreMetrics;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** When we last answered each validator's catch-up request (one entry per validator at most). */
  private readonly helped: BoundedMap<string, number>;
  private catchUpVotes = 0;
  private readonly listeners: { event: string; fn: (...a: never[]) => void }[] = [];
  /** When the current slot's steps happened (ms, our clock), for the close log and the phase histogram. */
  private timeline: SlotTimeline = { slot: 0, nominated: null, voted: null, decided: null };

  constructor(opts: ReferenceCoreOptions) {
    const s = opts.settings;
    this.settings = s;
    this.overlay = opts.overlay;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.helped = new BoundedMap(Math.max(1, s.validators.length));
    this.networkId = networkIdOf(s.network);
    this.signer = new ScpSigner(s.seed, this.networkId);
    this.self = this.signer.publicKey;
    this.qsetXdr = quorumSetXdr(s.threshold, [...s.validators].sort());
    this.qsetHash = createHash('sha256').update(this.qsetXdr).digest();
    this.snapshots = s.dataDir === undefined ? null : new SnapshotStore(s.dataDir);
    this.ledger = this.loadLedger();
    this.snapshotEncoder = this.snapshots === null ? null : new SnapshotEncoder(this.ledger, this.networkId, s.accounts);
    this.consensus = new Consensus({
      self: this.self,
      validators: s.validators,
      threshold: s.threshold,
      periodMs: s.ledgerMs,
      lastClosed: this.ledger.header.seq,
      now: this.now(),
    });
    this.history = new ScpHistory(s.validators.length);
    this.metrics = createCoreMetrics(opts.registry, {
      ledgerSeq: () => this.ledger.header.seq,
      round: () => this.consensus.round,
      talliedSlots: () => this.consensus.sizes().talliedSlots,
      pendingNominations: () => this.consensus.sizes().pendingNominations,
      trackedSubmissions: () => this.submissions.tracked,
      trackedEvicted: () => this.submissions.evicted,
      recentTxResults: () => this.txResults.size,
      recentHeaders: () => this.headers.size,
      scpHistoryEnvelopes: () => this.history.size,
      cachedTxSets: () => this.txSets.size,
    });
  }

  /** Hands the quorum set and last ledger to the overlay, subscribes to it and starts the consensus clock. */
  start(): void {
    const h = this.ledger.header;
    this.overlay.cacheQuorumSet(this.qsetHash, this.qsetXdr);
    this.overlay.ledgerClosed(h.seq, h.hash);
    this.listen('scp', (env: Uint8Array) => this.onEnvelope(env));
    this.listen('scpStateRequest', (r: { requestId: bigint; ledgerSeq: number }) => {
      this.overlay.respondScpState(r.requestId, this.history.since(r.ledgerSeq));
    });
    this.listen('connected', () => this.requestState(this.consensus.slot));
    this.log.info('consensus started', {
      self: this.self,
      ledger: h.seq,
      validators: this.settings.validators.length,
      threshold: this.settings.threshold,
      ledgerMs: this.settings.ledgerMs,
    });
    this.requestState(this.consensus.slot);
    this.schedule();
  }

  /** Stops the clock and event handling and waits for the last snapshot to be written. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const { event, fn } of this.listeners) this.overlay.off(event as 'scp', fn as never);
    await this.snapshots?.flush().catch((err) => this.log.error('snapshot write failed', { err }));
  }

  // ── HTTP-facing API ─────────────────────────────────────────────────────────────────────────────────────────

  async submit(tx: Uint8Array): Promise<VerdictJson> {
    return this.recordVerdicts([await this.overlay.submitTx(tx)])[0]!;
  }

  async submitBatch(txs: Uint8Array[]): Promise<VerdictJson[]> {
    return this.recordVerdicts(await this.overlay.submitTxBatch(txs));
  }

  ledgerInfo(): LedgerInfo {
    const h = this.ledger.header;
    return {
      seq: h.seq,
      hash: h.hash.toString('hex'),
      closeTime: h.closeTime,
      ...this.last,
      closedTps: this.closedTps(),
      round: this.consensus.round,
      totals: { ...this.totals },
    };
  }

  /**
   * An account by strkey (G...) or raw ed25519 key as 64 hex digits (what the load generator asks by: no strkey
   * decoding, a CRC in JS, per lookup); null when there is none. Throws CoreError BAD_REQUEST for a malformed key.
   */
  account(id: string): { balance: string; seq: string } | null {
    let keyHex: string;
    if (HEX_KEY.test(id)) keyHex = id.toLowerCase();
    else if (StrKey.isValidEd25519PublicKey(id)) keyHex = StrKey.decodeEd25519PublicKey(id).toString('hex');
    else throw new CoreError('BAD_REQUEST', `not a Stellar public key: ${id.slice(0, 64)}`);
    const a = this.ledger.account(keyHex);
    return a === undefined ? null : { balance: a.balance.toString(), seq: a.seq.toString() };
  }

  /** A recently closed ledger (the last HEADER_HISTORY), or null. */
  closedLedger(seq: number): ClosedLedger | null {
    return this.headers.get(seq) ?? null;
  }

  /** What became of a recent tx (the last TX_RESULTS), by hash (hex), or null when not seen in a ledger. */
  txResult(hashHex: string): TxResult | null {
    return this.txResults.get(hashHex.toLowerCase()) ?? null;
  }

  /** Submission → externalization percentiles of the latest txs, or of those externalized since `sinceMs`. */
  latency(sinceMs?: number): LatencySummary & { tracked: number } {
    return { ...this.submissions.summary(sinceMs), tracked: this.submissions.tracked };
  }

  async overlayStats(): Promise<unknown> {
    return this.overlay.stats({ timeoutMs: 2000 });
  }

  // ── Consensus I/O ───────────────────────────────────────────────────────────────────────────────────────────

  private listen<A extends unknown[]>(event: string, fn: (...a: A) => void): void {
    const wrapped = (...a: A) => {
      if (!this.stopped) fn(...a);
    };
    this.overlay.on(event as 'scp', wrapped as never);
    this.listeners.push({ event, fn: wrapped as never });
  }

  private onEnvelope(bytes: Uint8Array): void {
    const msg = parseEnvelope(bytes);
    this.metrics.envelopes.labels(msg?.kind ?? 'other').inc();
    if (msg === null || !this.consensus.isValidator(msg.node)) return;
    if (msg.kind === 'catchUp') return this.helpCatchUp(msg.node, msg.slot);
    if (msg.kind === 'externalize' && msg.slot >= this.ledger.header.seq - 1) this.history.add(msg.slot, Buffer.from(bytes));
    this.run(this.consensus.receive(msg, this.now()));
  }

  /**
   * A validator is stuck at `slot`, which we closed: vote again for what we decided in its slot and the ones after
   * (ours only: it needs threshold validators doing the same). The votes are signed afresh with a new counter, so
   * they are new bytes that the overlays and gossipsub relay even though the original votes went by long ago.
   */
  private helpCatchUp(node: string, slot: number): void {
    const lcl = this.ledger.header.seq;
    if (node === this.self || slot > lcl) return;
    const now = this.now();
    const last = this.helped.get(node);
    if (last !== undefined && now - last < 2 * this.settings.ledgerMs) return;
    this.helped.set(node, now);
    let sent = 0;
    for (let s = Math.max(slot, lcl - CATCH_UP_SLOTS + 1); s <= lcl; s++) {
      const l = this.headers.get(s);
      if (l === undefined) continue;
      const value = encodeValue({ txSetHash: Buffer.from(l.txSetHash, 'hex'), closeTime: l.closeTime });
      this.broadcast(this.signer.externalize(BigInt(s), value, this.qsetHash, CATCH_UP_COUNTER_BASE + this.catchUpVotes++));
      sent++;
    }
    this.log.info('helping a validator catch up', { node, slot, lcl, votes: sent });
  }

  private run(actions: Action[]): void {
    if (this.stopped) return;
    const now = this.now();
    for (const a of actions) {
      if ('slot' in a && a.slot !== this.timeline.slot) this.timeline = { slot: a.slot, nominated: null, voted: null, decided: null };
      if (a.type === 'nominate' || a.type === 'validate') this.timeline.nominated ??= now;
      else if (a.type === 'externalize') this.timeline.voted ??= now;
      else if (a.type === 'decide') this.timeline.decided ??= now;
      switch (a.type) {
        case 'build':
          void this.build(a.slot, a.round);
          break;
        case 'nominate':
          this.broadcast(this.signer.nominate(BigInt(a.slot), [a.value], [], this.qsetHash));
          break;
        case 'validate':
          void this.validate(a.slot, a.round, a.value);
          break;
        case 'externalize': {
          const env = this.signer.externalize(BigInt(a.slot), a.value, this.qsetHash, a.round + 1);
          this.history.add(a.slot, env);
          this.broadcast(env);
          break;
        }
        case 'decide':
          void this.decide(a.slot, a.value);
          break;
        case 'roundChange':
          this.metrics.roundChanges.labels(a.reason).inc();
          this.log.info('round change', { slot: a.slot, round: a.round, reason: a.reason, leader: this.consensus.leader(a.slot, a.round) });
          break;
        case 'behind':
          this.log.info('network is ahead', { slot: a.slot, networkSlot: a.networkSlot });
          this.requestState(a.slot);
          break;
      }
    }
    this.metrics.consensusDropped.set(this.consensus.dropped);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const at = this.consensus.nextWakeAt();
    if (!Number.isFinite(at)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run(this.consensus.tick(this.now()));
    }, Math.max(0, at - this.now()));
  }

  private broadcast(envelope: Buffer): void {
    try {
      this.overlay.broadcastScp(envelope);
    } catch (err) {
      this.log.warn('cannot broadcast SCP envelope', { err });
    }
  }

  /**
   * Asks the network for the votes of `fromSlot` on, two ways: REQUEST_SCP_STATE (peers' cores answer with the
   * envelopes they kept; but an overlay that already saw those envelopes drops them as duplicates), and a catch-up
   * request (a vote-less NOMINATE, a fresh nonce each time) that validators ahead answer with freshly signed votes.
   */
  private requestState(fromSlot: number): void {
    const nonce = Buffer.alloc(8);
    nonce.writeBigUInt64BE(BigInt(this.now()));
    try {
      this.overlay.requestScpState(fromSlot);
      this.overlay.broadcastScp(this.signer.nominate(BigInt(fromSlot), [], [nonce], this.qsetHash));
    } catch (err) {
      this.log.warn('cannot ask for SCP state', { err });
    }
  }

  private async build(slot: number, round: number): Promise<void> {
    const h = this.ledger.header;
    try {
      const built = await this.overlay.buildTxSet(
        { ledgerSeq: slot, previousLedgerHash: h.hash, maxOps: this.settings.maxOps, maxBytes: this.settings.maxBytes },
        { timeoutMs: this.settings.ledgerMs },
      );
      this.keepTxSet(Buffer.from(built.hash), Buffer.from(built.txSet));
      const value = encodeValue({ txSetHash: Buffer.from(built.hash), closeTime: nextCloseTime(h.closeTime, this.now()) });
      this.log.debug('nominating', { slot, round, txSet: built.hash });
      this.run(this.consensus.proposed(slot, round, value));
    } catch (err) {
      this.log.warn('cannot build a tx set', { slot, round, err });
    }
  }

  private async validate(slot: number, round: number, value: Buffer): Promise<void> {
    const ok = await this.checkValue(slot, value).catch((err) => {
      this.log.warn('nominated value not usable', { slot, round, err });
      return false;
    });
    this.metrics.validations.labels(ok ? 'ok' : 'rejected').inc();
    this.run(this.consensus.validated(slot, round, value, ok));
  }

  private async checkValue(slot: number, value: Buffer): Promise<boolean> {
    const v = decodeValue(value);
    const h = this.ledger.header;
    if (v === null || !closeTimeSane(v.closeTime, h.closeTime, Math.floor(this.now() / 1000))) return false;
    const txSet = await this.txSet(v.txSetHash, this.settings.ledgerMs * 2);
    const prev = this.decoded(v.txSetHash, txSet).previousLedgerHash;
    if (slot === h.seq + 1 && !prev.equals(h.hash)) {
      this.log.warn('nominated tx set builds on another ledger', { slot, theirs: prev, ours: h.hash });
      return false;
    }
    return true;
  }

  /** Applies a decided slot (retrying the tx-set fetch until it succeeds or we stop), then moves consensus on. */
  private async decide(slot: number, value: Buffer): Promise<void> {
    const v = decodeValue(value);
    if (v === null) {
      this.log.error('decided value is not a StellarValue: cannot close this ledger', { slot });
      return;
    }
    let txSet: Buffer | null = null;
    while (txSet === null && !this.stopped) {
      try {
        txSet = await this.txSet(v.txSetHash, Math.max(DECIDE_RETRY_MS, this.settings.ledgerMs * 2));
      } catch (err) {
        this.log.warn('decided tx set not available yet', { slot, txSet: v.txSetHash, err });
        await new Promise((r) => setTimeout(r, DECIDE_RETRY_MS));
      }
    }
    if (txSet === null || this.stopped) return;
    const decoded = this.decoded(v.txSetHash, txSet);
    const r = this.ledger.close(decoded, v.txSetHash, v.closeTime);
    this.afterClose(r, v.txSetHash, decoded.txHashes, this.phases(slot));
    this.run(this.consensus.closed(slot, this.now()));
  }

  /**
   * Where the slot's time went, in ms from its scheduled start: until the nomination (leader's build, or its
   * envelope reaching us), our vote (tx-set fetch and checks), the decision (others' votes), the close (tx-set
   * fetch if we lacked it, apply). Observed in the phase histogram.
   */
  private phases(slot: number): Record<'nominated' | 'voted' | 'decided' | 'closed', number | null> {
    const start = this.consensus.slotStartAt;
    const t = this.timeline.slot === slot ? this.timeline : { nominated: null, voted: null, decided: null };
    const since = (at: number | null) => (at === null ? null : at - start);
    const out = { nominated: since(t.nominated), voted: since(t.voted), decided: since(t.decided), closed: since(this.now()) };
    let prev = 0;
    for (const k of ['nominated', 'voted', 'decided', 'closed'] as const) {
      const at = out[k];
      if (at === null) continue;
      this.metrics.slotPhase.labels(k).observe(Math.max(0, at - prev) / 1000);
      prev = Math.max(prev, at);
    }
    return out;
  }

  private afterClose(r: CloseResult, setHash: Buffer, txHashes: Buffer[], phasesMs: Record<string, number | null>): void {
    const at = this.now();
    // The overlay first: its mempool drops the applied txs and moves on before the next slot's build.
    try {
      this.overlay.txSetExternalized(setHash, txHashes);
      this.overlay.ledgerClosed(r.header.seq, r.header.hash);
    } catch (err) {
      this.log.warn('cannot tell the overlay about the closed ledger', { err });
    }
    const skipped = SKIP_REASONS.reduce((n, k: SkipReason) => n + r.skipped[k], 0);
    this.last = { txCount: r.txCount, applied: r.applied, skipped };
    this.totals.applied += r.applied;
    this.totals.skipped += skipped;
    this.totals.ledgers++;
    this.recentCloses.push({ at, applied: r.applied });
    if (this.recentCloses.length > TPS_WINDOW) this.recentCloses.shift();
    const h = r.header;
    this.headers.set(h.seq, {
      seq: h.seq,
      hash: h.hash.toString('hex'),
      closeTime: h.closeTime,
      txSetHash: h.txSetHash.toString('hex'),
      txCount: r.txCount,
      applied: r.applied,
      skipped,
    });
    for (const key of r.appliedHashes) this.txResults.set(key, { ledger: h.seq, applied: true });
    for (const { hash: key } of r.skippedTxs) {
      // A tx that applied earlier and came back in a later set (an overlay re-included it) keeps its applied result.
      if (this.txResults.get(key)?.applied) this.metrics.txsReincluded.inc();
      else this.txResults.set(key, { ledger: h.seq, applied: false });
    }
    this.metrics.ledgersClosed.inc();
    this.metrics.txsApplied.inc(r.applied);
    for (const k of SKIP_REASONS) if (r.skipped[k] > 0) this.metrics.txsSkipped.labels(k).inc(r.skipped[k]);
    for (const ms of this.submissions.closed(r.appliedHashes, at)) this.metrics.latency.observe(ms / 1000);
    this.log.info('ledger closed', {
      seq: r.header.seq,
      hash: r.header.hash,
      txs: r.txCount,
      applied: r.applied,
      skipped,
      round: this.consensus.round,
      phasesMs,
    });
    if (this.snapshots && this.snapshotEncoder) {
      this.snapshots
        .save(this.snapshotEncoder.encode(this.ledger, r.changedAccounts))
        .catch((err) => this.log.error('snapshot write failed', { err }));
    }
  }

  /** A tx set by hash: ours, else the overlay's (its cache or its peers), checked against the hash. */
  private async txSet(hash: Buffer, timeoutMs: number): Promise<Buffer> {
    const key = hash.toString('hex');
    const mine = this.txSets.get(key);
    if (mine !== undefined) return mine;
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await this.overlay.fetchTxSet(hash, { timeoutMs }));
    } catch (err) {
      this.metrics.txSetFetches.labels('failed').inc();
      throw err;
    }
    if (!txSetHash(bytes).equals(hash)) {
      this.metrics.txSetFetches.labels('wrong_hash').inc();
      throw new CoreError('TX_SET_INVALID', `the overlay returned a tx set whose hash is not ${key}`);
    }
    this.metrics.txSetFetches.labels('ok').inc();
    this.keepTxSet(hash, bytes);
    return bytes;
  }

  /** A tx set decoded, from the last one decoded when it is the same (throws when `bytes` is not a set). */
  private decoded(hash: Buffer, bytes: Buffer): DecodedTxSet {
    const key = hash.toString('hex');
    if (this.lastDecoded?.key !== key) this.lastDecoded = { key, set: decodeTxSet(bytes) };
    return this.lastDecoded.set;
  }

  private keepTxSet(hash: Buffer, bytes: Buffer): void {
    this.txSets.set(hash.toString('hex'), bytes);
  }

  private closedTps(): number | null {
    const c = this.recentCloses;
    if (c.length < 2) return null;
    const span = (c[c.length - 1]!.at - c[0]!.at) / 1000;
    const txs = c.slice(1).reduce((n, x) => n + x.applied, 0);
    return span > 0 ? txs / span : null;
  }

  private recordVerdicts(verdicts: TxVerdict[]): VerdictJson[] {
    const at = this.now();
    return verdicts.map((v) => {
      const hash = Buffer.from(v.hash).toString('hex');
      this.metrics.submissions.labels(v.status).inc();
      if (v.status === 'ACCEPTED') this.submissions.track(hash, at);
      return { status: v.status, reason: v.reason, hash };
    });
  }

  private loadLedger(): Ledger {
    const s = this.settings;
    const bytes = this.snapshots?.read() ?? null;
    if (bytes === null) return Ledger.genesis(s.accounts, this.networkId);
    const ledger = decodeSnapshot(bytes, this.networkId, s.accounts);
    this.log.info('ledger loaded from snapshot', { seq: ledger.header.seq, path: this.snapshots!.path });
    return ledger;
  }
}

