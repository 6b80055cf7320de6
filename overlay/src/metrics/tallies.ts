// A prom-client Counter whose series are counted as plain numbers on a hot path and folded into the counter when it
// is read (its collect(): /metrics, GET_METRICS, stats). prom-client's labelled inc(), even through a child from
// labels(), builds and hashes a label key, validates the labels and looks the series up on every call: at one call
// per transaction that is a visible share of the main thread. Here each series has a fixed index, chosen by the
// caller from its own tables (e.g. a status code), and inc() is one array write; readers see the same names, labels
// and values (a series appears once it has counted something, as with prom-client's own inc()).
import { Counter, type Registry } from 'prom-client';

/** Slots a table indexed by the codes of `codes` (a name → code object such as TxReason) needs: its largest code + 1. */
export function codeSlots(codes: Readonly<Record<string, number>>): number {
  return Math.max(...Object.values(codes)) + 1;
}

export interface TallyCounterOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** The labels of series i; null for indices never counted. Fixes the bound: one slot per entry. */
  series: readonly (Readonly<Record<L, string>> | null)[];
  registers: Registry[];
}

export class TallyCounter<L extends string> {
  readonly counter: Counter<L>;
  private readonly series: readonly (Readonly<Record<L, string>> | null)[];
  /** Counted so far, and what of it the counter already holds; bounded by `series`, never evicted. */
  private readonly counts: Float64Array;
  private readonly reported: Float64Array;

  constructor(opts: TallyCounterOptions<L>) {
    this.series = opts.series;
    this.counts = new Float64Array(opts.series.length);
    this.reported = new Float64Array(opts.series.length);
    const tallies = this;
    this.counter = new Counter({
      name: opts.name,
      help: opts.help,
      labelNames: opts.labelNames,
      registers: opts.registers,
      collect() {
        tallies.fold();
      },
    });
  }

  /** Adds `n` to series `index` (an index out of the table is a caller's bug: ignored, as a typed array does). */
  inc(index: number, n = 1): void {
    this.counts[index] = (this.counts[index] ?? 0) + n;
  }

  /** Adds to the counter what each series counted since the last fold. */
  private fold(): void {
    for (let i = 0; i < this.counts.length; i++) {
      const delta = this.counts[i]! - this.reported[i]!;
      const labels = this.series[i];
      if (delta === 0 || labels == null) continue;
      this.counter.inc(labels as Partial<Record<L, string>>, delta);
      this.reported[i] = this.counts[i]!;
    }
  }
}
