// One prom-client registry per overlay instance (never the global default), so several overlays can live in one
// process in tests. Each module declares its metrics in one typed function taking this registry.
//
// The flat view (core's GET_METRICS / REQUEST_OVERLAY_METRICS) is on the request path, so it must be cheap: the
// overlay's own metrics are read live (counters and gauges, microseconds), while prom-client's process metrics
// (event-loop lag waits a loop turn, ~200 µs; memory and fds read /proc; heap statistics) come from a snapshot at
// most PROCESS_SNAPSHOT_MAX_AGE_MS old, refreshed after the reply rather than before it, and only their unlabelled
// series (CPU, memory, heap, fds, event-loop lag): the per-heap-space, per-resource-type and per-GC-kind breakdowns
// were half the keys of every reply. Histograms appear as their _sum and _count: a flat map cannot carry a
// distribution, and the buckets were a third of the rest (encoding and decoding cost per key, on both sides).
// The Prometheus text endpoint (/metrics) still collects everything, fresh, buckets included.
import { Registry, collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';

// ---- constants --------------------------------------------------------------------------------------------------
export const METRIC_PREFIX = 'overlay_';
/** Ours: process metrics in the flat view may be this old (Prometheus scrapes every 15 s or more; core, ~1 s). */
export const PROCESS_SNAPSHOT_MAX_AGE_MS = 1000;
/** prom-client: a histogram's bucket series are named <name>_bucket and labelled le (then _sum and _count). */
const BUCKET_SUFFIX = '_bucket';

export type FlatMetrics = Record<string, number>;

/** Per registry made by createRegistry: which metrics are prom-client's process metrics, and their snapshot. */
interface ProcessMetrics {
  names: ReadonlySet<string>;
  snapshot: FlatMetrics | null;
  takenAt: number;
  refreshing: Promise<FlatMetrics> | null;
}

// One entry per registry, dropped with it (a WeakMap: no bound needed beyond the registries alive).
const processMetricsOf = new WeakMap<Registry, ProcessMetrics>();

export function createRegistry(opts: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    // Everything registered so far is prom-client's: the overlay's modules register theirs later.
    const names = new Set(registry.getMetricsAsArray().map((m) => m.name));
    processMetricsOf.set(registry, { names, snapshot: null, takenAt: 0, refreshing: null });
  }
  return registry;
}

export interface FlatMetricsOptions {
  /** How old the process metrics may be (default PROCESS_SNAPSHOT_MAX_AGE_MS); 0: collected now, as /metrics does. */
  processMaxAgeMs?: number;
}

/**
 * Flat name → value view of a registry (V2 OVERLAY_METRICS_RESPONSE and the extension's METRICS_REPLY): one key per
 * series, `name` or `name{label=value,...}`; histogram buckets, sums and counts as their own series.
 */
export async function flatMetrics(registry: Registry, opts: FlatMetricsOptions = {}): Promise<FlatMetrics> {
  const proc = processMetricsOf.get(registry);
  const out: FlatMetrics = {};
  // getMetricsAsArray returns the metrics themselves; its declared type leaves out their get().
  for (const metric of registry.getMetricsAsArray() as unknown as (Metric & { name: string })[]) {
    if (proc?.names.has(metric.name)) continue;
    addSeries(out, await metric.get());
  }
  if (proc !== undefined) Object.assign(out, await processSnapshot(registry, proc, opts.processMaxAgeMs ?? PROCESS_SNAPSHOT_MAX_AGE_MS));
  return out;
}

/** The process metrics: the snapshot while fresh enough; when stale, still the snapshot, refreshed behind it. */
async function processSnapshot(registry: Registry, proc: ProcessMetrics, maxAgeMs: number): Promise<FlatMetrics> {
  const stale = performance.now() - proc.takenAt > maxAgeMs;
  if (proc.snapshot !== null && !stale) return proc.snapshot;
  proc.refreshing ??= collectProcess(registry, proc.names).then(
    (snapshot) => {
      proc.snapshot = snapshot;
      proc.takenAt = performance.now();
      proc.refreshing = null;
      return snapshot;
    },
    (err: unknown) => {
      proc.refreshing = null;
      throw err;
    },
  );
  // The first request, or one that asks for fresh figures, waits; the others are answered from the old snapshot.
  if (proc.snapshot === null || maxAgeMs === 0) return proc.refreshing;
  proc.refreshing.catch(() => {}); // a failed refresh keeps the old snapshot; the next stale request retries
  return proc.snapshot;
}

async function collectProcess(registry: Registry, names: ReadonlySet<string>): Promise<FlatMetrics> {
  const metrics = [...names].map((n) => registry.getSingleMetric(n)).filter((m) => m !== undefined);
  const out: FlatMetrics = {};
  for (const m of await Promise.all(metrics.map((m) => m.get()))) addSeries(out, m, false);
  return out;
}

function addSeries(out: FlatMetrics, metric: MetricObjectWithValues<MetricValue<string>>, labelled = true): void {
  for (const v of metric.values) {
    if (!Number.isFinite(v.value)) continue;
    if (!labelled && !isEmpty(v.labels)) continue;
    const name = (v as { metricName?: string }).metricName ?? metric.name;
    if (name.endsWith(BUCKET_SUFFIX) && v.labels?.['le'] !== undefined) continue;
    out[seriesKey(name, v.labels)] = v.value;
  }
}

function isEmpty(labels: object | undefined): boolean {
  for (const _ in labels) return false;
  return true;
}

function seriesKey(name: string, labels: Partial<Record<string, string | number>> | undefined): string {
  let key = name;
  let first = true;
  for (const k in labels) {
    key += `${first ? '{' : ','}${k}=${labels[k]}`;
    first = false;
  }
  return first ? key : key + '}';
}
