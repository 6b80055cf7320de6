// Submission → externalization latency of the txs this core submitted: submit times by hash (bounded, oldest out)
// and the latest latencies (a ring) for p50/p99. A tx that never makes a ledger ages out of the table.
import { BoundedMap } from '../util/bounded-map.ts';

/** Ours: txs tracked at once (~2 minutes at 1,000 tx/s); the oldest is forgotten first. */
export const MAX_TRACKED = 100_000;
/** Ours: latencies kept for the percentiles. */
export const MAX_SAMPLES = 10_000;

export interface LatencySummary {
  samples: number;
  p50: number | null;
  p99: number | null;
}

export class SubmissionTracker {
  private readonly submitted: BoundedMap<string, number>;
  private readonly ring: number[] = [];
  /** When each latency in `ring` was measured (ms), for summaries of a time window. */
  private readonly ringAt: number[] = [];
  private ringPos = 0;
  private readonly maxSamples: number;
  evicted = 0;
  externalized = 0;

  constructor(maxTracked = MAX_TRACKED, maxSamples = MAX_SAMPLES) {
    this.maxSamples = maxSamples;
    this.submitted = new BoundedMap(maxTracked);
  }

  get tracked(): number {
    return this.submitted.size;
  }

  /** A tx the overlay accepted at `at` (ms). A re-submission keeps the first time. */
  track(hashHex: string, at: number): void {
    if (this.submitted.has(hashHex)) return;
    this.evicted += this.submitted.set(hashHex, at);
  }

  /** A closed ledger's txs (hex hashes); returns the latencies (ms) of ours among them. */
  closed(hashesHex: Iterable<string>, at: number): number[] {
    const out: number[] = [];
    for (const h of hashesHex) {
      const t = this.submitted.get(h);
      if (t === undefined) continue;
      this.submitted.delete(h);
      const ms = at - t;
      out.push(ms);
      if (this.ring.length < this.maxSamples) {
        this.ring.push(ms);
        this.ringAt.push(at);
      } else {
        this.ring[this.ringPos] = ms;
        this.ringAt[this.ringPos] = at;
      }
      this.ringPos = (this.ringPos + 1) % this.maxSamples;
      this.externalized++;
    }
    return out;
  }

  /** Percentiles of the latest latencies, or of those measured at or after `sinceMs` (still among the latest). */
  summary(sinceMs?: number): LatencySummary {
    const s = sinceMs === undefined ? [...this.ring] : this.ring.filter((_, i) => this.ringAt[i]! >= sinceMs);
    if (s.length === 0) return { samples: 0, p50: null, p99: null };
    s.sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return { samples: s.length, p50: at(0.5), p99: at(0.99) };
  }
}
