// Structured logs: one JSON object per line on stderr, with the component that wrote it. Level from
// OVERLAY_LOG_LEVEL or config. No globals beyond the sink: components get a Logger from their parent.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LogSink {
  (line: string): void;
}

const stderrSink: LogSink = (line) => process.stderr.write(line + '\n');

function serialise(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

export function createLogger(component: string, level: Level = 'info', sink: LogSink = stderrSink): Logger {
  const min = rank[level];
  const write = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (rank[lvl] < min) return;
    const rec: Record<string, unknown> = { t: new Date().toISOString(), level: lvl, component, msg };
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = serialise(v);
    sink(JSON.stringify(rec));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (sub) => createLogger(`${component}:${sub}`, level, sink),
  };
}

/** Ours: a rate-limited logger writes at most this many lines per message per window; the rest are counted. */
export const RATE_LIMITED_LINES = 10;
export const RATE_LIMIT_WINDOW_MS = 10_000;

/**
 * A logger for lines an outsider can provoke at will (bad frames from core, say): per message text, the first
 * `lines` of each window are written, the rest counted and summed up in one line when the window ends, so a
 * flood of bad input cannot flood the log. Message texts are literals at call sites, so the map stays small.
 */
export function rateLimited(log: Logger, lines = RATE_LIMITED_LINES, windowMs = RATE_LIMIT_WINDOW_MS): Logger {
  const windows = new Map<string, { start: number; written: number; suppressed: number; level: Level }>();
  const limit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    const now = Date.now();
    let w = windows.get(msg);
    if (w === undefined || now - w.start >= windowMs) {
      w = { start: now, written: 0, suppressed: 0, level };
      windows.set(msg, w);
    }
    if (w.written < lines) {
      w.written++;
      log[level](msg, fields);
      return;
    }
    if (w.suppressed++ === 0) {
      const window = w;
      setTimeout(() => {
        log[window.level](`${msg} (more suppressed)`, { suppressed: window.suppressed, windowMs });
      }, windowMs - (now - w.start)).unref();
    }
  };
  return {
    debug: limit('debug'),
    info: limit('info'),
    warn: limit('warn'),
    error: limit('error'),
    child: (sub) => rateLimited(log.child(sub), lines, windowMs),
  };
}
