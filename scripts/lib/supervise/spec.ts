// What the supervisor runs: validators, each an overlay child and a core child described by a generic process spec;
// the defaults (each with its source) and the validation of options coming from JSON or from a program.
import { constants as osConstants } from 'node:os';
import { z } from 'zod';
import { formatIssues } from '../../../overlay/src/config/load.ts';
import { SupervisorError } from './errors.ts';

/** How the supervisor tells that a child is up. `log-line`: a string is a substring, a RegExp is tested. */
export type Readiness =
  | { kind: 'log-line'; pattern: string | RegExp }
  | { kind: 'http'; url: string }
  | { kind: 'unix-socket'; path: string }
  | { kind: 'none' };

export interface RestartPolicy {
  /** First delay after a crash; doubles on each further crash. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child that stayed up this long starts again from initialDelayMs. */
  resetAfterMs: number;
  /** Exit codes meaning "bad config": restarting will not help, so give up after maxFatalExits in a row. */
  fatalExitCodes: number[];
  maxFatalExits: number;
}

/** One process, generic: the overlay, the reference core, stellar-core, or a test's stand-in. */
export interface ProcessSpec {
  command: string[];
  /** Added to the supervisor's own environment. */
  env?: Record<string, string>;
  cwd?: string;
  readiness: Readiness;
  stopSignal?: NodeJS.Signals;
  /** After stopSignal, how long before SIGKILL. */
  stopTimeoutMs?: number;
  /** A child not ready by then is killed and counts as a crash. */
  readyTimeoutMs?: number;
  restart?: Partial<RestartPolicy>;
}

export interface ChildSpec extends ProcessSpec {
  name: string;
}

export interface ValidatorSpec {
  /** Names the children (`<name>-overlay`, `<name>-core`) and their log files: letters, digits, `_.-`. */
  name: string;
  overlay: ProcessSpec;
  core: ProcessSpec;
}

export interface SupervisorConfig {
  logDir: string;
  validators: ValidatorSpec[];
}

export const DEFAULT_RESTART: Readonly<RestartPolicy> = {
  /** Ours: a crash loop costs at most 4 spawns in the first second. */
  initialDelayMs: 250,
  /** Ours: a child that keeps crashing is still retried twice a minute. */
  maxDelayMs: 30_000,
  resetAfterMs: 30_000,
  /** overlay-sidecar exits 2 on a config error (overlay/bin/overlay-sidecar.ts). */
  fatalExitCodes: [2],
  maxFatalExits: 3,
};

export const DEFAULTS = {
  stopSignal: 'SIGTERM' as NodeJS.Signals,
  /** Ours: above overlay-sidecar's own 10 s stop deadline, so a slow but healthy stop is not cut short. */
  stopTimeoutMs: 15_000,
  /** Ours: an overlay is ready in 1–3 s; a loaded machine is many times slower. */
  readyTimeoutMs: 60_000,
} as const;

/** Ours: children are fixed at construction; this bounds them (two per validator). */
export const MAX_VALIDATORS = 64;

const positive = z.number().int().min(1);
const signalName = z.custom<NodeJS.Signals>(
  (s) => typeof s === 'string' && /^SIG[A-Z0-9]+$/.test(s) && s in osConstants.signals,
  'expected a signal name such as "SIGTERM"',
);

const readinessSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('log-line'), pattern: z.union([z.string().min(1), z.instanceof(RegExp)]) }),
  z.strictObject({ kind: z.literal('http'), url: z.url({ protocol: /^https?$/ }) }),
  z.strictObject({ kind: z.literal('unix-socket'), path: z.string().min(1) }),
  z.strictObject({ kind: z.literal('none') }),
]);

const processSchema = z.strictObject({
  command: z.tuple([z.string().min(1, 'expected a program')], z.string()),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  readiness: readinessSchema,
  stopSignal: signalName.optional(),
  stopTimeoutMs: positive.optional(),
  readyTimeoutMs: positive.optional(),
  restart: z
    .strictObject({
      initialDelayMs: positive,
      maxDelayMs: positive,
      resetAfterMs: positive,
      fatalExitCodes: z.array(z.number().int().min(1).max(255)),
      maxFatalExits: positive,
    })
    .partial()
    .optional(),
});

const configSchema: z.ZodType<SupervisorConfig> = z
  .strictObject({
    logDir: z.string().min(1),
    validators: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected 1–64 letters, digits, "_", "." or "-"'),
          overlay: processSchema,
          core: processSchema,
        }),
      )
      .min(1)
      .max(MAX_VALIDATORS),
  })
  .refine((c) => new Set(c.validators.map((v) => v.name)).size === c.validators.length, {
    message: 'validator names must be unique',
    path: ['validators'],
  });

/** Validates options from JSON or a program; throws SupervisorError CONFIG_INVALID listing every problem. */
export function parseSupervisorConfig(raw: unknown): SupervisorConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SupervisorError('CONFIG_INVALID', `invalid supervisor configuration:\n  ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

export function restartPolicy(spec: ProcessSpec): RestartPolicy {
  return { ...DEFAULT_RESTART, ...spec.restart };
}
