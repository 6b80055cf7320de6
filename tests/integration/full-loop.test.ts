// The whole loop on real processes: 4 overlays + 4 reference cores. A tx submitted to one core goes through its overlay
// (checked, flooded), into a tx set a leader's overlay built, through consensus, and is applied by every validator
// into the same ledger.
import { expect } from 'chai';
import { Networks } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { genesisAccount } from '../../core-bridge/src/reference-core/genesis.ts';
import { LoadGenerator } from '../../core-bridge/src/loadgen/load-generator.ts';
import { signedPayment } from '../../core-bridge/src/loadgen/payment.ts';
import { getJson } from '../helpers/overlay-process.ts';
import { startNetwork, type TestNetwork } from '../helpers/network.ts';
import { waitFor } from '../helpers/wait.ts';

const NETWORK_ID = networkIdOf(Networks.TESTNET);

async function postTx(url: string, tx: Uint8Array): Promise<{ status: string; reason: string; hash: string }> {
  const res = await fetch(`${url}/tx`, { method: 'POST', body: Buffer.from(tx).toString('base64') });
  expect(res.status).to.equal(200);
  return (await res.json()) as { status: string; reason: string; hash: string };
}

describe('full loop: overlays + reference cores', function () {
  this.timeout(120_000);
  let net: TestNetwork | undefined;

  before(async () => {
    net = await startNetwork({ validators: 4 });
  });

  after(async () => {
    await net?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && net) {
      for (const c of net.cores) console.error(`--- core ${c.nodeKey} (last lines)\n${c.logs.slice(-30).join('\n')}`);
    }
  });

  it("applies a tx submitted to one core in a ledger every validator closed, with equal ledger hashes", async () => {
    const { cores } = net!;
    const from = genesisAccount(3);
    const to = genesisAccount(4);
    const tx = signedPayment({ from, to: to.publicKey, amount: 1_234_567n, seq: 1n, fee: 100, networkId: NETWORK_ID });
    const verdict = await postTx(cores[0]!.url, tx);
    expect(verdict).to.deep.include({ status: 'ACCEPTED', reason: 'NONE' });

    const results = await waitFor(
      'the tx in a ledger on every core',
      async () => {
        const r = await Promise.all(cores.map((c) => fetch(`${c.url}/tx/${verdict.hash}`).then((x) => (x.ok ? (x.json() as Promise<{ ledger: number; applied: boolean }>) : null))));
        return r.every((x) => x !== null) ? (r as { ledger: number; applied: boolean }[]) : null;
      },
      30_000,
      100,
    );
    const seq = results[0]!.ledger;
    expect(results).to.deep.equal(cores.map(() => ({ ledger: seq, applied: true })));

    const headers = await Promise.all(cores.map((c) => getJson<{ hash: string; applied: number }>(`${c.url}/ledger/${seq}`)));
    expect(new Set(headers.map((h) => h.hash)).size).to.equal(1);
    const accounts = await Promise.all(cores.map((c) => getJson<{ seq: string; balance: string }>(`${c.url}/accounts/${from.address}`)));
    for (const a of accounts) expect(a.seq).to.equal('1');
    const dest = await Promise.all(cores.map((c) => getJson<{ balance: string }>(`${c.url}/accounts/${to.address}`)));
    expect(new Set(dest.map((d) => d.balance)).size).to.equal(1);
  });

  it('answers malformed requests with 4xx and clear errors, and reports stats', async () => {
    const url = net!.cores[1]!.url;
    const post = (path: string, body: string | Buffer) => fetch(`${url}${path}`, { method: 'POST', body });
    const garbage = await (await post('/tx', Buffer.from([0xff, 0xfe, 0x00, 0x01]))).json();
    expect(garbage).to.deep.include({ status: 'INVALID', reason: 'MALFORMED_XDR' });
    const notJson = await post('/txs', 'nope');
    expect(notJson.status).to.equal(400);
    expect(await notJson.json()).to.deep.include({ error: 'BAD_REQUEST' });
    expect((await post('/txs', JSON.stringify(['@@@']))).status).to.equal(400);
    expect((await post('/tx', Buffer.alloc(1024 * 1024))).status).to.equal(413);
    expect((await fetch(`${url}/accounts/GNOTAKEY`)).status).to.equal(400);
    expect((await fetch(`${url}/accounts/${genesisAccount(net!.accounts).address}`)).status).to.equal(404);
    expect((await fetch(`${url}/ledger`, { method: 'DELETE' })).status).to.equal(405);
    expect((await fetch(`${url}/ledger/0`)).status).to.equal(400);
    expect((await fetch(`${url}/tx/${'0'.repeat(64)}`)).status).to.equal(404);
    expect((await fetch(`${url}/nowhere`)).status).to.equal(404);
    const stats = await getJson<{ ledger: { seq: number }; submissions: { samples: number }; overlay: { lastLedgerSeq: number } }>(`${url}/stats`);
    expect(stats.ledger.seq).to.be.greaterThan(1);
    expect(stats.overlay.lastLedgerSeq).to.be.greaterThan(1);
    expect(await (await fetch(`${url}/metrics`)).text()).to.match(/reference_core_ledgers_closed_total [1-9]/);
  });

  it('restarts a core from its snapshot and catches up with the network', async () => {
    const n = net!;
    const stopped = await n.ledger(3);
    const exit = await n.cores[3]!.stop();
    expect(exit.code).to.equal(0);
    // The other three (threshold 3 of 4) carry on without it.
    const ahead = await waitFor('the network 3 ledgers ahead', async () => {
      const l = await n.ledger(0);
      return l.seq >= stopped.seq + 3 ? l.seq : null;
    }, 30_000, 100);
    const core = await n.restartCore(3);
    expect(core.logs.some((l) => l.includes('ledger loaded from snapshot'))).to.equal(true);
    await waitFor('the restarted core past the network', async () => (await n.ledger(3)).seq > ahead, 30_000, 100);
    const hashes = await Promise.all(n.cores.map((c) => getJson<{ hash: string }>(`${c.url}/ledger/${ahead}`)));
    expect(new Set(hashes.map((h) => h.hash)).size).to.equal(1);
  });

  it('carries the load generator\'s payments into ledgers on every validator', async () => {
    const n = net!;
    // It reads every account's seq first, so the payments made by hand above do not trouble it.
    const gen = new LoadGenerator({ cores: n.cores.map((c) => c.url), tps: 100, accounts: n.accounts });
    await gen.start();
    try {
      await waitFor('200 payments confirmed applied', () => gen.stats().confirmed >= 200, 45_000, 100);
    } finally {
      await gen.stop();
    }
    const s = gen.stats();
    expect(s.rejected).to.deep.equal({});
    expect(s.httpErrors).to.equal(0);
    const seq = Math.min(...(await Promise.all(n.cores.map((_, i) => n.ledger(i)))).map((l) => l.seq));
    const headers = await Promise.all(n.cores.map((c) => getJson<{ hash: string }>(`${c.url}/ledger/${seq}`)));
    expect(new Set(headers.map((h) => h.hash)).size).to.equal(1);
  });
});
