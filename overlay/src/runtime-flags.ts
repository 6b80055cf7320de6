// The node runtime flags the overlay runs with, defined once. Every launcher of ours takes them from here
// (scripts/lib/overlay-launch.ts, the supervisor's overlayProcess, hence the tests and benchmarks), and the bin's
// shebang repeats them for stellar-core, which runs overlay/bin/overlay-sidecar.ts directly (a unit test keeps the
// two equal). The overlay logs the flags it runs with in its "ready" line and warns once when these are missing.
//
// Source: docs/bench/notes/mempool.md ("V8 heap flags", "Runtime flags"): scripts/bench-mempool.ts, a full
// 100,000-tx mempool plus 50,000 evicting submissions. Node's defaults peaked at 442–446 MB RSS, these flags at
// 302–320 MB (issue 6's goal: 300 MB), for ~10–30 % more overlay CPU per submission.

/** V8's semi-space cap for every isolate of the overlay (node's default on a machine with this much memory: 64). */
export const SEMI_SPACE_MB = 4;

/**
 * V8 heap flags, on node's command line (`--heap-growing-percent` is not allowed in NODE_OPTIONS).
 * - `--max-semi-space-size=4`: each isolate's young generation (the main thread's and every verify worker's) at
 *   most 2 × 4 MB semi-spaces instead of 2 × 64 MB: start RSS −40 MB, each worker −25 MB.
 * - `--heap-growing-percent=50`: the old generation grows by half its live size before the next full GC rather
 *   than by up to 4× on a machine with this much memory: −80 to −100 MB under load.
 */
export const OVERLAY_NODE_FLAGS: readonly string[] = [`--max-semi-space-size=${SEMI_SPACE_MB}`, '--heap-growing-percent=50'];

/**
 * Worker threads' resource limits: the young generation is 2 semi-spaces plus a new-large-object space of one
 * semi-space, so 3 × SEMI_SPACE_MB caps a worker as `--max-semi-space-size` would, also in a process launched
 * without the flags (the flag, when given, takes precedence). No old-generation limit: a worker past it dies.
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 3 * SEMI_SPACE_MB } as const;

/** Our launchers' override: when set, its space-separated flags replace OVERLAY_NODE_FLAGS (empty: no flags). */
export const NODE_FLAGS_ENV = 'OVERLAY_NODE_FLAGS';

/** The shebang of overlay/bin/overlay-sidecar.ts: `env -S` (GNU coreutils ≥ 8.30) splits the flags off. */
export function overlayShebang(): string {
  return `#!/usr/bin/env -S node ${OVERLAY_NODE_FLAGS.join(' ')}`;
}

/** The node flags our launchers put before the overlay's script: NODE_FLAGS_ENV when set, else OVERLAY_NODE_FLAGS. */
export function launchNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env[NODE_FLAGS_ENV];
  return override === undefined ? [...OVERLAY_NODE_FLAGS] : splitFlags(override);
}

/** The node flags a process runs with: its command line's (process.execArgv) and NODE_OPTIONS. */
export interface RunningNodeFlags {
  execArgv: string[];
  nodeOptions: string | null;
}

export function runningNodeFlags(): RunningNodeFlags {
  return { execArgv: [...process.execArgv], nodeOptions: process.env['NODE_OPTIONS'] || null };
}

/**
 * The recommended flags (OVERLAY_NODE_FLAGS) a process runs without: those whose name appears neither on its
 * command line nor in NODE_OPTIONS. A flag given another value (an operator's choice) counts as present.
 */
export function missingNodeFlags(running: RunningNodeFlags = runningNodeFlags()): string[] {
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
