// Raw ed25519 verification rate: `threads` worker threads verifying at once for a fixed time (the all-cores rate
// the submission goal is a fraction of), or one thread per verifier for comparing verifiers.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { VerifyRateWorkerData, VerifyRateWorkerMessage } from './verify-rate-worker.ts';
import type { VerifierId } from './verifiers.ts';

const WORKER = new URL('./verify-rate-worker.ts', import.meta.url);
/** Ours: keys each thread cycles through (all KeyObjects cached; more keys than this changes nothing). */
const KEYS_PER_THREAD = 256;

export interface VerifyRate {
  verifier: VerifierId;
  threads: number;
  /** Verifies per second, all threads together. */
  perSec: number;
  perThread: number[];
}

/** Verifies/s of `verifier` on `threads` threads at once; a string when the verifier is not available. */
export async function verifyRate(
  verifier: VerifierId,
  o: { threads?: number; durationMs: number; altDir?: string | null },
): Promise<VerifyRate | string> {
  const threads = o.threads ?? availableParallelism();
  const data: VerifyRateWorkerData = { verifier, altDir: o.altDir ?? null, durationMs: o.durationMs, keys: KEYS_PER_THREAD };
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { workerData: data }));
  try {
    const next = (w: Worker) =>
      new Promise<VerifyRateWorkerMessage>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    const ready = await Promise.all(workers.map(next));
    const refused = ready.find((m): m is { error: string } => 'error' in m);
    if (refused) return refused.error;
    const done = workers.map(next);
    for (const w of workers) w.postMessage('go');
    const counts = (await Promise.all(done)) as { verifies: number; ms: number }[];
    const perThread = counts.map((c) => c.verifies / (c.ms / 1000));
    return { verifier, threads, perSec: perThread.reduce((a, b) => a + b, 0), perThread };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
