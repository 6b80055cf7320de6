// Faults on a supervised network of 4 validators (overlay + reference core each): an overlay SIGKILLed and a core
// SIGKILLed, each while it holds txs a core accepted. The supervisor restarts the process; no accepted tx is lost
// (each is applied in a ledger every validator closes, with equal hashes), and ledgers go on.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networkIdOf } from '#ipc-protocol';
import { signedPayment } from '../../core-bridge/src/loadgen/payment.ts';
import { genesisAccount } from '../../core-bridge/src/reference-core/genesis.ts';
import { createLogger } from '../../overlay/src/util/log.ts';
import { PASSPHRASE, validatorNet, type ValidatorNet } from '../../scripts/lib/validator-net.ts';
import { ledgerHash, postTx, txResult } from '../helpers/core-http.ts';
import { readyFields } from '../../scripts/lib/ready-line.ts';
import { waitFor } from '../helpers/wait.ts';

const ACCOUNTS = 200;

describe('faults on a supervised network (real processes)', function () {
  this.timeout(180_000);
  let root: string;
  let net: ValidatorNet;
  let urls: string[];
  let nextAccount = 0;
  const networkId = networkIdOf(PASSPHRASE);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'faults-'));
    net = await validatorNet({ root, validators: 4, ledgerMs: 1000, accounts: ACCOUNTS, log: createLogger('supervisor', 'error') });
    urls = await net.start();
  });

  after(async () => {
    await net?.supervisor.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** Payments from fresh genesis accounts (seq 1 each), so each stands alone. */
  function payments(count: number): Uint8Array[] {
    return Array.from({ length: count }, () => {
      const from = genesisAccount(nextAccount++);
      return signedPayment({ from, to: genesisAccount(ACCOUNTS - 1).publicKey, amount: 1n, seq: 1n, fee: 100, networkId });
    });
  }

  /** Every tx is applied on every validator, and the validators agree on the ledger that holds the last one. */
  async function allApplied(hashes: string[]): Promise<void> {
    let last = 0;
    for (const h of hashes) {
      for (const [i, u] of urls.entries()) {
        const r = await waitFor(`tx ${h.slice(0, 8)} applied at v${i}`, async () => {
          const x = await txResult(u, h);
          return x?.applied ? x : undefined;
        }, 60_000);
        last = Math.max(last, r.ledger);
      }
    }
    const hashesAt = await Promise.all(urls.map((u) => waitFor(`ledger ${last}`, () => ledgerHash(u, last).then((x) => x ?? undefined), 30_000)));
    expect(new Set(hashesAt).size, `ledger ${last} hashes`).to.equal(1);
  }

  it('an overlay SIGKILLed under load is restarted, its core reconnects and re-submits: no accepted tx is lost', async () => {
    const overlay = net.supervisor.child('v0-overlay');
    const oldPid = overlay.pid;
    const accepted: string[] = [];
    for (const tx of payments(20)) {
      const v = await postTx(urls[0]!, tx);
      expect(v.status).to.equal('ACCEPTED');
      accepted.push(v.hash);
    }
    overlay.kill('SIGKILL');
    await waitFor('overlay restarted', () => {
      const s = net.supervisor.status().find((c) => c.name === 'v0-overlay');
      return s?.state === 'ready' && s.pid !== oldPid;
    }, 60_000);
    await allApplied(accepted);
  });

  it('a core SIGKILLed: its overlay keeps the txs, the restarted core catches up, and the txs are applied', async () => {
    const core = net.supervisor.child('v1-core');
    const oldPid = core.pid;
    const accepted: string[] = [];
    for (const tx of payments(20)) {
      const v = await postTx(urls[1]!, tx);
      expect(v.status).to.equal('ACCEPTED');
      accepted.push(v.hash);
    }
    core.kill('SIGKILL');
    await waitFor('core restarted', () => {
      const s = net.supervisor.status().find((c) => c.name === 'v1-core');
      return s?.state === 'ready' && s.pid !== oldPid;
    }, 60_000);
    // The restarted core serves HTTP on a new port: read it from its new ready line.
    urls[1] = readyFields<{ http: string }>(net.supervisor.child('v1-core').readyLine).http;
    await allApplied(accepted);
  });
});
