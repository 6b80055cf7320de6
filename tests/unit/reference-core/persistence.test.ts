// Snapshots (round trip, refusal of another network/genesis, atomic store), the bounded trackers, and the CLI config.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair, Networks } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { parseCoreArgs } from '../../../core-bridge/src/reference-core/config.ts';
import { CoreError } from '../../../core-bridge/src/reference-core/errors.ts';
import { genesisAccounts } from '../../../core-bridge/src/reference-core/genesis.ts';
import { Ledger } from '../../../core-bridge/src/reference-core/ledger.ts';
import { ScpHistory } from '../../../core-bridge/src/reference-core/scp-history.ts';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FILE, SnapshotEncoder, SnapshotStore } from '../../../core-bridge/src/reference-core/snapshot.ts';
import { SubmissionTracker } from '../../../core-bridge/src/reference-core/submissions.ts';
import { decodeTxSet, encodeTxSet, txSetHash } from '../../../core-bridge/src/reference-core/tx-set.ts';
import { signedPayment } from '../../../core-bridge/src/loadgen/payment.ts';

const NETWORK_ID = networkIdOf(Networks.TESTNET);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CoreError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('reference-core/snapshot', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'snap-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function closedLedger(): Ledger {
    const [a, b] = genesisAccounts(2);
    const ledger = Ledger.genesis(5, NETWORK_ID);
    const set = encodeTxSet(ledger.header.hash, [signedPayment({ from: a!, to: b!.publicKey, amount: 77n, seq: 1n, fee: 100, networkId: NETWORK_ID })]);
    ledger.close(decodeTxSet(set), txSetHash(set), 1234);
    return ledger;
  }

  it('round-trips the header and every account', () => {
    const ledger = closedLedger();
    const back = decodeSnapshot(encodeSnapshot(ledger, NETWORK_ID, 5), NETWORK_ID, 5);
    expect(back.header).to.deep.equal(ledger.header);
    expect([...back.accounts]).to.deep.equal([...ledger.accounts]);
  });

  it('the incremental encoder rewrites the changed accounts only, to the bytes of a full encode', () => {
    const accounts = genesisAccounts(5);
    const ledger = Ledger.genesis(5, NETWORK_ID);
    const encoder = new SnapshotEncoder(ledger, NETWORK_ID, 5);
    for (let l = 0; l < 3; l++) {
      const txs = [0, 1, 2].map((i) =>
        signedPayment({ from: accounts[(i + l) % 5]!, to: accounts[(i + l + 1) % 5]!.publicKey, amount: 10n + BigInt(i), seq: ledger.account(accounts[(i + l) % 5]!.publicKey.toString('hex'))!.seq + 1n, fee: 100, networkId: NETWORK_ID }),
      );
      const set = encodeTxSet(ledger.header.hash, txs);
      const r = ledger.close(decodeTxSet(set), txSetHash(set), 1000 + l);
      expect(r.changedAccounts.length).to.be.greaterThan(0);
      expect(encoder.encode(ledger, r.changedAccounts).equals(encodeSnapshot(ledger, NETWORK_ID, 5))).to.equal(true);
    }
  });

  it('refuses a snapshot of another network, another genesis, or garbage', () => {
    const bytes = encodeSnapshot(closedLedger(), NETWORK_ID, 5);
    expect(codeOf(() => decodeSnapshot(bytes, networkIdOf('other'), 5))).to.equal('SNAPSHOT_INVALID');
    expect(codeOf(() => decodeSnapshot(bytes, NETWORK_ID, 6))).to.equal('SNAPSHOT_INVALID');
    expect(codeOf(() => decodeSnapshot(Buffer.from([0xc1]), NETWORK_ID, 5))).to.equal('SNAPSHOT_INVALID');
  });

  it('writes atomically, the latest state wins, and no temp file stays behind', async () => {
    const store = new SnapshotStore(dir);
    expect(store.read()).to.equal(null);
    const ledger = closedLedger();
    const writes = [1, 2, 3].map((i) => store.save(Buffer.from(`state ${i}`)));
    writes.push(store.save(encodeSnapshot(ledger, NETWORK_ID, 5)));
    await Promise.all(writes);
    await store.flush();
    expect(store.written).to.be.at.least(1);
    expect(store.written + store.skipped).to.equal(4);
    expect(decodeSnapshot(store.read()!, NETWORK_ID, 5).header.seq).to.equal(2);
    expect(readdirSync(dir)).to.deep.equal([SNAPSHOT_FILE]);
    writeFileSync(join(dir, SNAPSHOT_FILE), 'junk');
    expect(codeOf(() => decodeSnapshot(new SnapshotStore(dir).read()!, NETWORK_ID, 5))).to.equal('SNAPSHOT_INVALID');
  });
});

describe('reference-core/bounded trackers', () => {
  it('measures submission → ledger latency of tracked txs and forgets the oldest past the bound', () => {
    const t = new SubmissionTracker(2, 10);
    t.track('a', 100);
    t.track('b', 200);
    t.track('a', 150); // a re-submission keeps the first time
    t.track('c', 300); // evicts a
    expect(t.tracked).to.equal(2);
    expect(t.evicted).to.equal(1);
    expect(t.closed(['a', 'b', 'c', 'x'], 1000)).to.deep.equal([800, 700]);
    expect(t.summary()).to.deep.equal({ samples: 2, p50: 800, p99: 800 });
    expect(t.tracked).to.equal(0);
  });

  it('keeps the EXTERNALIZE envelopes of the last slots, bounded per slot, and answers from a slot on', () => {
    const h = new ScpHistory(1, 3);
    for (let slot = 1; slot <= 5; slot++) for (let k = 0; k < 6; k++) h.add(slot, Buffer.from([slot, k]));
    h.add(5, Buffer.from([5, 0])); // the same envelope again
    expect(h.since(0).map((b) => b[0])).to.deep.equal([3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5]);
    expect(h.since(5)).to.have.length(4);
    expect(h.dropped).to.equal(5 * 2);
  });
});

describe('reference-core/config', () => {
  const kps = [Keypair.random(), Keypair.random(), Keypair.random()];
  const base = ['--socket', '/tmp/s.sock', '--seed', kps[0]!.secret(), '--validators', kps.map((k) => k.publicKey()).join(',')];

  it('applies the defaults and the ⌊2n/3⌋+1 threshold, with the validators sorted', () => {
    const c = parseCoreArgs(base);
    expect(c).to.deep.include({ threshold: 3, ledgerMs: 1000, accounts: 10_000, maxOps: 5000, httpPort: 0, network: Networks.TESTNET });
    expect(c.validators).to.deep.equal(kps.map((k) => k.publicKey()).sort());
    expect(c.self).to.equal(kps[0]!.publicKey());
  });

  it('refuses bad flags with CONFIG_INVALID naming each one', () => {
    const bad = (args: string[]) => {
      try {
        parseCoreArgs(args);
      } catch (err) {
        expect(err).to.be.instanceOf(CoreError);
        expect((err as CoreError).code).to.equal('CONFIG_INVALID');
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad([...base, '--threshold', '4'])).to.match(/--threshold/);
    expect(bad([...base, '--ledger-ms', 'soon'])).to.match(/--ledger-ms/);
    expect(bad(['--socket', '/s', '--seed', kps[0]!.secret(), '--validators', kps[1]!.publicKey()])).to.match(/--validators: must include/);
    expect(bad([...base, '--accounts', '0', '--http-port', '70000'])).to.match(/--accounts.*--http-port/);
    expect(bad([...base, '--unknown'])).to.match(/unknown/i);
    expect(bad(['--seed', 'SNOPE'])).to.match(/--socket.*--seed/);
  });
});
