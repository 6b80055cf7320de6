// A prom-client gauge that reads its value when scraped (sizes of bounded tables), rather than on every change.
import { Gauge, type Registry } from 'prom-client';

export function readGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
