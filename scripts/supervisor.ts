// The supervisor: runs validators, each an overlay child then a core child (started once its overlay is ready),
// restarts crashed children with backoff, gives up on bad-config exit loops, and shuts down in order (all cores,
// then all overlays). A library for programs (npm start, tests) and a CLI for operators:
//
//   node scripts/supervisor.ts --config supervise.json
//
// The JSON is SupervisorConfig (scripts/lib/supervise/spec.ts); relative `logDir`, `cwd` and Unix-socket readiness
// paths are taken from the config file's directory. One log file per child: <logDir>/<validator>-<overlay|core>.log.
// Exit codes: 0 after a clean shutdown, 1 if a child was given up on or had to be SIGKILLed, 2 on a config error.
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createLogger, type Level, type Logger } from '../overlay/src/util/log.ts';
import { launchEnv } from '../overlay/src/runtime-flags.ts';
import { overlayCommand } from './lib/overlay-launch.ts';
import {
  SupervisedChild,
  type ChildHandle,
  type ChildStatusBase,
  type ExitEvent,
  type GaveUpEvent,
  type ReadyEvent,
  type RestartEvent,
} from './lib/supervise/child.ts';
import { SupervisorError } from './lib/supervise/errors.ts';
import { createSupervisorMetrics } from './lib/supervise/metrics.ts';
import { parseSupervisorConfig, type ProcessSpec, type SupervisorConfig, type ValidatorSpec } from './lib/supervise/spec.ts';

export { SupervisorError } from './lib/supervise/errors.ts';
export type { ChildHandle, ChildState, ExitEvent, GaveUpEvent, ReadyEvent, RestartEvent } from './lib/supervise/child.ts';
export type { ProcessSpec, Readiness, RestartPolicy, SupervisorConfig, ValidatorSpec } from './lib/supervise/spec.ts';

/** The overlay's JSON "ready" log line (overlay.ts logs msg "ready"), as scripts/lib/overlay-launch.ts detects it. */
export const OVERLAY_READY_PATTERN = '"msg":"ready"';

export type Role = 'overlay' | 'core';

export interface SupervisorOptions extends SupervisorConfig {
  /** The supervisor's own log; default JSON lines on stderr. */
  log?: Logger;
}

export interface ChildStatus extends ChildStatusBase {
  validator: string;
  role: Role;
}

export interface SupervisorEvents {
  ready: [ReadyEvent];
  exit: [ExitEvent];
  restart: [RestartEvent];
  'gave-up': [GaveUpEvent];
}

interface Validator {
  name: string;
  overlay: SupervisedChild;
  core: SupervisedChild;
}

/**
 * An overlay-sidecar child under this Node with the overlay's runtime flags and malloc environment (variables this
 * process sets itself win), ready on its "ready" log line.
 */
export function overlayProcess(args: string[], more: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    command: overlayCommand(args),
    env: launchEnv(),
    readiness: { kind: 'log-line', pattern: OVERLAY_READY_PATTERN },
    ...more,
  };
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  /** supervisor_child_{restarts_total,up,gave_up}, labelled by child. */
  readonly registry = new Registry();
  private readonly logDir: string;
  private readonly log: Logger;
  /** Fixed at construction: at most MAX_VALIDATORS (spec.ts) validators, nothing added or evicted later. */
  private readonly validators: Validator[] = [];
  private readonly children = new Map<string, { child: SupervisedChild; validator: string; role: Role }>();
  private started = false;
  private stopping: Promise<void> | null = null;
  /** Children live in their own process groups; if this process dies, take them along. */
  private readonly killAll = () => {
    for (const { child } of this.children.values()) child.kill('SIGKILL');
  };

  /** Throws SupervisorError CONFIG_INVALID on bad options. */
  constructor(opts: SupervisorOptions) {
    super();
    const config = parseSupervisorConfig({ logDir: opts.logDir, validators: opts.validators });
    this.logDir = config.logDir;
    this.log = opts.log ?? createLogger('supervisor');
    const metrics = createSupervisorMetrics(this.registry);
    for (const v of config.validators) {
      const make = (role: Role, gate?: () => Promise<void>) => {
        const name = `${v.name}-${role}`;
        const child = new SupervisedChild({ spec: { ...v[role], name }, logDir: this.logDir, log: this.log, metrics, gate });
        child.on('ready', (e) => this.emit('ready', e));
        child.on('exit', (e) => this.emit('exit', e));
        child.on('restart', (e) => this.emit('restart', e));
        child.on('gave-up', (e) => this.emit('gave-up', e));
        this.children.set(name, { child, validator: v.name, role });
        return child;
      };
      const overlay = make('overlay');
      // Also on every restart of the core: it connects to its overlay, so it waits for it to be ready.
      const core = make('core', () => overlay.waitReady());
      this.validators.push({ name: v.name, overlay, core });
    }
  }

  /** Starts every validator in parallel (overlay, then core once the overlay is ready); resolves when all are
   * ready. Rejects (GAVE_UP) if a child is given up on first, or (STOPPED) if stop() is called meanwhile. */
  async start(): Promise<void> {
    if (this.started) throw new SupervisorError('ALREADY_STARTED', 'the supervisor was already started');
    this.started = true;
    mkdirSync(this.logDir, { recursive: true });
    process.on('exit', this.killAll);
    this.log.info('starting', { validators: this.validators.map((v) => v.name), logDir: this.logDir });
    await Promise.all(
      this.validators.map(async ({ overlay, core }) => {
        overlay.start();
        core.start();
        await overlay.waitReady();
        await core.waitReady();
      }),
    );
    this.log.info('all ready', { children: this.status().map(({ name, pid }) => ({ name, pid })) });
  }

  /** Ordered shutdown: no more restarts; all cores stopped, then all overlays. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  status(): ChildStatus[] {
    return [...this.children.values()].map(({ child, validator, role }) => ({ ...child.status(), validator, role }));
  }

  /** `<validator>-overlay` or `<validator>-core`. */
  child(name: string): ChildHandle {
    const entry = this.children.get(name);
    if (entry === undefined) throw new SupervisorError('UNKNOWN_CHILD', `no child named ${JSON.stringify(name)}`);
    return entry.child;
  }

  private async shutdown(): Promise<void> {
    const all = this.validators.flatMap((v) => [v.core, v.overlay]);
    for (const child of all) child.hold();
    this.log.info('stopping: cores first, then overlays');
    await Promise.all(this.validators.map((v) => v.core.stop()));
    await Promise.all(this.validators.map((v) => v.overlay.stop()));
    await Promise.all(all.map((c) => c.closeLog()));
    process.off('exit', this.killAll);
    this.log.info('stopped', { restarts: Object.fromEntries(all.map((c) => [c.name, c.restarts])) });
  }
}

/** Reads a JSON config file; relative paths in it are taken from the file's directory. */
export function loadSupervisorConfig(path: string): SupervisorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new SupervisorError('CONFIG_UNREADABLE', `cannot read ${path} as JSON: ${(cause as Error).message}`, { cause });
  }
  const config = parseSupervisorConfig(raw);
  const base = dirname(resolve(path));
  const fromBase = (spec: ProcessSpec): ProcessSpec => ({
    ...spec,
    ...(spec.cwd === undefined ? {} : { cwd: resolve(base, spec.cwd) }),
    readiness: spec.readiness.kind === 'unix-socket' ? { kind: 'unix-socket', path: resolve(base, spec.readiness.path) } : spec.readiness,
  });
  return {
    logDir: resolve(base, config.logDir),
    validators: config.validators.map((v: ValidatorSpec) => ({ ...v, overlay: fromBase(v.overlay), core: fromBase(v.core) })),
  };
}

/** SIGINT/SIGTERM → supervisor.stop() (ordered); a second signal kills every child at once and exits 130.
 * Resolves with the first signal. */
export function stopOnSignals(supervisor: Supervisor, log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    let received: NodeJS.Signals | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received === null) {
        received = signal;
        log.info('signal: stopping', { signal });
        resolveSignal(signal);
        return;
      }
      log.warn('second signal: killing all children', { signal });
      for (const { name } of supervisor.status()) supervisor.child(name).kill('SIGKILL');
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

const USAGE = `usage: node scripts/supervisor.ts --config supervise.json [--log-level debug|info|warn|error]

supervise.json: { "logDir": "logs", "validators": [ { "name": "v0",
  "overlay": { "command": ["node", "overlay/bin/overlay-sidecar.ts", "--config", "v0.toml"],
               "readiness": { "kind": "log-line", "pattern": "\\"msg\\":\\"ready\\"" } },
  "core": { "command": [...], "readiness": { "kind": "none" } } } ] }
readiness kinds: log-line (pattern: a substring), http (url: 2xx = ready), unix-socket (path), none.
Optional per child: env, cwd, stopSignal, stopTimeoutMs, readyTimeoutMs, restart { initialDelayMs, maxDelayMs,
resetAfterMs, fatalExitCodes, maxFatalExits }.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'log-level': { type: 'string', default: 'info' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const level = values['log-level'];
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`supervisor: --log-level: expected debug, info, warn or error\n`);
    return 2;
  }
  const log = createLogger('supervisor', level as Level);
  let supervisor: Supervisor;
  try {
    if (values.config === undefined) throw new SupervisorError('CONFIG_INVALID', '--config <file.json> is required');
    supervisor = new Supervisor({ ...loadSupervisorConfig(values.config), log });
  } catch (err) {
    if (!(err instanceof SupervisorError)) throw err;
    process.stderr.write(`supervisor: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  let unclean = false;
  supervisor.on('gave-up', () => (unclean = true));
  supervisor.on('exit', (e) => (unclean ||= e.killed));
  const signalled = stopOnSignals(supervisor, log);
  const started = supervisor.start().then(
    () => true,
    (err: Error) => {
      if (err instanceof SupervisorError && err.code === 'STOPPED') return true; // a signal came first
      log.error('start failed', { err });
      return false;
    },
  );
  const outcome = await Promise.race([started, signalled]);
  if (outcome === false) {
    await supervisor.stop();
    return 1;
  }
  await signalled;
  await supervisor.stop();
  return unclean ? 1 : 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`supervisor: fatal: ${(err as Error)?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
