// Propagation of txs through a set of overlays, measured from outside them (bench-flood, bench-dos): every
// overlay's mempool size is sampled through its core connection (GET_STATS) every `pollMs`; the k-th tx reached a
// node at the first sample whose count is at least k, so latency has the poll period as its resolution and assumes
// each mempool holds only the bench's txs. Also: /metrics scraped into a map, and polling with a deadline.
import type { CoreConnection } from '../../../core-bridge/src/client/connection.ts';

/** Ours: how often waitUntil looks again. */
const WAIT_POLL_MS = 50;

export interface MempoolSample {
  /** Date.now() when the sample was started. */
  t: number;
  /** Mempool tx count per core, in the order the cores were given. */
  counts: number[];
}

/** Samples every core's mempool size until stop(); request ids come from `nextRequestId` (shared with the caller's). */
export class MempoolSampler {
  readonly samples: MempoolSample[] = [];
  private readonly cores: readonly CoreConnection[];
  private readonly pollMs: number;
  private readonly nextRequestId: () => bigint;
  private readonly pending = new Map<bigint, (count: number) => void>();
  private polling = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(cores: readonly CoreConnection[], o: { pollMs: number; nextRequestId: () => bigint }) {
    this.cores = cores;
    this.pollMs = o.pollMs;
    this.nextRequestId = o.nextRequestId;
    for (const c of cores) {
      c.on('message', (m) => {
        if (m.type === 'STATS_REPLY') {
          this.pending.get(m.requestId)?.(m.stats.mempoolTxs);
          this.pending.delete(m.requestId);
        }
      });
    }
  }

  /** The newest sample's counts (empty before the first). */
  get last(): readonly number[] {
    return this.samples.at(-1)?.counts ?? [];
  }

  start(): void {
    this.polling = true;
    this.loop = (async () => {
      while (this.polling) {
        const t = Date.now();
        this.samples.push({ t, counts: await Promise.all(this.cores.map((_, i) => this.stats(i))) });
        await new Promise((r) => setTimeout(r, Math.max(0, this.pollMs - (Date.now() - t))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.polling = false;
    await this.loop;
  }

  /**
   * Latency to all of `nodes` (default: every core) of the k-th tx, for k = 1 … submittedAt.length: the first sample
   * at which every one of them held at least k txs, minus the k-th submission time (Infinity if never).
   */
  latenciesToAll(submittedAt: readonly number[], nodes: readonly number[] = this.cores.map((_, i) => i)): number[] {
    const latencies: number[] = [];
    for (let k = 1; k <= submittedAt.length; k++) {
      let all = 0;
      for (const i of nodes) {
        const s = this.samples.find((x) => x.counts[i]! >= k);
        all = Math.max(all, s?.t ?? Infinity);
      }
      latencies.push(all - submittedAt[k - 1]!);
    }
    return latencies;
  }

  private stats(i: number): Promise<number> {
    return new Promise<number>((resolve) => {
      const id = this.nextRequestId();
      this.pending.set(id, resolve);
      this.cores[i]!.send({ type: 'GET_STATS', requestId: id });
    });
  }
}

/** An overlay's /metrics as a map from the sample's name with labels (`name{a="b"}`) to its value. */
export async function metricsOf(adminUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** The sum of every sample whose name-with-labels starts with `prefix`. */
export const sumOf = (m: Map<string, number>, prefix: string): number =>
  [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

/** Polls `cond` until it holds; throws after `deadlineMs`. */
export async function waitUntil(what: string, cond: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}
