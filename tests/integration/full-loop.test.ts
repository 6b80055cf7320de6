// The whole loop on real processes: 4 overlays + 4 reference cores. A tx submitted to one core goes through its overlay
// (checked, flooded), into a tx set a leader's overlay built, through consensus, and is applied by every validator
// into the same ledger.
import { expect } from 'chai';
import { Networks } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { genesisAccount } from '../../core-bridge/src/reference-core/genesis.ts';
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
});
