// `npm run bench`: every benchmark in turn (codec, ipc, flood, and e2e once scripts/bench-e2e.ts exists), each in
// its own process under this Node, then the report (scripts/bench-report.ts → docs/benchmarks.md). A missing
// script is skipped with a note; a bench that fails or writes no JSON is noted and the others still run.
//   node scripts/bench-all.ts [--only codec,ipc] [--skip flood]
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KNOWN_BENCHES } from './lib/bench/benches.ts';
import { RESULTS_DIR } from './lib/bench/results.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const REPORT = join(ROOT, 'scripts', 'bench-report.ts');

const { values: args } = parseArgs({ options: { only: { type: 'string' }, skip: { type: 'string' } } });
const only = args.only?.split(',');
const skip = new Set(args.skip?.split(',') ?? []);

function run(script: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { cwd: ROOT, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(signal === null ? code : null));
  });
}

/** mtime of bench-results/<bench>.json, or 0 if absent. */
function resultTime(bench: string): number {
  const f = join(RESULTS_DIR, `${bench}.json`);
  return existsSync(f) ? statSync(f).mtimeMs : 0;
}

const summary: { bench: string; outcome: string; seconds: number }[] = [];
let failed = false;
for (const b of KNOWN_BENCHES) {
  if ((only !== undefined && !only.includes(b.bench)) || skip.has(b.bench)) continue;
  const script = join(ROOT, b.script);
  if (!existsSync(script)) {
    summary.push({ bench: b.bench, outcome: `skipped: ${b.script} does not exist`, seconds: 0 });
    continue;
  }
  console.log(`\n===== ${b.bench}: node ${b.script} =====\n`);
  const before = resultTime(b.bench);
  const t0 = performance.now();
  const code = await run(script);
  const seconds = (performance.now() - t0) / 1000;
  const wrote = resultTime(b.bench) > before;
  if (code !== 0) {
    failed = true;
    summary.push({ bench: b.bench, outcome: `FAILED (exit ${code ?? 'by signal'})${wrote ? '' : '; no new results'}`, seconds });
  } else {
    summary.push({ bench: b.bench, outcome: wrote ? `wrote bench-results/${b.bench}.json` : `wrote no bench-results/${b.bench}.json: the report shows nothing new from it`, seconds });
  }
}

console.log('\n===== report =====\n');
const reportCode = await run(REPORT);
if (reportCode !== 0) failed = true;

console.log('\nbench summary:');
for (const s of summary) console.log(`  ${s.bench.padEnd(6)} ${s.seconds > 0 ? `${s.seconds.toFixed(0).padStart(4)} s  ` : '        '}${s.outcome}`);
console.log(`  report        ${reportCode === 0 ? 'docs/benchmarks.md and docs/bench/*.svg' : `FAILED (exit ${reportCode})`}`);
process.exitCode = failed ? 1 : 0;
