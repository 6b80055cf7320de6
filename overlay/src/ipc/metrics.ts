// IPC metrics: per-message counters in each direction, errors by code, drops, backlog towards core.
//
// Frames and bytes are counted on every frame, where prom-client's labelled inc() (even through a child from
// labels()) hashes and validates the label values and looks the series up by that hash. So the session counts them
// as plain numbers in arrays indexed by frame type (IpcTallies), and the counters take what accumulated whenever
// they are read (prom-client's collect(): /metrics, GET_METRICS, stats).
import { Counter, Gauge, type Registry } from 'prom-client';
import { TYPE_TABLE_SIZE, entryById } from '#ipc-protocol';
import { TallyCounter } from '../metrics/tallies.ts';

/** Series of overlay_ipc_frames_total: index = frame type (from core), TYPE_TABLE_SIZE + type (to core). */
function frameSeries(): ({ direction: string; type: string } | null)[] {
  const series: ({ direction: string; type: string } | null)[] = [];
  for (const direction of ['in', 'out']) {
    for (let type = 0; type < TYPE_TABLE_SIZE; type++) {
      // Only catalogue types are counted (the session counts decoded messages).
      const name = entryById(type)?.name;
      series.push(name === undefined ? null : { direction, type: name });
    }
  }
  return series;
}

/** Counts kept on the per-frame path (metrics/tallies.ts: fixed tables, folded into the counters when read). */
export class IpcTallies {
  private readonly frames: TallyCounter<'direction' | 'type'>;
  private readonly bytes: TallyCounter<'direction'>;

  constructor(registry: Registry) {
    this.frames = new TallyCounter({
      name: 'overlay_ipc_frames_total',
      help: 'IPC frames by direction (in = from core) and message type',
      labelNames: ['direction', 'type'],
      series: frameSeries(),
      registers: [registry],
    });
    this.bytes = new TallyCounter({
      name: 'overlay_ipc_bytes_total',
      help: 'IPC bytes by direction',
      labelNames: ['direction'],
      series: [{ direction: 'in' }],
      registers: [registry],
    });
  }

  frameIn(type: number): void {
    this.frames.inc(type);
  }

  frameOut(type: number): void {
    this.frames.inc(TYPE_TABLE_SIZE + type);
  }

  bytesIn(n: number): void {
    this.bytes.inc(0, n);
  }
}

export function createIpcMetrics(registry: Registry) {
  return {
    tallies: new IpcTallies(registry),
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
