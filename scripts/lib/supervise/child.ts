// One supervised process: spawn, readiness, its log file, restarts with backoff after a crash, giving up after
// repeated bad-config exits, and a requested stop (stop signal, then SIGKILL after the stop timeout).
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../overlay/src/util/log.ts';
import { Backoff } from './backoff.ts';
import { SupervisorError } from './errors.ts';
import { pipeLines } from './lines.ts';
import type { SupervisorMetrics } from './metrics.ts';
import { lineMatcher, pollUntilReady } from './readiness.ts';
import { DEFAULTS, restartPolicy, type ChildSpec, type RestartPolicy } from './spec.ts';

/** Ours: after a process exits, how long its output pipes may stay open (a grandchild holding them) before the
 * log file is closed anyway. */
const OUTPUT_DRAIN_MS = 2000;

export type ChildState =
  | 'idle' // not started yet
  | 'waiting' // for its gate (a core for its overlay)
  | 'starting' // spawned, not ready yet
  | 'ready'
  | 'backoff' // exited unasked; restart scheduled
  | 'stopping' // stop signal sent
  | 'stopped'
  | 'gave-up';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all (e.g. ENOENT). */
  error?: string;
}

export interface ExitEvent extends ExitInfo {
  name: string;
  pid: number | null;
  /** We asked it to stop (supervisor shutdown); otherwise a crash, a kill from outside, or a readiness timeout. */
  requested: boolean;
  /** It outlived the stop timeout and was SIGKILLed. */
  killed: boolean;
  uptimeMs: number;
}

export interface ReadyEvent {
  name: string;
  pid: number;
  restarts: number;
  /** The log line that matched, for `log-line` readiness (the overlay's carries its admin URL and peer id). */
  line?: string;
}

export interface RestartEvent {
  name: string;
  /** Restarts so far, this one included. */
  restarts: number;
  delayMs: number;
  exit: ExitInfo;
}

export interface GaveUpEvent {
  name: string;
  reason: string;
  exit: ExitInfo | null;
}

export interface ChildEvents {
  ready: [ReadyEvent];
  exit: [ExitEvent];
  restart: [RestartEvent];
  'gave-up': [GaveUpEvent];
  state: [ChildState];
}

/** What programs and fault tests get of a child. */
export interface ChildHandle {
  readonly name: string;
  readonly pid: number | null;
  /** The line that made the current (or last) run ready, for `log-line` readiness. */
  readonly readyLine: string | undefined;
  /** Sends a signal as an outsider would: the exit is not "requested", so the child is restarted. */
  kill(signal?: NodeJS.Signals): boolean;
}

export interface ChildStatusBase {
  name: string;
  pid: number | null;
  restarts: number;
  state: ChildState;
  /** When it entered this state (ms since the epoch). */
  since: number;
  lastExit: ExitInfo | null;
}

export interface ChildOptions {
  spec: ChildSpec;
  logDir: string;
  log: Logger;
  metrics: SupervisorMetrics;
  /** Awaited before every spawn (a core waits for its overlay to be ready); a rejection gives the child up. */
  gate?: () => Promise<void>;
}

/** One spawn of the process, so that late events of an earlier run are told apart. */
interface Run {
  proc: ChildProcess;
  startedAt: number;
  /** Ends readiness polling. */
  abort: AbortController;
  readyTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  ready: boolean;
  done: boolean;
  stopSent: boolean;
  killed: boolean;
  exited: PromiseWithResolvers<void>;
  /** Output pipes closed (or given up on): the log file may be closed. */
  drained: PromiseWithResolvers<void>;
}

export class SupervisedChild extends EventEmitter<ChildEvents> implements ChildHandle {
  readonly name: string;
  private readonly opts: ChildOptions;
  private readonly policy: RestartPolicy;
  private readonly backoff: Backoff;
  private readonly matches: ((line: string) => boolean) | null;
  private file: WriteStream | null = null;
  /** Marker lines (start, exit, give-up) in the child's own log file. */
  private fileLog: Logger | null = null;
  private run: Run | null = null;
  private lastRun: Run | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopRequested = false;
  private fatalExits = 0;
  private starts = 0;
  private gaveUpReason = '';
  state: ChildState = 'idle';
  since = Date.now();
  restarts = 0;
  lastExit: ExitInfo | null = null;
  readyLine: string | undefined;

  constructor(opts: ChildOptions) {
    super();
    this.opts = opts;
    this.name = opts.spec.name;
    this.policy = restartPolicy(opts.spec);
    this.backoff = new Backoff(this.policy);
    this.matches = lineMatcher(opts.spec.readiness);
  }

  get pid(): number | null {
    return this.run?.proc.pid ?? null;
  }

  get logPath(): string {
    return join(this.opts.logDir, `${this.name}.log`);
  }

  status(): ChildStatusBase {
    return { name: this.name, pid: this.pid, restarts: this.restarts, state: this.state, since: this.since, lastExit: this.lastExit };
  }

  /** Starts the first run (after the gate). The log directory must exist. */
  start(): void {
    if (this.state !== 'idle') throw new SupervisorError('ALREADY_STARTED', `${this.name} was already started`);
    const file = createWriteStream(this.logPath, { flags: 'a' });
    file.on('error', (err) => this.opts.log.error('cannot write log file', { child: this.name, path: this.logPath, err }));
    this.file = file;
    this.fileLog = createLogger('supervisor', 'info', (line) => file.write(line + '\n'));
    void this.launch();
  }

  /** Resolves once ready (now or later, through restarts); rejects once stopped or given up on. */
  waitReady(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'gave-up' || this.state === 'stopped') return Promise.reject(this.endError());
    return new Promise((resolve, reject) => {
      const onState = (s: ChildState) => {
        if (s === 'ready') resolve();
        else if (s === 'gave-up' || s === 'stopped') reject(this.endError());
        else return;
        this.off('state', onState);
      };
      this.on('state', onState);
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.run?.proc.kill(signal) ?? false;
  }

  /** No more restarts (shutdown has begun); a running process is left for stop(). */
  hold(): void {
    this.stopRequested = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (this.run === null && this.state !== 'gave-up' && this.state !== 'stopped') this.setState('stopped');
  }

  /** Requested stop: the stop signal, SIGKILL after the stop timeout. Resolves when the process has exited. */
  stop(): Promise<void> {
    this.hold();
    const run = this.run;
    if (run === null) return Promise.resolve();
    if (!run.stopSent) {
      run.stopSent = true;
      this.setState('stopping');
      const timeoutMs = this.opts.spec.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs;
      run.proc.kill(this.opts.spec.stopSignal ?? DEFAULTS.stopSignal);
      run.killTimer = setTimeout(() => {
        this.opts.log.warn('child did not stop in time; killing it', { child: this.name, pid: run.proc.pid, timeoutMs });
        run.killed = true;
        run.proc.kill('SIGKILL');
      }, timeoutMs);
    }
    return run.exited.promise;
  }

  /** After stop(): waits for the last output to be written, then closes the log file. */
  async closeLog(): Promise<void> {
    const file = this.file;
    if (file === null) return;
    if (this.lastRun !== null) await this.lastRun.drained.promise;
    this.file = null;
    this.fileLog = null;
    await new Promise<void>((resolve) => file.end(resolve));
  }

  private setState(state: ChildState): void {
    this.state = state;
    this.since = Date.now();
    this.emit('state', state);
  }

  private endError(): SupervisorError {
    return this.state === 'gave-up'
      ? new SupervisorError('GAVE_UP', `gave up on ${this.name}: ${this.gaveUpReason}`)
      : new SupervisorError('STOPPED', `${this.name} was stopped before it was ready`);
  }

  private async launch(): Promise<void> {
    this.restartTimer = null;
    if (this.opts.gate) {
      this.setState('waiting');
      try {
        await this.opts.gate();
      } catch (err) {
        if (!this.stopRequested) this.giveUp(`cannot start: ${(err as Error).message}`, null);
        return;
      }
    }
    if (!this.stopRequested) this.spawnRun();
  }

  private spawnRun(): void {
    const { spec, log } = this.opts;
    const [program, ...args] = spec.command as [string, ...string[]];
    this.starts++;
    // Own process group: a Ctrl-C at the terminal reaches the supervisor only, which then stops children in order.
    const proc = spawn(program, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const run: Run = {
      proc,
      startedAt: Date.now(),
      abort: new AbortController(),
      ready: false,
      done: false,
      stopSent: false,
      killed: false,
      exited: Promise.withResolvers<void>(),
      drained: Promise.withResolvers<void>(),
    };
    this.run = run;
    this.lastRun = run;
    this.setState('starting');
    const fields = { child: this.name, pid: proc.pid ?? null, start: this.starts };
    this.fileLog?.info('started', { ...fields, command: spec.command });
    log.info('child started', fields);

    const onLine = (line: string) => {
      if (!run.ready && this.matches?.(line)) this.markReady(run, line);
    };
    pipeLines(proc.stdout!, this.file!, onLine);
    pipeLines(proc.stderr!, this.file!, onLine);
    proc.once('close', () => run.drained.resolve());
    proc.on('error', (err) => {
      // No pid: the spawn itself failed, and no 'exit' may follow.
      if (proc.pid === undefined) this.onExit(run, { code: null, signal: null, error: err.message });
      else log.warn('child process error', { child: this.name, err });
    });
    proc.once('exit', (code, signal) => this.onExit(run, { code, signal }));

    const readyTimeoutMs = spec.readyTimeoutMs ?? DEFAULTS.readyTimeoutMs;
    run.readyTimer = setTimeout(() => {
      log.warn('child not ready in time; killing it', { child: this.name, pid: proc.pid, readyTimeoutMs });
      proc.kill('SIGKILL');
    }, readyTimeoutMs);
    if (proc.pid === undefined) return;
    if (spec.readiness.kind === 'none') this.markReady(run);
    else if (spec.readiness.kind !== 'log-line') {
      pollUntilReady(spec.readiness, run.abort.signal).then(() => this.markReady(run), () => {});
    }
  }

  private markReady(run: Run, line?: string): void {
    if (run.ready || run.done) return;
    run.ready = true;
    clearTimeout(run.readyTimer);
    run.abort.abort();
    this.readyLine = line;
    if (run.stopSent) return;
    this.setState('ready');
    this.opts.metrics.up.labels(this.name).set(1);
    const pid = run.proc.pid!;
    this.opts.log.info('child ready', { child: this.name, pid, restarts: this.restarts });
    this.emit('ready', { name: this.name, pid, restarts: this.restarts, ...(line === undefined ? {} : { line }) });
  }

  private onExit(run: Run, exit: ExitInfo): void {
    if (run.done) return;
    run.done = true;
    clearTimeout(run.readyTimer);
    clearTimeout(run.killTimer);
    run.abort.abort();
    if (this.run === run) this.run = null;
    this.lastExit = exit;
    this.opts.metrics.up.labels(this.name).set(0);
    const { log } = this.opts;
    const event: ExitEvent = {
      name: this.name,
      pid: run.proc.pid ?? null,
      ...exit,
      requested: this.stopRequested,
      killed: run.killed,
      uptimeMs: Date.now() - run.startedAt,
    };
    const { name: child, ...fields } = event;
    // The exit marker goes after the last output of the run.
    const fileLog = this.fileLog;
    void run.drained.promise.then(() => (event.requested ? fileLog?.info : fileLog?.warn)?.('exited', { child, ...fields }));
    if (exit.error !== undefined) run.drained.resolve();
    else {
      setTimeout(() => {
        run.proc.stdout?.destroy();
        run.proc.stderr?.destroy();
        run.drained.resolve();
      }, OUTPUT_DRAIN_MS).unref();
    }
    if (event.requested) log.info('child exited', { child, ...fields });
    else log.warn('child exited unasked', { child, ...fields });
    this.emit('exit', event);
    run.exited.resolve();
    if (this.stopRequested) {
      if (this.state !== 'gave-up') this.setState('stopped');
      return;
    }
    this.afterCrash(exit, event.uptimeMs);
  }

  private afterCrash(exit: ExitInfo, uptimeMs: number): void {
    const fatal = exit.error !== undefined || (exit.code !== null && this.policy.fatalExitCodes.includes(exit.code));
    // "In a row": another kind of exit, or a long run in between (as for the backoff), starts the count again.
    this.fatalExits = fatal ? (uptimeMs >= this.policy.resetAfterMs ? 1 : this.fatalExits + 1) : 0;
    if (fatal && this.fatalExits >= this.policy.maxFatalExits) {
      const what = exit.error ?? `exit code ${exit.code}`;
      this.giveUp(`${this.fatalExits} exits in a row with ${what} (a configuration error: restarting will not help)`, exit);
      return;
    }
    const delayMs = this.backoff.next(uptimeMs);
    this.restarts++;
    this.opts.metrics.restarts.labels(this.name).inc();
    this.setState('backoff');
    this.opts.log.warn('restarting child', { child: this.name, restarts: this.restarts, delayMs });
    this.restartTimer = setTimeout(() => void this.launch(), delayMs);
    this.emit('restart', { name: this.name, restarts: this.restarts, delayMs, exit });
  }

  private giveUp(reason: string, exit: ExitInfo | null): void {
    this.gaveUpReason = reason;
    this.opts.metrics.gaveUp.labels(this.name).set(1);
    this.opts.log.error('gave up on child', { child: this.name, reason, restarts: this.restarts });
    this.fileLog?.error('gave up', { child: this.name, reason });
    this.setState('gave-up');
    this.emit('gave-up', { name: this.name, reason, exit });
  }
}
