// Transaction intake on the main thread: size check, then batches of owned copies to a piscina pool of verify
// workers (tx/verify-worker.ts) that decode, check the fee and verify signatures. A batch leaves when `batchSize`
// checks are queued or at the end of the current tick, whichever first, as one transferred ArrayBuffer, and comes
// back as one (tx/batch.ts). The main thread never decodes XDR. Pending checks are bounded: past the bound a check
// answers RATE_LIMITED at once, so a flood of submissions costs a hash and a counter, not memory.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { txReasonName, type TxReasonName } from '#ipc-protocol';
import {
  resolveSignatureBackend,
  type SignatureBackend,
  type SignatureBackendChoice,
} from '../crypto/ed25519.ts';
import { WORKER_RESOURCE_LIMITS } from '../runtime-flags.ts';
import { toHex } from '../util/bytes.ts';
import type { Logger } from '../util/log.ts';
import { BatchResult, packBatch } from './batch.ts';
import type { TxInfo } from './types.ts';
import type { VerifyWorkerData } from './verify-worker.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: at most 64 full batches of checks waiting or in the workers. */
export const MAX_PENDING_BATCHES = 64;
const WORKER_FILE = new URL('./verify-worker.ts', import.meta.url).href;
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** 100 µs (one verify) to ~3 s. */
const VERIFY_SECONDS_BUCKETS = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
/** Values of overlay_tx_signature_backend's label: each backend, and none when checks are off. */
const BACKEND_LABELS: readonly (SignatureBackend | 'none')[] = ['sodium', 'node', 'none'];

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

interface Batch {
  txs: Uint8Array[];
  resolvers: ((o: CheckOutcome) => void)[];
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
  private batch: Batch = { txs: [], resolvers: [] };
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
    this.metrics = {
      checks: new Counter({
        name: 'overlay_tx_checks_total',
        help: 'Transaction checks, by outcome (ok or the reason of rejection)',
        labelNames: ['outcome'] as const,
        registers,
      }),
      queue: new Gauge({ name: 'overlay_tx_check_queue', help: 'Transaction checks waiting or in the verify workers', registers }),
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
  check(bytes: Uint8Array): Promise<CheckOutcome> {
    if (bytes.length > this.opts.maxTxBytes) return Promise.resolve(this.refuse(bytes, 'TOO_LARGE'));
    if (this.closed || this.pending >= this.maxPending) return Promise.resolve(this.refuse(bytes, 'RATE_LIMITED'));
    const copy = Uint8Array.prototype.slice.call(bytes);
    const outcome = new Promise<CheckOutcome>((resolve) => {
      this.batch.txs.push(copy);
      this.batch.resolvers.push(resolve);
    });
    this.pending++;
    this.metrics.queue.set(this.pending);
    if (this.batch.txs.length >= this.opts.batchSize) this.flush();
    else this.flushTimer ??= setImmediate(() => this.flush());
    return outcome;
  }

  /** Checks each envelope; outcomes in the order given. */
  checkMany(list: readonly Uint8Array[]): Promise<CheckOutcome[]> {
    return Promise.all(list.map((b) => this.check(b)));
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

  private flush(): void {
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.takeBatch();
    if (batch.txs.length === 0) return;
    this.metrics.batchSize.observe(batch.txs.length);
    const request = packBatch(batch.txs);
    this.pool.run(request, { transferList: [request] }).then(
      (result: ArrayBuffer) => this.answer(batch, new BatchResult(result)),
      (err: unknown) => {
        if (!this.closed) this.opts.log?.error('verify batch failed', { err, size: batch.txs.length });
        this.answerAll(batch, 'RATE_LIMITED');
      },
    );
  }

  private takeBatch(): Batch {
    const b = this.batch;
    this.batch = { txs: [], resolvers: [] };
    return b;
  }

  private answer(batch: Batch, r: BatchResult): void {
    this.metrics.verifySeconds.observe(r.seconds);
    if (r.keyCacheEvictions > 0) this.metrics.keyEvictions.inc(r.keyCacheEvictions);
    batch.resolvers.forEach((resolve, i) => {
      const code = r.reasons[i] ?? 0;
      const hash = r.hash(i).slice();
      if (code !== 0) {
        // The worker writes only TxReason codes; an unknown one would be a bug there, not a valid transaction.
        const reason = txReasonName(code) ?? 'MALFORMED_XDR';
        this.metrics.checks.labels(reason.toLowerCase()).inc();
        resolve({ ok: false, hash, reason });
        return;
      }
      this.metrics.checks.labels('ok').inc();
      resolve({
        ok: true,
        tx: {
          hash,
          key: toHex(hash),
          bytes: batch.txs[i] as Uint8Array,
          source: toHex(r.source(i)),
          seq: r.seqs[i] ?? 0n,
          fee: r.fees[i] ?? 0n,
          ops: r.ops[i] ?? 0,
        },
      });
    });
    this.settled(batch.resolvers.length);
  }

  private answerAll(batch: Batch, reason: TxReasonName): void {
    batch.txs.forEach((bytes, i) => batch.resolvers[i]?.(this.refuse(bytes, reason)));
    this.settled(batch.txs.length);
  }

  private settled(n: number): void {
    this.pending -= n;
    this.metrics.queue.set(this.pending);
  }

  private refuse(bytes: Uint8Array, reason: TxReasonName): CheckOutcome {
    this.metrics.checks.labels(reason.toLowerCase()).inc();
    return { ok: false, hash: createHash('sha256').update(bytes).digest(), reason };
  }
}
