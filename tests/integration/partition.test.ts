// A 6-validator network (overlay + reference core each, supervised, fully meshed) partitioned into {v0,v1,v2} and
// {v3,v4,v5} and healed, under a steady load of payments. The partition is real: every overlay bans (admin POST
// /bans) the node keys of the other side, which hangs up on them and refuses their connections both ways; the heal
// lifts the bans (DELETE /bans/:key). With the default quorum threshold (5 of 6) neither half can close a ledger:
// during the partition no core moves on (while consensus keeps trying, round after round) and the cores still accept
// txs on both sides; after the heal the peers reconnect, every core closes the same ledgers again, and every tx a
// core accepted (before, during or after the partition, on either side) is applied on all six.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultThreshold } from '../../core-bridge/src/reference-core/consensus.ts';
import { GENESIS_LEDGER_SEQ } from '../../core-bridge/src/reference-core/genesis.ts';
import { createLogger } from '../../overlay/src/util/log.ts';
import { PASSPHRASE, validatorNet, type ValidatorNet } from '../../scripts/lib/validator-net.ts';
import { ledgerHash, ledgerInfo, txResult } from '../helpers/core-http.ts';
import { ban, peerKeys, unban } from '../helpers/overlay-admin.ts';
import { PaymentLoad } from '../helpers/payment-load.ts';
import { readyFields } from '../../scripts/lib/ready-line.ts';
import { waitFor } from '../helpers/wait.ts';

const VALIDATORS = 6;
const SIDES = [[0, 1, 2], [3, 4, 5]] as const;
const LEDGER_MS = 1000;
/** Genesis accounts: one fresh source account per tx of the load (10 tx/s for well under a minute). */
const ACCOUNTS = 1000;
const LOAD_INTERVAL_MS = 100;
/** Txs each side's cores must accept while cut off before the heal. */
const TXS_PER_SIDE_DURING = 10;
/** Round timeouts every core must go through at its stuck slot, twice, to show consensus tried and could not close. */
const STUCK_ROUNDS = 2;
/** Ledgers every core must close after the heal. */
const LEDGERS_AFTER_HEAL = 3;

interface Node {
  coreUrl: string;
  adminUrl: string;
  nodeKey: string;
}

describe('a 6-validator network partitioned 3 | 3 and healed (real processes)', function () {
  this.timeout(180_000);
  let root: string;
  let net: ValidatorNet;
  let nodes: Node[];
  let load: PaymentLoad;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'partition-'));
    net = await validatorNet({ root, validators: VALIDATORS, ledgerMs: LEDGER_MS, accounts: ACCOUNTS, log: createLogger('supervisor', 'error') });
    const urls = await net.start();
    nodes = net.names.map((name, i) => {
      const o = readyFields<{ admin: string; nodeKey: string }>(net.supervisor.child(`${name}-overlay`).readyLine);
      return { coreUrl: urls[i]!, adminUrl: o.admin, nodeKey: o.nodeKey };
    });
    load = new PaymentLoad({ urls: () => nodes.map((n) => n.coreUrl), passphrase: PASSPHRASE, firstAccount: 0, lastAccount: ACCOUNTS - 1, intervalMs: LOAD_INTERVAL_MS });
  });

  after(async () => {
    await load?.stop();
    await net?.supervisor.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const sideOf = (i: number) => SIDES.findIndex((s) => (s as readonly number[]).includes(i));
  const others = (i: number) => SIDES[1 - sideOf(i)]!;
  const keysOf = (idx: readonly number[]) => idx.map((j) => nodes[j]!.nodeKey).sort();

  async function ledgers(): Promise<{ seq: number; round: number }[]> {
    return Promise.all(
      nodes.map(async (n, i) => {
        const l = await ledgerInfo(n.coreUrl);
        if (l === null) throw new Error(`v${i}: no /ledger answer`);
        return { seq: l.seq, round: l.round };
      }),
    );
  }

  /** No two cores closed ledger `seq` differently; with `everyCore`, all six closed it (polled: a read may time out). */
  async function agreeOn(seq: number, everyCore: boolean): Promise<void> {
    const read = () => Promise.all(nodes.map((n) => ledgerHash(n.coreUrl, seq)));
    const hashes = everyCore
      ? await waitFor(`ledger ${seq} at every core`, async () => {
          const h = await read();
          return h.every((x) => x !== null) ? h : undefined;
        })
      : (await read()).filter((h) => h !== null);
    expect(new Set(hashes).size, `distinct hashes of ledger ${seq}`).to.be.at.most(1);
  }

  it('closes no ledger on either side while cut off, keeps accepting txs on both, and after the heal loses none', async () => {
    // The quorum threshold the cores use: more than half, so neither side of a 3 | 3 split can close alone.
    expect(defaultThreshold(VALIDATORS)).to.be.greaterThan(VALIDATORS / 2);

    // Connected and closing ledgers, under load.
    await waitFor('a full mesh', async () => {
      const seen = await Promise.all(nodes.map((n) => peerKeys(n.adminUrl)));
      return seen.every((keys, i) => keys.length === VALIDATORS - 1 && !keys.includes(nodes[i]!.nodeKey));
    }, 30_000);
    // Ledgers after genesis (which no core lists among its closed ledgers) are being closed.
    await waitFor('every core past genesis', async () => (await ledgers()).every((l) => l.seq > GENESIS_LEDGER_SEQ), 30_000);
    load.phase = 'before';
    load.start();
    const start = Math.max(...(await ledgers()).map((l) => l.seq));
    await waitFor('two ledgers closed under load', async () => (await ledgers()).every((l) => l.seq >= start + 2), 30_000);

    // Partition: each overlay bans every node of the other side.
    await Promise.all(nodes.flatMap((n, i) => others(i).map((j) => ban(n.adminUrl, nodes[j]!.nodeKey, 'partition test'))));
    load.phase = 'during';
    await waitFor('each overlay connected to its own side only', async () => {
      const seen = await Promise.all(nodes.map((n) => peerKeys(n.adminUrl)));
      return seen.every((keys, i) => JSON.stringify(keys) === JSON.stringify(keysOf(SIDES[sideOf(i)]!.filter((j) => j !== i))));
    }, 20_000);

    // Consensus keeps trying (round after round at the same slot) and closes nothing. A slot whose votes were on the
    // wire at the cut may still have closed; from the first stuck round on, nothing moves.
    const stuck = await waitFor('every core stuck for a few rounds', async () => {
      const l = await ledgers();
      return l.every((x) => x.round >= STUCK_ROUNDS) ? l : undefined;
    }, 30_000);
    await waitFor(`${STUCK_ROUNDS} more round timeouts at every core`, async () => {
      const l = await ledgers();
      return l.every((x, i) => x.round >= stuck[i]!.round + STUCK_ROUNDS || x.seq !== stuck[i]!.seq);
    }, 30_000);
    expect((await ledgers()).map((l) => l.seq), 'ledgers closed while partitioned').to.deep.equal(stuck.map((l) => l.seq));
    // Neither side closed a ledger the other closed differently.
    for (let seq = start; seq <= Math.max(...stuck.map((l) => l.seq)); seq++) await agreeOn(seq, false);
    // Both sides still accept txs from their clients.
    await waitFor('txs accepted on both sides while partitioned', () =>
      SIDES.every((side) => load.acceptedWhere((t) => t.phase === 'during' && side.includes(t.core as never)).length >= TXS_PER_SIDE_DURING),
    30_000);

    // Heal: every ban lifted; the overlays redial each other.
    await Promise.all(nodes.flatMap((n, i) => others(i).map((j) => unban(n.adminUrl, nodes[j]!.nodeKey))));
    load.phase = 'after';
    await waitFor('a full mesh again', async () => {
      const seen = await Promise.all(nodes.map((n) => peerKeys(n.adminUrl)));
      return seen.every((keys) => keys.length === VALIDATORS - 1);
    }, 30_000);
    const resumeFrom = Math.max(...stuck.map((l) => l.seq));
    const target = resumeFrom + LEDGERS_AFTER_HEAL;
    await waitFor(`every core at ledger ${target}`, async () => (await ledgers()).every((l) => l.seq >= target), 60_000);
    for (let seq = start; seq <= target; seq++) await agreeOn(seq, true);
    await load.stop();

    // No tx a core accepted is lost: each one is applied, on every core.
    const accepted = load.accepted;
    for (const phase of ['before', 'during', 'after']) expect(accepted.filter((t) => t.phase === phase), `txs accepted ${phase}`).to.not.be.empty;
    for (const [i, n] of nodes.entries()) {
      let missing = accepted;
      await waitFor(`all ${accepted.length} accepted txs applied at v${i}`, async () => {
        const results = await Promise.all(missing.map((t) => txResult(n.coreUrl, t.hash)));
        missing = missing.filter((_, k) => !results[k]?.applied);
        return missing.length === 0;
      }, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}; ${missing.length} missing, e.g. ${JSON.stringify(missing.slice(0, 3))}`);
      });
    }
  });
});
