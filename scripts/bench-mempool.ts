// Mempool memory: one overlay, its default 100,000-tx mempool filled, then kept under submission load, RSS
// sampled. Writes bench-results/mempool.json. (Moved out of scripts/bench-e2e.ts.)
import { OverlayClient } from '../core-bridge/src/client/overlay-client.ts';
import { machineInfo } from './lib/bench/machine.ts';
import { rssMb } from './lib/bench/proc-mem.ts';
import { commandLine, goal, writeBenchRecord } from './lib/bench/results.ts';
import { paymentSet, shapeFor } from './lib/bench/signed-payments.ts';
import { startOverlayNet } from './lib/overlay-net.ts';
import { PASSPHRASE } from './lib/validator-net.ts';

const MEMPOOL_TXS = 100_000;
const RSS_LIMIT_MB = 300;

const machine = machineInfo();
let mempool: { txs: number; rssStartMb: number | null; rssPeakMb: number; secs: number };
const one = await startOverlayNet({ n: 1, toml: '[tx]\nverify_signatures = false' });
try {
  const o = one.overlays[0]!;
  const pid = o.launched.proc.pid;
  const client = await OverlayClient.connect({ socketPath: o.socketPath, networkPassphrase: PASSPHRASE });
  const rssStart = rssMb(pid);
  console.log(`building ${MEMPOOL_TXS + 20_000} payments for the mempool check (signature checks off)…`);
  const txs = paymentSet({ count: MEMPOOL_TXS + 20_000, shape: shapeFor(250), firstAccount: 5_000_000, signed: false, networkPassphrase: PASSPHRASE });
  let peak = 0;
  const t0 = Date.now();
  for (let i = 0; i < txs.length; i += 1000) {
    await client.submitTxBatch(txs.slice(i, i + 1000));
    peak = Math.max(peak, rssMb(pid) ?? 0);
  }
  const stats = await client.stats();
  const heap = await fetch(`${o.ready.admin}/metrics`).then((r) => r.text()).then((t) => /^overlay_nodejs_heap_size_used_bytes (\S+)$/m.exec(t)?.[1]);
  console.log(`heap used after the fill: ${(Number(heap) / 2 ** 20).toFixed(0)} MiB`);
  mempool = { txs: stats.mempoolTxs, rssStartMb: rssStart, rssPeakMb: peak, secs: (Date.now() - t0) / 1000 };
  console.log(`mempool: ${stats.mempoolTxs} txs held; overlay RSS ${rssStart?.toFixed(0)} MB at start, peak ${peak.toFixed(0)} MB`);
  await client.close();
} finally {
  await one.stop();
}

const goals = [goal(`overlay RSS with a full mempool (${mempool.txs} txs)`, mempool.rssPeakMb, RSS_LIMIT_MB, 'MB', 'max')];
for (const g of goals) console.log(`goal: ${g.what}: ${g.measured.toFixed(0)} ${g.unit} (target ${g.kind === 'min' ? '≥' : '≤'} ${g.target}) ${g.met ? 'met' : 'NOT met'}`);
const file = writeBenchRecord({
  bench: 'mempool',
  command: commandLine('bench:mempool'),
  at: new Date().toISOString(),
  machine: machine.end(),
  params: { txs: MEMPOOL_TXS },
  results: { mempool },
  goals,
});
console.log(`wrote ${file}`);
process.exit(0);
