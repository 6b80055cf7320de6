// IPC metrics: per-message counters in each direction, errors by code, drops, backlog towards core.
//
// Frames and bytes are counted on every frame, where prom-client's labelled inc() (even through a child from
// labels()) hashes and validates the label values and looks the series up by that hash. So the session counts them
// as plain numbers in arrays indexed by frame type (IpcTallies), and the counters take what accumulated whenever
// they are read (prom-client's collect(): /metrics, GET_METRICS, stats).
import { Counter, Gauge, type Registry } from 'prom-client';
import { TYPE_TABLE_SIZE, entryById } from '#ipc-protocol';

/** Counts kept on the per-frame path; bounded (fixed arrays), never evicted, folded into the counters when read. */
export class IpcTallies {
  /** Frames from core, by frame type. */
  readonly framesIn = new Float64Array(TYPE_TABLE_SIZE);
  /** Frames to core, by frame type. */
  readonly framesOut = new Float64Array(TYPE_TABLE_SIZE);
  bytesIn = 0;
  private readonly reportedIn = new Float64Array(TYPE_TABLE_SIZE);
  private readonly reportedOut = new Float64Array(TYPE_TABLE_SIZE);
  private reportedBytesIn = 0;

  /** Adds what was counted since the last call to `frames` (labels direction, type). */
  foldFrames(frames: Counter<'direction' | 'type'>): void {
    fold(this.framesIn, this.reportedIn, 'in', frames);
    fold(this.framesOut, this.reportedOut, 'out', frames);
  }

  /** Adds the bytes counted since the last call to `bytes` (label direction). */
  foldBytes(bytes: Counter<'direction'>): void {
    const delta = this.bytesIn - this.reportedBytesIn;
    if (delta > 0) bytes.inc({ direction: 'in' }, delta);
    this.reportedBytesIn = this.bytesIn;
  }
}

function fold(counts: Float64Array, reported: Float64Array, direction: 'in' | 'out', frames: Counter<'direction' | 'type'>): void {
  for (let type = 0; type < TYPE_TABLE_SIZE; type++) {
    const delta = counts[type]! - reported[type]!;
    if (delta === 0) continue;
    // Only catalogue types are counted (the session counts decoded messages): the name is always there.
    frames.inc({ direction, type: entryById(type)?.name ?? String(type) }, delta);
    reported[type] = counts[type]!;
  }
}

export function createIpcMetrics(registry: Registry) {
  const tallies = new IpcTallies();
  return {
    tallies,
    frames: new Counter({
      name: 'overlay_ipc_frames_total',
      help: 'IPC frames by direction (in = from core) and message type',
      labelNames: ['direction', 'type'] as const,
      registers: [registry],
      collect() {
        tallies.foldFrames(this);
      },
    }),
    bytes: new Counter({
      name: 'overlay_ipc_bytes_total',
      help: 'IPC bytes by direction',
      labelNames: ['direction'] as const,
      registers: [registry],
      collect() {
        tallies.foldBytes(this);
      },
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
