// How the overlay's process runs, defined once: node's V8 heap flags and glibc malloc's environment. Every launcher
// of ours takes them from here (scripts/lib/overlay-launch.ts and the supervisor's overlayProcess, hence the tests
// and benchmarks), and the bin's shebang repeats them for stellar-core, which runs overlay/bin/overlay-sidecar.ts
// directly (a unit test keeps the two equal). The overlay names them in its "ready" line and warns once at start
// when the heap flags are missing.
//
// Source: docs/bench/notes/mempool.md ("Runtime flags"): scripts/bench-mempool.ts, a full 100,000-tx mempool plus
// 50,000 evicting submissions, high-water mark of the overlay's RSS (issue 6's goal: 300 MB). Node's defaults:
// 442–446 MB; the heap flags: 297–322 MB; with the malloc environment as well: 299–305 MB; semi-spaces of 2 MB
// instead of 4 (third pass, later code): 283–290 MB against 287–311.

/** V8's semi-space cap for every isolate of the overlay (node's default on a machine with this much memory: 64). */
export const SEMI_SPACE_MB = 2;

/**
 * V8 heap flags, on node's command line (`--heap-growing-percent` is not allowed in NODE_OPTIONS).
 * - `--max-semi-space-size=2`: each isolate's young generation (the main thread's and every verify worker's) at
 *   most 2 × 2 MB semi-spaces instead of 2 × 64 MB: start RSS −40 MB, each verify worker −25 MB. 2 rather than 4:
 *   −4 MB at start, −5 to −10 MB at the peak and a tighter spread, no CPU difference beyond the runs' noise.
 * - `--heap-growing-percent=50`: the old generation grows by half its live size before the next full GC rather
 *   than by up to 4× on a machine with this much memory: −80 to −100 MB under load.
 * Cost: 10–30 % more overlay CPU per submission (more frequent GCs).
 */
export const OVERLAY_NODE_FLAGS: readonly string[] = [`--max-semi-space-size=${SEMI_SPACE_MB}`, '--heap-growing-percent=50'];

/**
 * glibc malloc's tuning for the overlay's process (other C libraries ignore these variables). Together −10 to −15 MB
 * of RSS under load and at start, no measurable CPU cost; either alone was within the runs' noise.
 * - `MALLOC_ARENA_MAX=2`: at most two malloc arenas instead of 8 per core, so the verify workers', V8's and libuv's
 *   threads do not each keep an arena of freed memory.
 * - `MALLOC_MMAP_THRESHOLD_=65536`: blocks of 64 KiB and more (the mempool's 1 MiB slabs, IPC frames, verify
 *   batches) are mapped on their own and unmapped when freed; by default the threshold rises to the largest block
 *   freed, after which such blocks come from the arenas and leave holes there when freed.
 */
export const OVERLAY_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' };

/**
 * Worker threads' resource limits: the young generation is 2 semi-spaces plus a new-large-object space of one
 * semi-space, so 3 × SEMI_SPACE_MB caps a worker as `--max-semi-space-size` would, also in a process launched
 * without the flags (the flag, when given, takes precedence). No old-generation limit: a worker past it dies.
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 3 * SEMI_SPACE_MB } as const;

/** Our launchers' override: when set, its space-separated flags replace OVERLAY_NODE_FLAGS (empty: no flags). */
export const NODE_FLAGS_ENV = 'OVERLAY_NODE_FLAGS';

/** The shebang of overlay/bin/overlay-sidecar.ts: `env -S` (GNU coreutils ≥ 8.30) sets OVERLAY_ENV and splits the flags off. */
export function overlayShebang(): string {
  const env = Object.entries(OVERLAY_ENV).map(([k, v]) => `${k}=${v}`);
  return `#!/usr/bin/env -S ${env.join(' ')} node ${OVERLAY_NODE_FLAGS.join(' ')}`;
}

/** The node flags our launchers put before the overlay's script: NODE_FLAGS_ENV when set, else OVERLAY_NODE_FLAGS. */
export function launchNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env[NODE_FLAGS_ENV];
  return override === undefined ? [...OVERLAY_NODE_FLAGS] : splitFlags(override);
}

/** What our launchers add to the environment an overlay inherits: OVERLAY_ENV's variables that `env` does not set. */
export function launchEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(OVERLAY_ENV).filter(([k]) => env[k] === undefined));
}

/** How a process runs: its node flags (command line, NODE_OPTIONS) and the values of OVERLAY_ENV's variables. */
export interface RunningNodeFlags {
  execArgv: string[];
  nodeOptions: string | null;
  env: Record<string, string | null>;
}

export function runningNodeFlags(): RunningNodeFlags {
  return {
    execArgv: [...process.execArgv],
    nodeOptions: process.env['NODE_OPTIONS'] || null,
    env: Object.fromEntries(Object.keys(OVERLAY_ENV).map((k) => [k, process.env[k] ?? null])),
  };
}

/**
 * The recommended heap flags (OVERLAY_NODE_FLAGS) a process runs without: those whose name appears neither on its
 * command line nor in NODE_OPTIONS. A flag given another value (an operator's choice) counts as present.
 */
export function missingNodeFlags(running: Pick<RunningNodeFlags, 'execArgv' | 'nodeOptions'> = runningNodeFlags()): string[] {
  const given = new Set([...running.execArgv, ...splitFlags(running.nodeOptions ?? '')].map(flagName));
  return OVERLAY_NODE_FLAGS.filter((f) => !given.has(flagName(f)));
}

function splitFlags(s: string): string[] {
  return s.split(/\s+/).filter((f) => f !== '');
}

/** `--max_semi_space_size=8` → `--max-semi-space-size`: V8 reads `_` and `-` alike. */
function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return (eq < 0 ? arg : arg.slice(0, eq)).replaceAll('_', '-');
}
