// The supervisor's metrics, on its own prom-client registry (never the global one: tests run several).
import { Counter, Gauge, Registry } from 'prom-client';

export const METRIC_PREFIX = 'supervisor_';

export interface SupervisorMetrics {
  restarts: Counter<'child'>;
  up: Gauge<'child'>;
  gaveUp: Gauge<'child'>;
}

export function createSupervisorMetrics(registry: Registry): SupervisorMetrics {
  return {
    restarts: new Counter({
      name: `${METRIC_PREFIX}child_restarts_total`,
      help: 'Restarts scheduled after a child exited without being asked to',
      labelNames: ['child'],
      registers: [registry],
    }),
    up: new Gauge({
      name: `${METRIC_PREFIX}child_up`,
      help: '1 while the child is running and ready',
      labelNames: ['child'],
      registers: [registry],
    }),
    gaveUp: new Gauge({
      name: `${METRIC_PREFIX}child_gave_up`,
      help: '1 once the supervisor has given up restarting the child',
      labelNames: ['child'],
      registers: [registry],
    }),
  };
}
