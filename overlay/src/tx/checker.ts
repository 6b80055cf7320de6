// Transaction intake on the main thread: size check, then batches to a piscina pool of verify workers
// (tx/verify-worker.ts) that decode, check the fee and verify signatures. A batch leaves when `batchSize` checks are
// queued or at the end of the current tick, whichever first: one ArrayBuffer the txs are copied into as they are
// queued, cloned to a worker, which writes the results into its copy and moves it back (tx/batch.ts). The main
// thread never decodes XDR. Pending checks are bounded: past the bound a check answers RATE_LIMITED at once, so a
// flood of submissions costs a hash and a counter, not memory.
import { hash as sha } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TxReason, txReasonName, type TxReasonName } from '#ipc-protocol';
import {
  resolveSignatureBackend,
  type SignatureBackend,
  type SignatureBackendChoice,
} from '../crypto/ed25519.ts';
import { TallyCounter, codeSlots } from '../metrics/tallies.ts';
import { WORKER_RESOURCE_LIMITS } from '../runtime-flags.ts';
import type { Logger } from '../util/log.ts';
import { Batch, BatchWriter } from './batch.ts';
import type { TxInfo } from './types.ts';
import type { VerifyWorkerData } from './verify-worker.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: at most 64 full batches of checks waiting or in the workers. */
export const MAX_PENDING_BATCHES = 64;
/** Ours: a batch's first allocation holds at least this many txs and bytes of them (else as the batch before it). */
const MIN_BATCH_TXS = 16;
const MIN_BATCH_BYTES = 4096;
const WORKER_FILE = new URL('./verify-worker.ts', import.meta.url).href;
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** 100 µs (one verify) to ~3 s. */
const VERIFY_SECONDS_BUCKETS = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
/** Values of overlay_tx_signature_backend's label: each backend, and none when checks are off. */
const BACKEND_LABELS: readonly (SignatureBackend | 'none')[] = ['sodium', 'node', 'none'];
/** overlay_tx_checks_total's series by TxReason code: NONE is "ok", the others their names in lower case. */
const CHECK_OUTCOMES: readonly ({ outcome: string } | null)[] = Array.from(
  { length: codeSlots(TxReason) },
  (_, code) => {
    const name = txReasonName(code);
    if (name === undefined) return null;
    return { outcome: code === TxReason.NONE ? 'ok' : name.toLowerCase() };
  },
);

export type CheckOutcome = { ok: true; tx: TxInfo } | { ok: false; hash: Uint8Array; reason: TxReasonName };

export interface TxCheckerOptions {
  networkId: Uint8Array;
  verifySignatures: boolean;
  /** tx.signature_backend; default "auto" (sodium when its addon loads, else node:crypto). */
  signatureBackend?: SignatureBackendChoice;
  /** Minimum fee per operation (stroops). */
  baseFee: number;
  maxTxBytes: number;
  /** Checks per worker message (tx.verify_batch). */
  batchSize: number;
  /** Worker threads; 0: one per core less the main thread, at least one. */
  threads: number;
  registry?: Registry;
  log?: Logger;
}

/**
 * The outcomes of one checkMany call, answered (one promise) when the last is in. Its checks may be refused at once
 * or span several worker batches.
 */
class OutcomeList {
  readonly outcomes: CheckOutcome[];
  private left: number;
  private readonly resolve: (outcomes: CheckOutcome[]) => void;

  constructor(count: number, resolve: (outcomes: CheckOutcome[]) => void) {
    this.outcomes = new Array<CheckOutcome>(count);
    this.left = count;
    this.resolve = resolve;
  }

  set(at: number, o: CheckOutcome): void {
    this.outcomes[at] = o;
    if (--this.left === 0) this.resolve(this.outcomes);
  }
}

/** Checks on their way to a worker: tx i answers slot slots[i] of lists[i]. */
interface PendingBatch {
  txs: BatchWriter;
  lists: OutcomeList[];
  slots: number[];
}

export class TxChecker {
  /** Checks queued here or in the workers beyond which `check` answers RATE_LIMITED. */
  readonly maxPending: number;
  readonly threads: number;
  /** The ed25519 backend of the workers; null when signatures are not checked. */
  readonly signatureBackend: SignatureBackend | null;
  private readonly opts: TxCheckerOptions;
  private readonly pool: Piscina;
  private readonly metrics;
  private batch: PendingBatch = this.emptyBatch();
  private flushTimer: NodeJS.Immediate | undefined;
  private pending = 0;
  private closed = false;

  constructor(opts: TxCheckerOptions) {
    for (const k of ['baseFee', 'maxTxBytes', 'batchSize', 'threads'] as const) {
      const min = k === 'threads' ? 0 : 1;
      if (!Number.isInteger(opts[k]) || opts[k] < min) throw new RangeError(`${k} must be an integer ≥ ${min}`);
    }
    this.opts = opts;
    this.maxPending = MAX_PENDING_BATCHES * opts.batchSize;
    this.threads = opts.threads === 0 ? Math.max(1, availableParallelism() - 1) : opts.threads;
    // Resolved here, before any worker starts: "sodium" without its addon fails the overlay's start-up.
    const resolved = opts.verifySignatures ? resolveSignatureBackend(opts.signatureBackend ?? 'auto') : null;
    this.signatureBackend = resolved?.backend ?? null;
    if (resolved?.fallbackReason !== undefined) {
      opts.log?.warn('sodium-native cannot be loaded; verifying signatures with node:crypto', { reason: resolved.fallbackReason });
    }
    if (resolved !== null) opts.log?.info('signature verifier', { backend: resolved.backend, threads: this.threads });
    const workerData: VerifyWorkerData = {
      networkId: opts.networkId,
      verifySignatures: opts.verifySignatures,
      signatureBackend: resolved?.backend ?? 'node',
      baseFee: opts.baseFee,
      maxTxBytes: opts.maxTxBytes,
    };
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: this.threads,
      maxThreads: this.threads,
      // Keep the workers (and their key caches) for the life of the checker; idle workers do not hold the process.
      idleTimeout: Number.POSITIVE_INFINITY,
      // Each worker is its own V8 isolate: uncapped, its young generation alone grows to 2 × 64 MB here.
      resourceLimits: WORKER_RESOURCE_LIMITS,
      workerData,
    });
    this.pool.on('error', (err: unknown) => this.opts.log?.error('verify worker failed', { err }));
    const registers = opts.registry ? [opts.registry] : [];
    const checker = this; // the queue gauge reads it at scrape time
    this.metrics = {
      // Counted per tx as plain numbers, folded in when read (metrics/tallies.ts); series by TxReason code.
      checks: new TallyCounter({
        name: 'overlay_tx_checks_total',
        help: 'Transaction checks, by outcome (ok or the reason of rejection)',
        labelNames: ['outcome'],
        series: CHECK_OUTCOMES,
        registers,
      }),
      // Read when scraped, not set per check.
      queue: new Gauge({
        name: 'overlay_tx_check_queue',
        help: 'Transaction checks waiting or in the verify workers',
        registers,
        collect() {
          this.set(checker.pending);
        },
      }),
      batchSize: new Histogram({
        name: 'overlay_tx_check_batch_size',
        help: 'Transactions per verify-worker batch',
        buckets: BATCH_SIZE_BUCKETS,
        registers,
      }),
      verifySeconds: new Histogram({
        name: 'overlay_tx_verify_seconds',
        help: 'Time a verify worker spent on one batch',
        buckets: VERIFY_SECONDS_BUCKETS,
        registers,
      }),
      keyEvictions: new Counter({
        name: 'overlay_tx_key_cache_evictions_total',
        help: 'Account keys dropped from the verify workers’ KeyObject caches because they were full',
        registers,
      }),
      backend: new Gauge({
        name: 'overlay_tx_signature_backend',
        help: 'The ed25519 verifier of tx signature checks: 1 on the one in use (none: checks off)',
        labelNames: ['backend'] as const,
        registers,
      }),
    };
    for (const b of BACKEND_LABELS) this.metrics.backend.labels(b).set(b === (this.signatureBackend ?? 'none') ? 1 : 0);
  }

  /** Checks one TransactionEnvelope. `bytes` may be a view into a reused buffer: it is copied before returning. */
  async check(bytes: Uint8Array): Promise<CheckOutcome> {
    const [o] = await this.checkMany([bytes]);
    return o!;
  }

  /**
   * Checks each envelope; outcomes in the order given, one promise for the list (not one per tx). The envelopes may
   * be views into a reused buffer: they are copied before returning.
   */
  checkMany(list: readonly Uint8Array[]): Promise<CheckOutcome[]> {
    if (list.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const into = new OutcomeList(list.length, resolve);
      for (let i = 0; i < list.length; i++) this.enqueue(list[i]!, into, i);
    });
  }

  /** Stops the workers. Checks not yet answered answer RATE_LIMITED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const unsent = this.takeBatch();
    this.answerAll(unsent, 'RATE_LIMITED');
    await this.pool.destroy();
  }

  private enqueue(bytes: Uint8Array, into: OutcomeList, at: number): void {
    if (bytes.length > this.opts.maxTxBytes) return into.set(at, this.refuse(bytes, 'TOO_LARGE'));
    if (this.closed || this.pending >= this.maxPending) return into.set(at, this.refuse(bytes, 'RATE_LIMITED'));
    const batch = this.batch;
    batch.txs.add(bytes); // copied: the caller may reuse its buffer at once
    batch.lists.push(into);
    batch.slots.push(at);
    this.pending++;
    if (batch.txs.count >= this.opts.batchSize) this.flush();
    else this.flushTimer ??= setImmediate(this.flushLater);
  }

  private readonly flushLater = (): void => this.flush();

  private flush(): void {
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.takeBatch();
    const n = batch.txs.count;
    if (n === 0) return;
    this.metrics.batchSize.observe(n);
    // Cloned, not moved: the batch stays here to answer from if the worker fails; the worker moves its copy back.
    this.pool.run(batch.txs.finish()).then(
      (result: ArrayBuffer) => this.answer(batch, new Batch(result)),
      (err: unknown) => {
        if (!this.closed) this.opts.log?.error('verify batch failed', { err, size: n });
        this.answerAll(batch, 'RATE_LIMITED');
      },
    );
  }

  private takeBatch(): PendingBatch {
    const b = this.batch;
    this.batch = this.emptyBatch();
    return b;
  }

  /** Sized as the batch before it (at least MIN_BATCH_TXS of MIN_BATCH_BYTES): growing it is a copy. */
  private emptyBatch(): PendingBatch {
    // `batch` is unset while the field initialiser runs.
    const last = (this.batch as PendingBatch | undefined)?.txs;
    const txs = new BatchWriter(Math.max(MIN_BATCH_TXS, last?.count ?? 0), Math.max(MIN_BATCH_BYTES, last?.bytes ?? 0));
    return { txs, lists: [], slots: [] };
  }

  private answer(batch: PendingBatch, r: Batch): void {
    this.metrics.verifySeconds.observe(r.seconds);
    if (r.keyCacheEvictions > 0) this.metrics.keyEvictions.inc(r.keyCacheEvictions);
    const n = r.count;
    // Settled before the outcomes go out, as before: a list answered below may check more at once.
    this.settled(n);
    for (let i = 0; i < n; i++) {
      const code = r.reasons[i] ?? 0;
      // Views of the returned batch, as are the bytes: it lives as long as the verdicts and TxInfos that keep them.
      const hash = r.hash(i);
      const into = batch.lists[i]!;
      const at = batch.slots[i]!;
      if (code !== TxReason.NONE) {
        // The worker writes only TxReason codes; an unknown one would be a bug there, not a valid transaction.
        const reason = txReasonName(code) ?? 'MALFORMED_XDR';
        this.metrics.checks.inc(TxReason[reason]);
        into.set(at, { ok: false, hash, reason });
        continue;
      }
      this.metrics.checks.inc(TxReason.NONE);
      into.set(at, {
        ok: true,
        tx: {
          hash,
          key: r.hashHex(i),
          bytes: r.tx(i),
          source: r.sourceHex(i),
          seq: r.seqs[i] ?? 0n,
          fee: r.fees[i] ?? 0n,
          ops: r.ops[i] ?? 0,
        },
      });
    }
  }

  private answerAll(batch: PendingBatch, reason: TxReasonName): void {
    const n = batch.txs.count;
    this.settled(n);
    for (let i = 0; i < n; i++) batch.lists[i]!.set(batch.slots[i]!, this.refuse(batch.txs.tx(i), reason));
  }

  private settled(n: number): void {
    this.pending -= n;
  }

  private refuse(bytes: Uint8Array, reason: TxReasonName): CheckOutcome {
    this.metrics.checks.inc(TxReason[reason]);
    return { ok: false, hash: sha('sha256', bytes, 'buffer'), reason };
  }
}
