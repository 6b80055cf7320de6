// IPC metrics: per-message counters in each direction, errors by code, drops, backlog towards core.
import { Counter, Gauge, type Registry } from 'prom-client';

export function createIpcMetrics(registry: Registry) {
  return {
    frames: new Counter({
      name: 'overlay_ipc_frames_total',
      help: 'IPC frames by direction (in = from core) and message type',
      labelNames: ['direction', 'type'] as const,
      registers: [registry],
    }),
    bytes: new Counter({
      name: 'overlay_ipc_bytes_total',
      help: 'IPC bytes by direction',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'overlay_ipc_errors_total',
      help: 'Bad frames from core, by error code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    drops: new Counter({
      name: 'overlay_ipc_dropped_frames_total',
      help: 'Frames towards core dropped (droppable types only, or not negotiated), by type',
      labelNames: ['type', 'reason'] as const,
      registers: [registry],
    }),
    backlog: new Gauge({
      name: 'overlay_ipc_backlog_bytes',
      help: 'Bytes queued towards core and not yet taken by the socket',
      registers: [registry],
    }),
    connected: new Gauge({
      name: 'overlay_ipc_core_connected',
      help: '1 while a core is connected',
      registers: [registry],
    }),
    connections: new Counter({
      name: 'overlay_ipc_connections_total',
      help: 'Core connections, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type IpcMetrics = ReturnType<typeof createIpcMetrics>;
