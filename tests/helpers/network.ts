// A whole local network for tests: N real overlay processes (each knowing the ones started before it) and N reference
// cores (child processes of core-bridge/bin/reference-core.ts), one per overlay, sharing the validator's seed.
// Seeds are generated and HTTP ports chosen at run time. Resolves once every core has closed ledger `waitLedger`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@stellar/stellar-base';
import { startOverlay, getJson, type OverlayProcess, type StartOptions } from './overlay-process.ts';
import { waitFor } from './wait.ts';

export const CORE_BIN = new URL('../../core-bridge/bin/reference-core.ts', import.meta.url).pathname;
/** How long a core may take to print its ready line (it waits for its overlay and derives the genesis accounts). */
const CORE_READY_TIMEOUT_MS = 30_000;
/** Log lines kept per core (for failure messages). */
const MAX_LOG_LINES = 2000;

export interface CoreProcess {
  proc: ChildProcess;
  dir: string;
  seed: string;
  nodeKey: string;
  /** http://127.0.0.1:port */
  url: string;
  logs: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export type { LedgerInfo } from '../../core-bridge/src/reference-core/reference-core.ts';
import type { LedgerInfo } from '../../core-bridge/src/reference-core/reference-core.ts';

export interface NetworkOptions {
  /** Default 4. */
  validators?: number;
  /** Default 1000. */
  ledgerMs?: number;
  /** Genesis accounts; default 1000 (quicker to derive than the CLI's 10,000). */
  accounts?: number;
  /** Default: every core has closed ledger 2. */
  waitLedger?: number;
  /** Extra flags for every core. */
  coreArgs?: string[];
  overlay?: StartOptions;
}

export interface TestNetwork {
  overlays: OverlayProcess[];
  cores: CoreProcess[];
  /** Validator keys (G...), sorted. */
  validators: string[];
  accounts: number;
  ledger(i: number): Promise<LedgerInfo>;
  /** Starts core i again (same seed, overlay and data dir) after it was stopped; replaces cores[i]. */
  restartCore(i: number): Promise<CoreProcess>;
  stop(): Promise<void>;
}

const running = new Set<CoreProcess>();
process.once('exit', () => {
  for (const c of running) c.proc.kill('SIGKILL');
});

export interface CoreStartOptions {
  socketPath: string;
  seed: string;
  validators: string[];
  ledgerMs: number;
  accounts: number;
  dir?: string;
  args?: string[];
}

/** Starts one reference core and resolves on its ready line. */
export async function startCore(o: CoreStartOptions): Promise<CoreProcess> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'core-'));
  const args = [
    CORE_BIN,
    '--socket', o.socketPath,
    '--seed', o.seed,
    '--validators', o.validators.join(','),
    '--ledger-ms', String(o.ledgerMs),
    '--accounts', String(o.accounts),
    '--data-dir', join(dir, 'data'),
    '--http-port', '0',
    '--log-level', 'debug',
    ...(o.args ?? []),
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const keep = (l: string) => {
    logs.push(l);
    if (logs.length > MAX_LOG_LINES) logs.shift();
  };
  lines(proc.stderr!, keep);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    new Promise<{ http: string; node: string }>((resolve) =>
      lines(proc.stdout!, (l) => {
        keep(l);
        if (l.includes('"msg":"ready"')) resolve(JSON.parse(l) as { http: string; node: string });
      }),
    ),
    exit.then(({ code, signal }) => {
      throw new Error(`reference core exited (${code ?? signal}) before it was ready:\n${logs.slice(-20).join('\n')}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reference core not ready after ${CORE_READY_TIMEOUT_MS} ms:\n${logs.slice(-20).join('\n')}`)), CORE_READY_TIMEOUT_MS);
    }),
  ])
    .catch((err) => {
      proc.kill('SIGKILL');
      throw err;
    })
    .finally(() => clearTimeout(timer));
  let exited = false;
  void exit.then(() => (exited = true));
  const handle: CoreProcess = {
    proc,
    dir,
    seed: o.seed,
    nodeKey: ready.node,
    url: ready.http,
    logs,
    exit,
    stop: async (signal = 'SIGTERM') => {
      if (!exited) proc.kill(signal);
      const r = await exit;
      running.delete(handle);
      return r;
    },
  };
  running.add(handle);
  return handle;
}

export async function startNetwork(opts: NetworkOptions = {}): Promise<TestNetwork> {
  const n = opts.validators ?? 4;
  const ledgerMs = opts.ledgerMs ?? 1000;
  const accounts = opts.accounts ?? 1000;
  const keypairs = Array.from({ length: n }, () => Keypair.random());
  const validators = keypairs.map((k) => k.publicKey()).sort();
  const overlays: OverlayProcess[] = [];
  const cores: CoreProcess[] = [];
  const stop = async () => {
    await Promise.all(cores.map((c) => c.stop()));
    await Promise.all(overlays.map((o) => o.stop()));
    for (const d of [...cores.map((c) => c.dir), ...overlays.map((o) => o.dir)]) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (const kp of keypairs) {
      overlays.push(await startOverlay({ ...opts.overlay, seed: kp.secret(), knownPeers: overlays.map((o) => o.address) }));
    }
    const coreOptions = (i: number): CoreStartOptions => ({
      socketPath: overlays[i]!.socketPath,
      seed: keypairs[i]!.secret(),
      validators,
      ledgerMs,
      accounts,
      args: opts.coreArgs ?? [],
    });
    cores.push(...(await Promise.all(keypairs.map((_, i) => startCore(coreOptions(i))))));
    const restartCore = async (i: number) => {
      const old = cores[i]!;
      await old.stop();
      cores[i] = await startCore({ ...coreOptions(i), dir: old.dir });
      return cores[i]!;
    };
    const ledger = (i: number) => getJson<LedgerInfo>(`${cores[i]!.url}/ledger`);
    const target = opts.waitLedger ?? 2;
    await waitFor(
      `every core at ledger ${target}`,
      async () => (await Promise.all(cores.map((_, i) => ledger(i)))).every((l) => l.seq >= target),
      30_000,
      100,
    );
    return { overlays, cores, validators, accounts, ledger, restartCore, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}
