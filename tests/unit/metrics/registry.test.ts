// The flat metrics view core reads (GET_METRICS / REQUEST_OVERLAY_METRICS): the overlay's own series live, histograms
// as sum and count, prom-client's process metrics as their unlabelled series from a snapshot of bounded age.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createRegistry, flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { waitFor } from '../../helpers/wait.ts';

const CPU = 'overlay_process_cpu_user_seconds_total';

/** Enough work to move the process's user CPU time, for at least 2 ms of wall time too (the process's CPU time
 * counts every thread: early in a run, compiler threads can add 2 ms of it in less than 2 ms of wall time). */
function burnCpu(): void {
  const start = process.cpuUsage().user;
  const t0 = performance.now();
  let h = Buffer.alloc(32);
  while (process.cpuUsage().user - start < 2000 || performance.now() - t0 < 2) h = createHash('sha256').update(h).digest();
}

describe('metrics/registry flatMetrics', () => {
  it('own series by name and labels; histograms as _sum and _count, no buckets', async () => {
    const registry = createRegistry({ processMetrics: false });
    const c = new Counter({ name: 'overlay_x_total', help: 'x', labelNames: ['kind', 'peer'] as const, registers: [registry] });
    const g = new Gauge({ name: 'overlay_y', help: 'y', registers: [registry] });
    const h = new Histogram({ name: 'overlay_z_seconds', help: 'z', buckets: [0.1, 1], registers: [registry] });
    c.labels('a', 'p1').inc(2);
    g.set(7);
    h.observe(0.5);
    h.observe(3);
    expect(await flatMetrics(registry)).to.deep.equal({
      'overlay_x_total{kind=a,peer=p1}': 2,
      overlay_y: 7,
      overlay_z_seconds_sum: 3.5,
      overlay_z_seconds_count: 2,
    });
  });

  it('metrics registered or removed after a first read are seen by the next (the kept list follows the registry)', async () => {
    const registry = createRegistry({ processMetrics: false });
    new Gauge({ name: 'overlay_a', help: 'a', registers: [registry] }).set(1);
    expect(await flatMetrics(registry)).to.deep.equal({ overlay_a: 1 });
    new Gauge({ name: 'overlay_b', help: 'b', registers: [registry] }).set(2);
    expect(await flatMetrics(registry)).to.deep.equal({ overlay_a: 1, overlay_b: 2 });
    registry.removeSingleMetric('overlay_a');
    expect(await flatMetrics(registry)).to.deep.equal({ overlay_b: 2 });
    registry.clear();
    expect(await flatMetrics(registry)).to.deep.equal({});
  });

  it('process metrics: the unlabelled series only (CPU, memory, event-loop lag), none of the breakdowns', async () => {
    const registry = createRegistry();
    const m = await flatMetrics(registry);
    for (const k of [CPU, 'overlay_process_resident_memory_bytes', 'overlay_nodejs_heap_size_used_bytes', 'overlay_nodejs_eventloop_lag_seconds']) {
      expect(m[k], k).to.be.a('number');
    }
    const labelled = Object.keys(m).filter((k) => k.includes('{'));
    expect(labelled).to.deep.equal([]);
  });

  it('own series are read live while the process snapshot is reused until it is older than the given age', async () => {
    const registry = createRegistry();
    const g = new Gauge({ name: 'overlay_live', help: 'live', registers: [registry] });
    const first = await flatMetrics(registry, { processMaxAgeMs: 60_000 });
    burnCpu();
    g.set(42);
    const second = await flatMetrics(registry, { processMaxAgeMs: 60_000 });
    expect(second['overlay_live']).to.equal(42);
    expect(second[CPU]).to.equal(first[CPU]);
    // Age 0: collected now, as /metrics does.
    const fresh = await flatMetrics(registry, { processMaxAgeMs: 0 });
    expect(fresh[CPU]).to.be.greaterThan(first[CPU]!);
  });

  it('a stale snapshot is answered once more while a fresh one is collected behind it', async () => {
    const registry = createRegistry();
    const first = await flatMetrics(registry, { processMaxAgeMs: 1 });
    burnCpu(); // ≥ 2 ms: the snapshot is now older than 1 ms
    const stale = await flatMetrics(registry, { processMaxAgeMs: 1 });
    expect(stale[CPU]).to.equal(first[CPU]);
    await waitFor('a refreshed snapshot', async () => (await flatMetrics(registry, { processMaxAgeMs: 60_000 }))[CPU]! > first[CPU]!);
  });

  it('a registry not made by createRegistry is collected whole, every time', async () => {
    const registry = new Registry();
    new Gauge({ name: 'overlay_w', help: 'w', registers: [registry], collect() { this.set(5); } });
    expect(await flatMetrics(registry)).to.deep.equal({ overlay_w: 5 });
  });
});
