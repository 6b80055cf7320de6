// Spawns an overlay process (overlay/bin/overlay-sidecar.ts under this Node, with the overlay's runtime flags and
// malloc environment: overlay/src/runtime-flags.ts) and resolves when it logs "ready". Shared by the local network,
// the benchmarks and the test harness; the supervisor builds its overlay children with overlayCommand and launchEnv.
import { spawn, type ChildProcess } from 'node:child_process';
import { launchEnv, launchNodeFlags } from '../../overlay/src/runtime-flags.ts';

export const OVERLAY_BIN = new URL('../../overlay/bin/overlay-sidecar.ts', import.meta.url).pathname;

/**
 * The command line of an overlay under this Node: the overlay's runtime flags (overlay/src/runtime-flags.ts; the
 * OVERLAY_NODE_FLAGS environment variable replaces them), the bin, then `args`.
 */
export function overlayCommand(args: string[], nodeFlags: string[] = launchNodeFlags()): [string, ...string[]] {
  return [process.execPath, ...nodeFlags, OVERLAY_BIN, ...args];
}

/** The fields of the overlay's "ready" log line that launchers use. */
export interface ReadyRecord {
  peerId: string;
  nodeKey: string;
  admin: string | null;
  socket: string;
  addresses: string[];
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchedOverlay {
  proc: ChildProcess;
  /** Resolves on the "ready" line; rejects if the process exits first (with its last log lines). */
  ready: Promise<ReadyRecord>;
  exit: Promise<ExitStatus>;
}

/** Lines of log kept for the error of an early exit. */
const TAIL_LINES = 20;

export function launchOverlay(args: string[], opts: { cwd?: string; onLine?: (line: string) => void } = {}): LaunchedOverlay {
  const [node, ...argv] = overlayCommand(args);
  const proc = spawn(node, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: opts.cwd, env: { ...process.env, ...launchEnv() } });
  const tail: string[] = [];
  let resolveReady!: (r: ReadyRecord) => void;
  let rejectReady!: (err: Error) => void;
  let isReady = false;
  const ready = new Promise<ReadyRecord>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let buf = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      opts.onLine?.(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (!isReady && line.includes('"msg":"ready"')) {
        isReady = true;
        resolveReady(JSON.parse(line) as ReadyRecord);
      }
    }
  });
  const exit = new Promise<ExitStatus>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  void exit.then(({ code, signal }) => {
    if (!isReady) rejectReady(new Error(`overlay exited (${code ?? signal}) before it was ready:\n${tail.join('\n')}`));
  });
  return { proc, ready, exit };
}
