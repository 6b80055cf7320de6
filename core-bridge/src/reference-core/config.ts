// The reference core's configuration: its command line, validated with zod. Defaults with their source.
import { parseArgs } from 'node:util';
import { Keypair, StrKey } from '@stellar/stellar-base';
import { z } from 'zod';
import { defaultThreshold } from './consensus.ts';
import { CoreError } from './errors.ts';
import { MAX_GENESIS_ACCOUNTS } from './genesis.ts';

export const DEFAULTS = {
  /** The overlay's default network (overlay/src/config/defaults.ts): Stellar's test network. */
  network: 'Test SDF Network ; September 2015',
  /** stellar-core: 5 s ledgers on the real network; the brief asks for 1 s here. */
  ledgerMs: 1000,
  /** The brief: 10,000 genesis accounts. */
  accounts: 10_000,
  /** The brief: 5,000 operations per tx set. */
  maxOps: 5000,
  /** Ours: tx-set bytes, half of a 16 MiB IPC frame (ipc-protocol MAX_PAYLOAD) so a set always fits one frame. */
  maxBytes: 8 * 1024 * 1024,
  /** 0: any free port (the ready line says which). */
  httpPort: 0,
} as const;

const seed = z.string().refine((s) => StrKey.isValidEd25519SecretSeed(s), 'not a Stellar secret seed (S...)');
const nodeKey = z.string().refine((s) => StrKey.isValidEd25519PublicKey(s), 'not a Stellar public key (G...)');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const coreConfigSchema = z
  .object({
    socket: z.string().min(1),
    seed,
    validators: z
      .string()
      .transform((s) => s.split(',').map((k) => k.trim()).filter((k) => k.length > 0))
      .pipe(z.array(nodeKey).min(1).max(100)),
    threshold: int(1, 100).optional(),
    ledgerMs: int(50, 60_000).default(DEFAULTS.ledgerMs),
    accounts: int(1, MAX_GENESIS_ACCOUNTS).default(DEFAULTS.accounts),
    httpPort: int(0, 65535).default(DEFAULTS.httpPort),
    dataDir: z.string().min(1).optional(),
    network: z.string().min(1).max(256).default(DEFAULTS.network),
    maxOps: int(1, 1_000_000).default(DEFAULTS.maxOps),
    maxBytes: int(1024, 16 * 1024 * 1024).default(DEFAULTS.maxBytes),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .transform((c, ctx) => {
    const validators = [...new Set(c.validators)].sort();
    const self = Keypair.fromSecret(c.seed).publicKey();
    if (!validators.includes(self)) {
      ctx.addIssue({ code: 'custom', path: ['validators'], message: `must include this node's key ${self}` });
      return z.NEVER;
    }
    const threshold = c.threshold ?? defaultThreshold(validators.length);
    if (threshold > validators.length) {
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: `at most the number of validators (${validators.length})` });
      return z.NEVER;
    }
    return { ...c, validators, threshold, self };
  });

export type CoreConfig = z.output<typeof coreConfigSchema>;

export const USAGE = `usage: reference-core --socket PATH --seed S... --validators G1,G2,... [--threshold k] [--ledger-ms ${DEFAULTS.ledgerMs}]
       [--accounts ${DEFAULTS.accounts}] [--http-port P] [--data-dir D] [--network PASSPHRASE] [--max-ops ${DEFAULTS.maxOps}]
       [--max-bytes ${DEFAULTS.maxBytes}] [--log-level info]`;

/** Parses and validates the command line; throws CoreError CONFIG_INVALID with every problem named. */
export function parseCoreArgs(argv: string[]): CoreConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        socket: { type: 'string' },
        seed: { type: 'string' },
        validators: { type: 'string' },
        threshold: { type: 'string' },
        'ledger-ms': { type: 'string' },
        accounts: { type: 'string' },
        'http-port': { type: 'string' },
        'data-dir': { type: 'string' },
        network: { type: 'string' },
        'max-ops': { type: 'string' },
        'max-bytes': { type: 'string' },
        'log-level': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new CoreError('CONFIG_INVALID', (err as Error).message);
  }
  const camel = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.replace(/-(.)/g, (_, c: string) => c.toUpperCase()), v]));
  const r = coreConfigSchema.safeParse(camel);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `--${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: ${i.message}`);
    throw new CoreError('CONFIG_INVALID', problems.join('; '));
  }
  return r.data;
}
