#!/usr/bin/env node
// loadgen: signed payments from the genesis accounts at a target rate, spread over reference cores' HTTP APIs.
// Prints one JSON stats line a second on stdout and a summary at the end (--duration, or SIGINT/SIGTERM).
// Exit codes: 0 done, 2 bad flags, 1 fatal.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LoadGenerator, LOADGEN_DEFAULTS } from '../src/loadgen/load-generator.ts';
import { MAX_GENESIS_ACCOUNTS } from '../src/reference-core/genesis.ts';
import { createLogger } from '../src/reference-core/log.ts';

const USAGE = `usage: loadgen --cores URL1,URL2 --tps 200 --accounts N [--duration S] [--network PASSPHRASE] [--batch-ms ${LOADGEN_DEFAULTS.batchIntervalMs}]`;

const schema = z.object({
  cores: z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
    .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1).max(64)),
  tps: z.coerce.number().positive().max(1_000_000),
  accounts: z.coerce.number().int().min(2).max(MAX_GENESIS_ACCOUNTS),
  duration: z.coerce.number().min(0).default(0),
  network: z.string().min(1).default(LOADGEN_DEFAULTS.networkPassphrase),
  batchMs: z.coerce.number().int().min(5).max(10_000).default(LOADGEN_DEFAULTS.batchIntervalMs),
});

function parse(): z.output<typeof schema> | string {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      strict: true,
      options: {
        cores: { type: 'string' },
        tps: { type: 'string' },
        accounts: { type: 'string' },
        duration: { type: 'string' },
        network: { type: 'string' },
        'batch-ms': { type: 'string' },
      },
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    return (err as Error).message;
  }
  const r = schema.safeParse({ ...values, batchMs: values['batch-ms'] });
  if (r.success) return r.data;
  return r.error.issues.map((i) => `--${String(i.path[0] ?? '').replace('batchMs', 'batch-ms')}: ${i.message}`).join('; ');
}

const opts = parse();
if (typeof opts === 'string') {
  process.stderr.write(`loadgen: ${opts}\n${USAGE}\n`);
  process.exit(2);
}
const log = createLogger('loadgen');
const gen = new LoadGenerator({
  cores: opts.cores,
  tps: opts.tps,
  accounts: opts.accounts,
  networkPassphrase: opts.network,
  batchIntervalMs: opts.batchMs,
  log,
});

let finished = false;
async function finish(why: string): Promise<void> {
  if (finished) return;
  finished = true;
  clearInterval(statsTimer);
  await gen.stop();
  process.stdout.write(JSON.stringify({ msg: 'summary', why, ...gen.stats() }) + '\n');
  process.exit(0);
}

const statsTimer = setInterval(() => process.stdout.write(JSON.stringify({ msg: 'stats', ...gen.stats() }) + '\n'), 1000);
process.once('SIGINT', () => void finish('SIGINT'));
process.once('SIGTERM', () => void finish('SIGTERM'));
try {
  await gen.start();
} catch (err) {
  log.error('cannot start', { err: (err as Error).message });
  process.exit(1);
}
if (opts.duration > 0) setTimeout(() => void finish(`--duration ${opts.duration}`), opts.duration * 1000);
