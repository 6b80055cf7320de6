// The reference ledger: accounts (balance, sequence number) and the last closed ledger's header. Applying a tx set is
// deterministic: the same set on the same state gives the same state and the same ledger hash on every validator.
//
// Rules (a deliberate subset of stellar-core's):
// - a transaction applies all or nothing: source and fee source exist, seq = source's seq + 1, fee bid ≥ network
//   base fee × ops, every operation a native payment of a positive amount to an existing account, and every account
//   it debits covers the debit (fee + payments). Otherwise it is skipped (counted by reason): no fee, no seq bump.
//   (stellar-core charges the fee and consumes the seq of a tx whose operations fail; here nothing happens.)
// - the fee charged is min(bid, baseFee × ops), baseFee = the component's base fee, else the network base fee.
// - no signature checks: the overlay verified every signature before the tx reached a set.
import { createHash } from 'node:crypto';
import { GENESIS_BALANCE, GENESIS_LEDGER_SEQ, GENESIS_SEQ, genesisAccounts } from './genesis.ts';
import type { DecodedTxSet } from './tx-set.ts';
import type { DecodedTx } from './transactions.ts';

/** stellar-core: the network's base fee per operation, in stroops (Pubnet/Testnet default). */
export const BASE_FEE = 100n;
/** Ours: domain separation of the genesis header hash. */
const GENESIS_HASH_TAG = 'overlay-sidecar genesis ledger';

export const SKIP_REASONS = ['malformed', 'no_source', 'bad_seq', 'fee_too_low', 'unsupported', 'no_destination', 'underfunded'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
/** Outcome byte in the results digest: 0 applied, 1 + index of the skip reason. */
const OUTCOME_CODE = Object.fromEntries(SKIP_REASONS.map((r, i) => [r, i + 1])) as Record<SkipReason, number>;

export interface AccountState {
  balance: bigint;
  seq: bigint;
}

export interface LedgerHeader {
  seq: number;
  hash: Buffer;
  /** Seconds since the Unix epoch (the agreed StellarValue's closeTime); 0 for genesis. */
  closeTime: number;
  txSetHash: Buffer;
}

export interface CloseResult {
  header: LedgerHeader;
  txCount: number;
  applied: number;
  skipped: Record<SkipReason, number>;
  /** Hashes (hex) of the transactions that applied. */
  appliedHashes: string[];
  /** The transactions skipped (hash hex, reason); malformed ones have no hash here. */
  skippedTxs: { hash: string; reason: SkipReason }[];
  feesCharged: bigint;
  /** Accounts this close changed (raw key as hex), sorted. */
  changedAccounts: string[];
}

/** Bytes per tx in the results digest: hash (32), outcome (1), fee charged (i64). */
const RESULT_BYTES = 41;
/** Bytes per changed account in the results digest: key (32), balance (i64), seq (i64). */
const ACCOUNT_RESULT_BYTES = 48;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function i64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** SHA-256 of (prev hash ‖ seq ‖ txSetHash ‖ closeTime ‖ results digest): the ledger hash. */
export function ledgerHash(prev: Uint8Array, seq: number, txSetHash: Uint8Array, closeTime: number, digest: Uint8Array): Buffer {
  return createHash('sha256').update(prev).update(u32(seq)).update(txSetHash).update(u64(closeTime)).update(digest).digest();
}

export class Ledger {
  header: LedgerHeader;
  /** Keyed by raw ed25519 public key, hex. Bounded by the genesis count: accounts are never created. */
  readonly accounts: Map<string, AccountState>;

  constructor(header: LedgerHeader, accounts: Map<string, AccountState>) {
    this.header = header;
    this.accounts = accounts;
  }

  /** Ledger 1: `count` genesis accounts. Its hash commits to the network and the account count. */
  static genesis(count: number, networkId: Uint8Array): Ledger {
    const accounts = new Map<string, AccountState>();
    for (const a of genesisAccounts(count)) accounts.set(a.publicKey.toString('hex'), { balance: GENESIS_BALANCE, seq: GENESIS_SEQ });
    const hash = createHash('sha256')
      .update(GENESIS_HASH_TAG)
      .update(networkId)
      .update(u32(count))
      .update(i64(GENESIS_BALANCE))
      .update(i64(GENESIS_SEQ))
      .digest();
    return new Ledger({ seq: GENESIS_LEDGER_SEQ, hash, closeTime: 0, txSetHash: Buffer.alloc(32) }, accounts);
  }

  account(keyHex: string): AccountState | undefined {
    return this.accounts.get(keyHex);
  }

  /** Applies a decided tx set as ledger header.seq + 1 and returns the new header and counts. */
  close(set: DecodedTxSet, txSetHash: Uint8Array, closeTime: number): CloseResult {
    const skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;
    skipped.malformed = set.malformed;
    // The digest's input is written into one buffer and hashed once (an update per field cost more than the hash).
    const results = Buffer.allocUnsafe(set.txs.length * RESULT_BYTES);
    const changed = new Set<string>();
    const appliedHashes: string[] = [];
    const skippedTxs: { hash: string; reason: SkipReason }[] = [];
    let feesCharged = 0n;
    let o = 0;
    for (const { tx, baseFee } of set.txs) {
      const outcome = this.applyTx(tx, baseFee ?? BASE_FEE, changed);
      results.write(tx.hash, o, 32, 'hex');
      if (typeof outcome === 'string') {
        skipped[outcome]++;
        skippedTxs.push({ hash: tx.hash, reason: outcome });
        results[o + 32] = OUTCOME_CODE[outcome];
        results.writeBigInt64BE(0n, o + 33);
      } else {
        appliedHashes.push(tx.hash);
        feesCharged += outcome;
        results[o + 32] = 0;
        results.writeBigInt64BE(outcome, o + 33);
      }
      o += RESULT_BYTES;
    }
    const changedAccounts = [...changed].sort();
    const states = Buffer.allocUnsafe(changedAccounts.length * ACCOUNT_RESULT_BYTES);
    o = 0;
    for (const key of changedAccounts) {
      const a = this.accounts.get(key)!;
      states.write(key, o, 32, 'hex');
      states.writeBigInt64BE(a.balance, o + 32);
      states.writeBigInt64BE(a.seq, o + 40);
      o += ACCOUNT_RESULT_BYTES;
    }
    const digest = createHash('sha256').update(results).update(states).digest();
    const seq = this.header.seq + 1;
    const hash = ledgerHash(this.header.hash, seq, txSetHash, closeTime, digest);
    this.header = { seq, hash, closeTime, txSetHash: Buffer.from(txSetHash) };
    return {
      header: this.header,
      txCount: set.txs.length + set.malformed,
      applied: appliedHashes.length,
      skipped,
      appliedHashes,
      skippedTxs,
      feesCharged,
      changedAccounts,
    };
  }

  /** Applies one transaction; returns the fee charged, or why it was skipped (then nothing changed). */
  private applyTx(tx: DecodedTx, baseFee: bigint, changed: Set<string>): bigint | SkipReason {
    const source = this.accounts.get(tx.source);
    const feeSource = this.accounts.get(tx.feeSource);
    if (source === undefined || feeSource === undefined) return 'no_source';
    if (tx.seq !== source.seq + 1n) return 'bad_seq';
    const ops = BigInt(tx.ops);
    if (tx.ops === 0 || tx.fee < BASE_FEE * ops) return 'fee_too_low';
    if (tx.payments === null) return 'unsupported';
    const charged = tx.fee < baseFee * ops ? tx.fee : baseFee * ops;
    const debits = new Map<string, bigint>([[tx.feeSource, charged]]);
    for (const p of tx.payments) {
      if (p.amount <= 0n) return 'malformed';
      if (!this.accounts.has(p.from)) return 'no_source';
      if (!this.accounts.has(p.to)) return 'no_destination';
      debits.set(p.from, (debits.get(p.from) ?? 0n) + p.amount);
    }
    for (const [key, amount] of debits) if (this.accounts.get(key)!.balance < amount) return 'underfunded';
    feeSource.balance -= charged;
    source.seq = tx.seq;
    changed.add(tx.feeSource).add(tx.source);
    for (const p of tx.payments) {
      this.accounts.get(p.from)!.balance -= p.amount;
      this.accounts.get(p.to)!.balance += p.amount;
      changed.add(p.from).add(p.to);
    }
    return charged;
  }
}
