// One prom-client registry per overlay instance (never the global default), so several overlays can live in one
// process in tests. Each module declares its metrics in one typed function taking this registry.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'overlay_';

export function createRegistry(opts: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/** Flat name → value view of a registry (V2 OVERLAY_METRICS_RESPONSE and the extension's METRICS_REPLY). */
export async function flatMetrics(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      const labels = Object.entries(v.labels ?? {})
        .map(([k, val]) => `${k}=${val}`)
        .join(',');
      const name = (v as { metricName?: string }).metricName ?? metric.name;
      if (Number.isFinite(v.value)) out[labels ? `${name}{${labels}}` : name] = v.value;
    }
  }
  return out;
}
