// Readiness probes: a log line (checked on each line the child writes), an HTTP URL answering 2xx, or a Unix
// socket accepting a connection (both polled until the caller aborts).
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readiness } from './spec.ts';

/** Ours: probe often enough that readiness adds little to a start, rarely enough to cost nothing. */
export const POLL_INTERVAL_MS = 100;
/** Ours: one HTTP probe; a hung server must not stall the polling. */
const HTTP_PROBE_TIMEOUT_MS = 1000;

/** For `log-line` readiness: whether a line says the child is ready. Null for the other kinds. */
export function lineMatcher(readiness: Readiness): ((line: string) => boolean) | null {
  if (readiness.kind !== 'log-line') return null;
  const { pattern } = readiness;
  if (typeof pattern === 'string') return (line) => line.includes(pattern);
  // A copy without the global/sticky flags: test() on those is stateful.
  const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  return (line) => re.test(line);
}

/** For `http` and `unix-socket` readiness: resolves once the probe succeeds; rejects (AbortError) when aborted. */
export async function pollUntilReady(readiness: Readiness, signal: AbortSignal): Promise<void> {
  const probe = readiness.kind === 'http' ? () => httpProbe(readiness.url, signal)
    : readiness.kind === 'unix-socket' ? () => socketProbe(readiness.path)
    : null;
  if (probe === null) return;
  for (;;) {
    signal.throwIfAborted();
    if (await probe()) return;
    await sleep(POLL_INTERVAL_MS, undefined, { signal });
  }
}

async function httpProbe(url: string, signal: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(HTTP_PROBE_TIMEOUT_MS)]) });
    await res.arrayBuffer(); // release the connection
    return res.ok;
  } catch {
    return false;
  }
}

function socketProbe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
