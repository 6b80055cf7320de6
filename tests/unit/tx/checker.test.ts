// TxChecker end to end: the real piscina pool of verify workers, batches across the thread boundary, outcomes in
// order, the pending bound, metrics, and a close() that lets the process exit.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { Networks } from '@stellar/stellar-base';
import { Registry } from 'prom-client';
import { networkIdOf, type TxReasonName } from '#ipc-protocol';
import { flatMetrics } from '../../../overlay/src/metrics/registry.ts';
import { TxChecker, type CheckOutcome, type TxCheckerOptions } from '../../../overlay/src/tx/checker.ts';
import { toHex } from '../../../overlay/src/util/bytes.ts';
import {
  corrupt,
  garbage,
  makeFeeBump,
  makeOversized,
  makePayment,
  testKeypair,
  TEST_PASSPHRASE,
} from '../../fixtures/txs.ts';
import { waitFor } from '../../helpers/wait.ts';

const NETWORK_ID = networkIdOf(TEST_PASSPHRASE);
const MAX_TX_BYTES = 4096;
const SOURCES = Array.from({ length: 20 }, (_, i) => testKeypair(100 + i));
const FEE_SOURCE = testKeypair(99);

interface Case {
  bytes: Uint8Array;
  expect: 'ok' | TxReasonName;
  /** For accepted ones: what TxInfo must say. */
  source?: string;
  seq?: bigint;
  fee?: bigint;
  ops?: number;
}

/** Case i of a deterministic mix of every kind of envelope and every reason the checker decides. */
function mixedCase(i: number): Case {
  const source = SOURCES[i % SOURCES.length]!;
  const seq = BigInt(1000 + i);
  const hex = toHex(source.rawPublicKey());
  switch (i % 10) {
    case 0:
      return { bytes: makePayment({ source, seq }), expect: 'ok', source: hex, seq, fee: 100n, ops: 1 };
    case 1:
      return { bytes: makePayment({ source, seq, envelope: 'v0', fee: 150 }), expect: 'ok', source: hex, seq, fee: 150n, ops: 1 };
    case 2:
      return { bytes: makePayment({ source, seq, muxedId: BigInt(i), ops: 2 }), expect: 'ok', source: hex, seq, fee: 200n, ops: 2 };
    case 3: {
      const inner = makePayment({ source, seq, ops: 3 });
      return { bytes: makeFeeBump({ inner, feeSource: FEE_SOURCE, fee: 800 }), expect: 'ok', source: hex, seq, fee: 800n, ops: 4 };
    }
    case 4:
      return { bytes: corrupt(makePayment({ source, seq }), 'signature'), expect: 'BAD_SIGNATURE' };
    case 5:
      return { bytes: makePayment({ source, seq, networkPassphrase: Networks.PUBLIC }), expect: 'WRONG_NETWORK' };
    case 6:
      return { bytes: makePayment({ source, seq, ops: 2, fee: 199 }), expect: 'FEE_TOO_LOW' };
    case 7:
      return { bytes: makeOversized({ source, seq, minBytes: MAX_TX_BYTES }), expect: 'TOO_LARGE' };
    case 8:
      return { bytes: garbage(100 + i, i), expect: 'MALFORMED_XDR' };
    default:
      return { bytes: corrupt(makePayment({ source, seq }), 'truncate'), expect: 'MALFORMED_XDR' };
  }
}

function expectOutcome(o: CheckOutcome, c: Case, at: number): void {
  const hash = createHash('sha256').update(c.bytes).digest();
  if (c.expect !== 'ok') {
    expect(o.ok ? 'ok' : o.reason, `tx ${at}`).to.equal(c.expect);
    if (!o.ok) expect(Buffer.from(o.hash).equals(hash), `hash of tx ${at}`).to.equal(true);
    return;
  }
  if (!o.ok) throw new Error(`tx ${at}: expected ok, got ${o.reason}`);
  expect(o.tx.key).to.equal(hash.toString('hex'));
  expect(Buffer.from(o.tx.hash).equals(hash)).to.equal(true);
  expect(Buffer.from(o.tx.bytes).equals(Buffer.from(c.bytes))).to.equal(true);
  expect({ source: o.tx.source, seq: o.tx.seq, fee: o.tx.fee, ops: o.tx.ops }, `tx ${at}`).to.deep.equal({
    source: c.source,
    seq: c.seq,
    fee: c.fee,
    ops: c.ops,
  });
}

describe('tx/checker', () => {
  const open: TxChecker[] = [];
  const makeChecker = (over: Partial<TxCheckerOptions> = {}): TxChecker => {
    const c = new TxChecker({
      networkId: NETWORK_ID,
      verifySignatures: true,
      baseFee: 100,
      maxTxBytes: MAX_TX_BYTES,
      batchSize: 64,
      threads: 1,
      ...over,
    });
    open.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  const cases = Array.from({ length: 1000 }, (_, i) => mixedCase(i));

  it('1,000 mixed transactions through checkMany: outcomes in order, each reason right, metrics counted', async () => {
    const registry = new Registry();
    const checker = makeChecker({ registry });
    const outcomes = await checker.checkMany(cases.map((c) => c.bytes));
    expect(outcomes).to.have.length(cases.length);
    outcomes.forEach((o, i) => expectOutcome(o, cases[i]!, i));

    const m = await flatMetrics(registry);
    expect(m['overlay_tx_checks_total{outcome=ok}']).to.equal(400);
    expect(m['overlay_tx_checks_total{outcome=malformed_xdr}']).to.equal(200);
    for (const r of ['bad_signature', 'wrong_network', 'fee_too_low', 'too_large']) {
      expect(m[`overlay_tx_checks_total{outcome=${r}}`], r).to.equal(100);
    }
    expect(m['overlay_tx_check_queue']).to.equal(0);
    // TOO_LARGE never reaches a worker: 900 checks in batches of at most 64.
    expect(m['overlay_tx_check_batch_size_sum']).to.equal(900);
    expect(m['overlay_tx_check_batch_size_count']).to.be.at.least(Math.ceil(900 / 64));
    expect(m['overlay_tx_verify_seconds_count']).to.equal(m['overlay_tx_check_batch_size_count']);
  });

  for (const backend of ['sodium', 'node'] as const) {
    it(`signature backend ${backend}: the same outcomes, and the backend in overlay_tx_signature_backend`, async () => {
      const registry = new Registry();
      const checker = makeChecker({ signatureBackend: backend, registry });
      expect(checker.signatureBackend).to.equal(backend);
      const some = cases.slice(0, 200); // every kind, 20 times
      const outcomes = await checker.checkMany(some.map((c) => c.bytes));
      outcomes.forEach((o, i) => expectOutcome(o, some[i]!, i));
      const m = await flatMetrics(registry);
      const other = backend === 'sodium' ? 'node' : 'sodium';
      expect([m[`overlay_tx_signature_backend{backend=${backend}}`], m[`overlay_tx_signature_backend{backend=${other}}`]]).to.deep.equal([1, 0]);
      expect(m['overlay_tx_signature_backend{backend=none}']).to.equal(0);
    });
  }

  it('backend "auto" (the default) is sodium here; checks off report none', async () => {
    expect(makeChecker().signatureBackend).to.equal('sodium');
    const registry = new Registry();
    const off = makeChecker({ verifySignatures: false, signatureBackend: 'sodium', registry });
    expect(off.signatureBackend).to.equal(null);
    const m = await flatMetrics(registry);
    expect(m['overlay_tx_signature_backend{backend=none}']).to.equal(1);
    expect(m['overlay_tx_signature_backend{backend=sodium}']).to.equal(0);
  });

  it('the same through check, submitted together and one per tick', async () => {
    const checker = makeChecker();
    const together = await Promise.all(cases.map((c) => checker.check(c.bytes)));
    together.forEach((o, i) => expectOutcome(o, cases[i]!, i));
    for (let i = 0; i < 20; i++) expectOutcome(await checker.check(cases[i]!.bytes), cases[i]!, i);
  });

  it('copies the bytes during check: the caller may reuse its buffer at once', async () => {
    const checker = makeChecker();
    const tx = makePayment({ source: SOURCES[0]!, seq: 5n });
    const reused = Buffer.alloc(tx.length + 16);
    reused.set(tx, 8);
    const pending = checker.check(reused.subarray(8, 8 + tx.length));
    reused.fill(0xee);
    const o = await pending;
    if (!o.ok) throw new Error(o.reason);
    expect(Buffer.from(o.tx.bytes).equals(Buffer.from(tx))).to.equal(true);
  });

  it('verify_signatures = false lets a bad signature (and a wrong network) through', async () => {
    const checker = makeChecker({ verifySignatures: false });
    const source = SOURCES[1]!;
    const [bad, wrongNet, lowFee] = await checker.checkMany([
      corrupt(makePayment({ source, seq: 1n }), 'signature'),
      makePayment({ source, seq: 2n, networkPassphrase: Networks.PUBLIC }),
      makePayment({ source, seq: 3n, fee: 1 }),
    ]);
    expect(bad?.ok).to.equal(true);
    expect(wrongNet?.ok).to.equal(true);
    expect(lowFee?.ok ? 'ok' : lowFee?.reason).to.equal('FEE_TOO_LOW');
  });

  it('answers RATE_LIMITED at once past its pending bound, and accepts again once drained', async () => {
    const registry = new Registry();
    const checker = makeChecker({ batchSize: 1, registry });
    expect(checker.maxPending).to.equal(64);
    const txs = Array.from({ length: 100 }, (_, i) => makePayment({ source: SOURCES[i % 20]!, seq: BigInt(i + 1) }));
    const outcomes = await checker.checkMany(txs);
    outcomes.slice(0, 64).forEach((o, i) => expect(o.ok, `tx ${i}`).to.equal(true));
    outcomes.slice(64).forEach((o, i) => {
      expect(o.ok ? 'ok' : o.reason).to.equal('RATE_LIMITED');
      if (!o.ok) expect(toHex(o.hash)).to.equal(createHash('sha256').update(txs[64 + i]!).digest('hex'));
    });
    expect((await checker.check(txs[99]!)).ok).to.equal(true);
    const m = await flatMetrics(registry);
    expect(m['overlay_tx_checks_total{outcome=rate_limited}']).to.equal(36);
  });

  it('threads 0: one worker per core less the main thread, at least one', async () => {
    const checker = makeChecker({ threads: 0 });
    expect(checker.threads).to.equal(Math.max(1, availableParallelism() - 1));
    expect((await checker.check(cases[0]!.bytes)).ok).to.equal(true);
  });

  it('close() answers what is still pending (RATE_LIMITED) and refuses later checks', async () => {
    const checker = makeChecker({ batchSize: 64 });
    const fitting = cases.filter((c) => c.expect !== 'TOO_LARGE'); // TOO_LARGE is answered before any queue
    const unsent = checker.checkMany(fitting.slice(0, 10).map((c) => c.bytes));
    const inFlight = checker.checkMany(fitting.slice(0, 200).map((c) => c.bytes));
    await checker.close();
    for (const o of await unsent) expect(o.ok ? 'ok' : o.reason).to.equal('RATE_LIMITED');
    // Whole batches may have finished before the pool stopped; the rest are refused, none is lost.
    const later = await inFlight;
    later.forEach((o, i) => {
      if (o.ok || o.reason !== 'RATE_LIMITED') expectOutcome(o, fitting[i]!, i);
    });
    const after = await checker.check(cases[0]!.bytes);
    expect(after.ok ? 'ok' : after.reason).to.equal('RATE_LIMITED');
  });

  it('after close() the process exits on its own (no handle left)', async () => {
    const here = (p: string) => JSON.stringify(pathToFileURL(new URL(p, import.meta.url).pathname).href);
    const script = `
      import { TxChecker } from ${here('../../../overlay/src/tx/checker.ts')};
      import { makePayment, testKeypair } from ${here('../../fixtures/txs.ts')};
      const checker = new TxChecker({ networkId: Buffer.from(${JSON.stringify(toHex(NETWORK_ID))}, 'hex'),
        verifySignatures: true, baseFee: 100, maxTxBytes: 4096, batchSize: 8, threads: 2 });
      const outcomes = await checker.checkMany([makePayment({ source: testKeypair(1), seq: 1n }), new Uint8Array(3)]);
      await checker.close();
      console.log(outcomes.map((o) => (o.ok ? 'ok' : o.reason)).join(','));
    `;
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await waitFor('the child process to exit', () => child.exitCode !== null || child.signalCode !== null, 15_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(child.exitCode, err).to.equal(0);
    expect(out.trim()).to.equal('ok,MALFORMED_XDR');
  });

  it('rate of a 5,000-transaction batch (printed, not asserted)', async function () {
    this.timeout(60_000);
    const txs = Array.from({ length: 5000 }, (_, i) => makePayment({ source: SOURCES[i % 20]!, seq: BigInt(i + 1) }));
    const checker = makeChecker({ threads: 0, batchSize: 256 });
    await checker.check(txs[0]!); // workers started and warm
    const started = performance.now();
    const outcomes = await checker.checkMany(txs);
    const seconds = (performance.now() - started) / 1000;
    expect(outcomes.every((o) => o.ok)).to.equal(true);
    console.log(
      `      tx checks: ${txs.length} in ${(seconds * 1000).toFixed(0)} ms = ${Math.round(txs.length / seconds)} checks/s ` +
        `(${checker.threads} worker thread(s), batch 256)`,
    );
  });
});
