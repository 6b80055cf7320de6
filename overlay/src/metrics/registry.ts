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
import { Histogram, Registry, collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';

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

/**
 * A registry that counts its changes, so the flat view can keep its list of metrics instead of asking prom-client
 * for it on every request (Object.values over ~120 metrics: ~9 µs of a ~50 µs GET_METRICS, measured in-process).
 */
export class VersionedRegistry extends Registry {
  version = 0;

  override registerMetric(metric: Metric): void {
    super.registerMetric(metric);
    this.version++;
  }

  override removeSingleMetric(name: string): void {
    super.removeSingleMetric(name);
    this.version++;
  }

  override clear(): void {
    super.clear();
    this.version++;
  }
}

export function createRegistry(opts: { processMetrics?: boolean } = {}): Registry {
  const registry = new VersionedRegistry();
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
  const gets: Promise<MetricObjectWithValues<MetricValue<string>>>[] = [];
  for (const m of ownMetrics(registry, proc)) if (!addHistogramSeries(out, m)) gets.push(m.get());
  // Every other get() started at once and awaited together: one wait, not one per metric.
  for (const v of await Promise.all(gets)) addSeries(out, v);
  if (proc !== undefined) Object.assign(out, await processSnapshot(registry, proc, opts.processMaxAgeMs ?? PROCESS_SNAPSHOT_MAX_AGE_MS));
  return out;
}

type GettableMetric = Metric & { name: string; get(): Promise<MetricObjectWithValues<MetricValue<string>>> };

/** Per VersionedRegistry: its metrics less the process metrics, as of `version`. */
const ownMetricsOf = new WeakMap<Registry, { version: number; metrics: GettableMetric[] }>();

/** The registry's metrics less prom-client's process metrics; kept per VersionedRegistry until it changes. */
function ownMetrics(registry: Registry, proc: ProcessMetrics | undefined): GettableMetric[] {
  const version = registry instanceof VersionedRegistry ? registry.version : null;
  const kept = ownMetricsOf.get(registry);
  if (kept !== undefined && kept.version === version) return kept.metrics;
  // getMetricsAsArray returns the metrics themselves; its declared type leaves out their get().
  const metrics = (registry.getMetricsAsArray() as unknown as GettableMetric[]).filter((m) => !proc?.names.has(m.name));
  if (version !== null) ownMetricsOf.set(registry, { version, metrics });
  return metrics;
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

/** prom-client 15's per-series record of a Histogram (its hashMap values); checked field by field before use. */
interface HistogramSeries {
  labels: Partial<Record<string, string | number>>;
  sum: number;
  count: number;
}

/**
 * A histogram's _sum and _count read from prom-client's series records, skipping get(), which builds every bucket
 * series only for the flat view to drop them (~11 µs of a ~50 µs GET_METRICS, measured in-process). False (nothing
 * added) for anything else, a histogram with a collect(), or records not of the expected shape: get() then.
 */
function addHistogramSeries(out: FlatMetrics, metric: GettableMetric): boolean {
  if (!(metric instanceof Histogram) || (metric as { collect?: unknown }).collect !== undefined) return false;
  const records = (metric as unknown as { hashMap?: Record<string, Partial<HistogramSeries>> }).hashMap;
  if (records === null || typeof records !== 'object') return false;
  const series = Object.values(records);
  for (const r of series) if (typeof r.sum !== 'number' || typeof r.count !== 'number' || typeof r.labels !== 'object') return false;
  for (const r of series as HistogramSeries[]) {
    if (Number.isFinite(r.sum)) out[seriesKey(`${metric.name}_sum`, r.labels)] = r.sum;
    out[seriesKey(`${metric.name}_count`, r.labels)] = r.count;
  }
  return true;
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
