import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Account, Keypair, Networks, Operation, TransactionBuilder } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { GENESIS_BALANCE, genesisAccount, genesisAccounts, genesisSeed } from '../../../core-bridge/src/reference-core/genesis.ts';
import { BASE_FEE, Ledger } from '../../../core-bridge/src/reference-core/ledger.ts';
import { decodeTxSet, encodeTxSet, txSetHash } from '../../../core-bridge/src/reference-core/tx-set.ts';
import { signedPayment } from '../../../core-bridge/src/loadgen/payment.ts';
import { makeFeeBump } from '../../fixtures/txs.ts';

const PASSPHRASE = Networks.TESTNET;
const NETWORK_ID = networkIdOf(PASSPHRASE);
const COUNT = 20;
const accounts = genesisAccounts(COUNT);
const key = (i: number) => accounts[i]!.publicKey.toString('hex');

function pay(from: number, to: number, seq: bigint, opts: { amount?: bigint; fee?: number; toKey?: Uint8Array } = {}): Buffer {
  return signedPayment({
    from: accounts[from]!,
    to: opts.toKey ?? accounts[to]!.publicKey,
    amount: opts.amount ?? 1000n,
    seq,
    fee: opts.fee ?? 100,
    networkId: NETWORK_ID,
  });
}

function close(ledger: Ledger, txs: Uint8Array[], opts: { baseFee?: bigint | null; closeTime?: number } = {}) {
  const set = encodeTxSet(ledger.header.hash, txs, opts.baseFee ?? null);
  return ledger.close(decodeTxSet(set), txSetHash(set), opts.closeTime ?? 1000);
}

describe('reference-core/genesis', () => {
  it('derives account i from SHA-256("overlay-sidecar genesis " + i) as an ed25519 seed', () => {
    const seed = createHash('sha256').update('overlay-sidecar genesis 7').digest();
    expect(genesisSeed(7).equals(seed)).to.equal(true);
    const kp = Keypair.fromRawEd25519Seed(seed);
    expect(genesisAccount(7).address).to.equal(kp.publicKey());
    expect(genesisAccount(7).publicKey.equals(kp.rawPublicKey())).to.equal(true);
  });

  it('gives every account the genesis balance and seq 0, with a hash fixed by network and count', () => {
    const a = Ledger.genesis(COUNT, NETWORK_ID);
    expect(a.header.seq).to.equal(1);
    expect(a.accounts.size).to.equal(COUNT);
    expect(a.account(key(3))).to.deep.equal({ balance: GENESIS_BALANCE, seq: 0n });
    expect(Ledger.genesis(COUNT, NETWORK_ID).header.hash.equals(a.header.hash)).to.equal(true);
    expect(Ledger.genesis(COUNT + 1, NETWORK_ID).header.hash.equals(a.header.hash)).to.equal(false);
    expect(Ledger.genesis(COUNT, networkIdOf('other')).header.hash.equals(a.header.hash)).to.equal(false);
  });
});

describe('reference-core/ledger', () => {
  let ledger: Ledger;
  beforeEach(() => (ledger = Ledger.genesis(COUNT, NETWORK_ID)));

  it('applies a valid payment: seq advances, amount moves, the base fee is charged', () => {
    const r = close(ledger, [pay(0, 1, 1n, { amount: 5000n })]);
    expect(r.applied).to.equal(1);
    expect(r.header.seq).to.equal(2);
    expect(ledger.account(key(0))).to.deep.equal({ balance: GENESIS_BALANCE - 5000n - BASE_FEE, seq: 1n });
    expect(ledger.account(key(1))).to.deep.equal({ balance: GENESIS_BALANCE + 5000n, seq: 0n });
    expect(r.feesCharged).to.equal(BASE_FEE);
  });

  it("applies one account's consecutive txs in one set and skips a stale or future seq", () => {
    const r = close(ledger, [pay(0, 1, 1n), pay(0, 1, 2n), pay(0, 1, 2n, { amount: 7n }), pay(2, 1, 5n)]);
    expect(r.applied).to.equal(2);
    expect(r.skipped.bad_seq).to.equal(2);
    expect(ledger.account(key(0))!.seq).to.equal(2n);
    expect(ledger.account(key(2))).to.deep.equal({ balance: GENESIS_BALANCE, seq: 0n });
  });

  it('skips txs whose fee is below the base fee × ops, or that cannot pay, or pay no account, or come from none', () => {
    const stranger = Keypair.random().rawPublicKey();
    const r = close(ledger, [
      pay(0, 1, 1n, { fee: 99 }),
      pay(1, 2, 1n, { amount: GENESIS_BALANCE }),
      pay(2, 0, 1n, { toKey: stranger }),
    ]);
    expect(r.applied).to.equal(0);
    expect(r.skipped).to.include({ fee_too_low: 1, underfunded: 1, no_destination: 1 });
    // Skipped: nothing charged, no seq consumed.
    for (const i of [0, 1, 2]) expect(ledger.account(key(i))).to.deep.equal({ balance: GENESIS_BALANCE, seq: 0n });

    const extra = genesisAccount(COUNT);
    const set = encodeTxSet(ledger.header.hash, [signedPayment({ from: extra, to: accounts[0]!.publicKey, amount: 1n, seq: 1n, fee: 100, networkId: NETWORK_ID })]);
    expect(ledger.close(decodeTxSet(set), txSetHash(set), 1).skipped.no_source).to.equal(1);
  });

  it('skips transactions with operations other than native payments', () => {
    const kp = Keypair.fromRawEd25519Seed(accounts[4]!.seed);
    const tx = new TransactionBuilder(new Account(kp.publicKey(), '0'), { fee: '100', networkPassphrase: PASSPHRASE })
      .addOperation(Operation.bumpSequence({ bumpTo: '10' }))
      .setTimeout(0)
      .build();
    tx.sign(kp);
    const r = close(ledger, [tx.toEnvelope().toXDR()]);
    expect(r.skipped.unsupported).to.equal(1);
    expect(ledger.account(key(4))!.seq).to.equal(0n);
  });

  it("charges min(bid, baseFee × ops): the component's base fee when set, else the network's", () => {
    close(ledger, [pay(0, 1, 1n, { fee: 1000, amount: 1n })], { baseFee: 300n });
    expect(ledger.account(key(0))!.balance).to.equal(GENESIS_BALANCE - 1n - 300n);
    close(ledger, [pay(0, 1, 2n, { fee: 1000, amount: 1n })]);
    expect(ledger.account(key(0))!.balance).to.equal(GENESIS_BALANCE - 2n - 300n - 100n);
    close(ledger, [pay(0, 1, 3n, { fee: 250, amount: 1n })], { baseFee: 400n });
    expect(ledger.account(key(0))!.balance).to.equal(GENESIS_BALANCE - 3n - 300n - 100n - 250n);
  });

  it('charges a fee bump to its outer fee source and advances the inner source seq', () => {
    const inner = pay(5, 6, 1n, { amount: 10n });
    const feeSource = Keypair.fromRawEd25519Seed(accounts[7]!.seed);
    const bump = makeFeeBump({ inner, feeSource, fee: 400, networkPassphrase: PASSPHRASE });
    const r = close(ledger, [bump]);
    expect(r.applied).to.equal(1);
    expect(ledger.account(key(5))).to.deep.equal({ balance: GENESIS_BALANCE - 10n, seq: 1n });
    // Two operations for fees (inner + 1): min(400, 100 × 2).
    expect(ledger.account(key(7))).to.deep.equal({ balance: GENESIS_BALANCE - 200n, seq: 0n });
  });

  it('computes the same ledger hash from the same set on the same state, and a different one otherwise', () => {
    const txs = [pay(0, 1, 1n), pay(1, 2, 1n), pay(3, 0, 1n)];
    const a = close(Ledger.genesis(COUNT, NETWORK_ID), txs);
    const b = close(Ledger.genesis(COUNT, NETWORK_ID), txs);
    expect(a.header.hash.equals(b.header.hash)).to.equal(true);
    const reordered = close(Ledger.genesis(COUNT, NETWORK_ID), [txs[1]!, txs[0]!, txs[2]!]);
    expect(reordered.header.hash.equals(a.header.hash)).to.equal(false);
    const later = close(Ledger.genesis(COUNT, NETWORK_ID), txs, { closeTime: 1001 });
    expect(later.header.hash.equals(a.header.hash)).to.equal(false);
    const fewer = close(Ledger.genesis(COUNT, NETWORK_ID), txs.slice(0, 2));
    expect(fewer.header.hash.equals(a.header.hash)).to.equal(false);
  });

  it('lists every tx of the set for TX_SET_EXTERNALIZED, applied or not', () => {
    const txs = [pay(0, 1, 1n), pay(0, 1, 9n)];
    const set = decodeTxSet(encodeTxSet(ledger.header.hash, txs));
    expect(set.txHashes.map((h) => h.toString('hex'))).to.deep.equal(txs.map((t) => createHash('sha256').update(t).digest('hex')));
    expect(set.previousLedgerHash.equals(ledger.header.hash)).to.equal(true);
  });
});
