// Summaries of measured samples: percentiles (nearest rank), medians of runs.

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function distribution(samples: readonly number[]): Distribution {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    min: s[0] ?? NaN,
    p50: percentileOfSorted(s, 50),
    p90: percentileOfSorted(s, 90),
    p99: percentileOfSorted(s, 99),
    max: s.at(-1) ?? NaN,
    mean: s.length === 0 ? NaN : sum / s.length,
  };
}

/** Median (the lower middle for an even count, so it is always a measured value). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** `bins` equal-width counts of `samples` between their min and max (for latency histograms). */
export function histogram(samples: readonly number[], bins: number): { from: number; to: number; count: number }[] {
  if (samples.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of samples) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const width = hi > lo ? (hi - lo) / bins : 1;
  const out = Array.from({ length: bins }, (_, i) => ({ from: lo + i * width, to: lo + (i + 1) * width, count: 0 }));
  for (const x of samples) out[Math.min(bins - 1, Math.floor((x - lo) / width))]!.count++;
  return out;
}

/** Points of the empirical CDF, (value, percent ≤ value), thinned to about `maxPoints` for charts. */
export function cdfPoints(samples: readonly number[], maxPoints = 200): [number, number][] {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return [];
  const step = Math.max(1, Math.floor(s.length / maxPoints));
  const out: [number, number][] = [];
  for (let i = 0; i < s.length; i += step) out.push([s[i]!, (100 * (i + 1)) / s.length]);
  if (out.at(-1)![1] !== 100) out.push([s.at(-1)!, 100]);
  return out;
}
