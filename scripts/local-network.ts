// `npm start`: a local network of validators on loopback under load. Each validator is an overlay process and a
// reference core (core-bridge/bin/reference-core.ts), started and restarted by the supervisor; a load generator sends
// signed payments through the cores. One line of live stats a second; Ctrl-C (or --duration) stops everything in
// order (cores, then overlays) and prints a summary, including whether every validator closed identical ledgers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LoadGenerator } from '../core-bridge/src/loadgen/load-generator.ts';
import { createLogger } from '../overlay/src/util/log.ts';
import { PASSPHRASE, coreStats, validatorNet } from './lib/validator-net.ts';
const USAGE = `usage: npm start -- [--validators 4] [--tps 200] [--ledger-ms 1000] [--duration <s, 0 = until Ctrl-C>] [--accounts 10000] [--dir DIR]`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flagsSchema = z.object({
  validators: int(2, 16).default(4),
  tps: int(0, 100_000).default(200),
  ledgerMs: int(100, 60_000).default(1000),
  duration: int(0, 86_400).default(0),
  accounts: int(1, 100_000).default(10_000),
  dir: z.string().min(1).optional(),
});

let flags: z.output<typeof flagsSchema>;
try {
  const { values } = parseArgs({
    strict: true,
    options: {
      validators: { type: 'string' },
      tps: { type: 'string' },
      'ledger-ms': { type: 'string' },
      duration: { type: 'string' },
      accounts: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const r = flagsSchema.safeParse({ ...values, ledgerMs: values['ledger-ms'] });
  if (!r.success) throw new Error(r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '));
  flags = r.data;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

const n = flags.validators;
const root = flags.dir ?? mkdtempSync(join(tmpdir(), 'overlay-net-'));
const log = createLogger('local-network', 'warn');
const net = await validatorNet({ root, validators: n, ledgerMs: flags.ledgerMs, accounts: flags.accounts, log });
const supervisor = net.supervisor;

console.log(`starting ${n} validators (overlay + reference core each; logs in ${join(root, 'logs')})…`);
supervisor.on('restart', (e) => console.log(`restart: ${JSON.stringify(e)}`));

let stopping: Promise<void> | null = null;
let loadgen: LoadGenerator | null = null;
const coreUrls: string[] = [];
const started = Date.now();

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));

async function stop(reason: string): Promise<void> {
  stopping ??= (async () => {
    clearInterval(ticker);
    console.log(`\nstopping (${reason})…`);
    await loadgen?.stop();
    const final = await Promise.all(coreUrls.map(coreStats));
    const common = Math.min(...final.map((s) => s?.ledger.seq ?? 0));
    const hashes = await Promise.all(
      coreUrls.map(async (u) => {
        try {
          return ((await (await fetch(`${u}/ledger/${common}`)).json()) as { hash: string }).hash;
        } catch {
          return null;
        }
      }),
    );
    await supervisor.stop();
    const lg = loadgen?.stats();
    const s0 = final[0];
    console.log('\nsummary');
    console.log(`  ran ${((Date.now() - started) / 1000).toFixed(0)} s; ${n} validators; ledgers closed: ${final.map((s) => s?.ledger.seq ?? '?').join(', ')}`);
    console.log(`  ledger ${common}: ${hashes.every((h) => h !== null && h === hashes[0]) ? 'identical hash on every validator' : `HASHES DIFFER: ${hashes.join(' ')}`}`);
    if (s0) console.log(`  txs applied: ${s0.ledger.totals.applied} (skipped ${s0.ledger.totals.skipped}); submission → externalization p50 ${fmt(s0.submissions.p50)} ms, p99 ${fmt(s0.submissions.p99)} ms (core v0)`);
    if (lg) console.log(`  load: target ${lg.targetTps} tx/s, submitted ${lg.submitted}, accepted ${lg.accepted}, confirmed ${lg.confirmed}, lost ${lg.lost}, rejected ${JSON.stringify(lg.rejected)}`);
    console.log(`  restarts: ${supervisor.status().reduce((a, c) => a + c.restarts, 0)}; logs in ${join(root, 'logs')}`);
    process.exit(0);
  })();
  return stopping;
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

let lastApplied = 0;
let ticker: NodeJS.Timeout | undefined;

try {
  coreUrls.push(...(await net.start()));
} catch (err) {
  console.error(`could not start the network: ${(err as Error).message}`);
  await supervisor.stop();
  process.exit(1);
}
console.log(`validators ready: ${coreUrls.join(' ')}`);
if (flags.tps > 0) {
  loadgen = new LoadGenerator({ cores: coreUrls, tps: flags.tps, accounts: flags.accounts, networkPassphrase: PASSPHRASE });
  await loadgen.start();
}
console.log('   t  ledger  closed-tps  mempool(per node)        peers      submit→ext p50/p99 ms   load accepted/confirmed');
ticker = setInterval(async () => {
  const stats = await Promise.all(coreUrls.map(coreStats));
  const s0 = stats.find((s) => s !== null);
  const applied = s0?.ledger.totals.applied ?? lastApplied;
  lastApplied = applied;
  const lg = loadgen?.stats();
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(
    `${t}  ${fmt(s0?.ledger.seq).padStart(6)}  ${fmt(s0?.ledger.closedTps, 1).padStart(10)}  ` +
      `${stats.map((s) => fmt(s?.overlay?.mempoolTxs)).join('/').padEnd(23)}  ` +
      `${stats.map((s) => fmt((s?.overlay?.peersInbound ?? NaN) + (s?.overlay?.peersOutbound ?? NaN))).join('/').padEnd(9)}  ` +
      `${`${fmt(s0?.submissions.p50)}/${fmt(s0?.submissions.p99)}`.padStart(22)}   ${lg ? `${lg.accepted}/${lg.confirmed}` : '-'}`,
  );
}, 1000);
if (flags.duration > 0) setTimeout(() => void stop(`--duration ${flags.duration}`), flags.duration * 1000);
