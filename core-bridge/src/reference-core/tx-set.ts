// GeneralizedTransactionSet (v1) as the overlay builds it: phases of components, each with an optional base fee
// and its transactions. Decoded into the flat, ordered list the ledger applies; its hash is SHA-256 of the XDR, as
// stellar-core hashes a generalized set.
//
// Two decoders give the same result: a direct reader for sets of classic txs whose operations are all payments
// (what the load generator sends: one pass over the bytes, each tx hashed from its own bytes), and stellar-base's
// full XDR decoder for anything else. Decoding a 1,000-tx set through stellar-base, which also re-encodes every
// envelope to hash it, was the reference core's largest cost under load.
import { createHash } from 'node:crypto';
import { xdr } from '@stellar/stellar-base';
import { decodeTx, readTx, type DecodedTx } from './transactions.ts';
import { XdrCursor } from './xdr-cursor.ts';

/** stellar-core XDR: GeneralizedTransactionSet v1; TransactionPhase v0 (components); TXSET_COMP_TXS_MAYBE_DISCOUNTED_FEE. */
const GENERALIZED_V1 = 1;
const PHASE_V0 = 0;
const TXSET_COMP_TXS_MAYBE_DISCOUNTED_FEE = 0;
const HASH_BYTES = 32;
/** XDR `<>`: no bound but what the bytes hold (XdrCursor.count checks that). */
const UNBOUNDED = 0xffff_ffff;

export interface TxSetEntry {
  tx: DecodedTx;
  /** The component's base fee, null when the component has none (then the network base fee applies). */
  baseFee: bigint | null;
}

export interface DecodedTxSet {
  previousLedgerHash: Buffer;
  /** In apply order (see applyOrder): each account's txs in sequence order. */
  txs: TxSetEntry[];
  /** Hashes of every transaction in the set (raw), for TX_SET_EXTERNALIZED. */
  txHashes: Buffer[];
  /** Transactions whose XDR could not be reduced (counted as skipped by the ledger). */
  malformed: number;
}

export function txSetHash(txSet: Uint8Array): Buffer {
  return createHash('sha256').update(txSet).digest();
}

function envelopesOf(phase: xdr.TransactionPhase): { baseFee: bigint | null; txs: xdr.TransactionEnvelope[] }[] {
  if (phase.switch() === 0) {
    return phase.v0Components().map((c) => {
      const comp = c.txsMaybeDiscountedFee();
      const fee = comp.baseFee();
      return { baseFee: fee == null ? null : BigInt(fee.toString()), txs: comp.txes() };
    });
  }
  const par = phase.parallelTxsComponent();
  const fee = par.baseFee();
  return [{ baseFee: fee == null ? null : BigInt(fee.toString()), txs: par.executionStages().flat(2) }];
}

/** Decodes a GeneralizedTransactionSet; throws when the set itself is not one. */
export function decodeTxSet(bytes: Uint8Array): DecodedTxSet {
  return decodePaymentsTxSet(bytes) ?? decodeTxSetXdr(bytes);
}

/**
 * The direct reader: null when the set holds anything but classic txs of payments (or is malformed), so that
 * stellar-base's decoder decides.
 */
export function decodePaymentsTxSet(bytes: Uint8Array): DecodedTxSet | null {
  const c = new XdrCursor(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (c.i32() !== GENERALIZED_V1) return null;
  const previousLedgerHash = Buffer.from(c.fixed(HASH_BYTES));
  const txs: TxSetEntry[] = [];
  const txHashes: Buffer[] = [];
  const phases = c.count(UNBOUNDED);
  for (let p = 0; p < phases; p++) {
    if (c.i32() !== PHASE_V0) return null;
    const components = c.count(UNBOUNDED);
    for (let k = 0; k < components; k++) {
      if (c.i32() !== TXSET_COMP_TXS_MAYBE_DISCOUNTED_FEE) return null;
      const baseFee = c.present() ? c.i64() : null;
      const n = c.count(UNBOUNDED);
      for (let i = 0; i < n; i++) {
        const start = c.pos;
        const tx = readTx(c);
        if (tx === null || c.bad) return null;
        const hash = createHash('sha256').update(c.buf.subarray(start, c.pos)).digest();
        txHashes.push(hash);
        txs.push({ tx: { hash: hash.toString('hex'), ...tx }, baseFee });
      }
    }
  }
  if (c.bad || !c.atEnd) return null;
  return { previousLedgerHash, txs: applyOrder(txs), txHashes, malformed: 0 };
}

/** stellar-base's decoder: any GeneralizedTransactionSet. */
export function decodeTxSetXdr(bytes: Uint8Array): DecodedTxSet {
  const set = xdr.GeneralizedTransactionSet.fromXDR(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).v1TxSet();
  const txs: TxSetEntry[] = [];
  const txHashes: Buffer[] = [];
  let malformed = 0;
  for (const phase of set.phases()) {
    for (const { baseFee, txs: envs } of envelopesOf(phase)) {
      for (const env of envs) {
        const hash = createHash('sha256').update(env.toXDR()).digest();
        txHashes.push(hash);
        try {
          txs.push({ tx: decodeTx(env, hash.toString('hex')), baseFee });
        } catch {
          malformed++;
        }
      }
    }
  }
  return { previousLedgerHash: set.previousLedgerHash(), txs: applyOrder(txs), txHashes, malformed };
}

/**
 * The order a set is applied in. A set's XDR is sorted by tx hash (stellar-core requires it), which scatters an
 * account's chain; like stellar-core (sortedForApplySequential), apply each account's txs in sequence order.
 * Accounts go in the order of their lowest tx hash: deterministic, and not chosen by whoever built the set.
 */
export function applyOrder(txs: readonly TxSetEntry[]): TxSetEntry[] {
  const byAccount = new Map<string, TxSetEntry[]>();
  for (const e of txs) {
    const list = byAccount.get(e.tx.source);
    if (list) list.push(e);
    else byAccount.set(e.tx.source, [e]);
  }
  const groups = [...byAccount.values()].map((g) => g.sort((a, b) => (a.tx.seq < b.tx.seq ? -1 : a.tx.seq > b.tx.seq ? 1 : 0)));
  const lowest = (g: TxSetEntry[]) => g.reduce((m, e) => (e.tx.hash < m ? e.tx.hash : m), g[0]!.tx.hash);
  const keyed = groups.map((g) => ({ g, k: lowest(g) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.flatMap((x) => x.g);
}

/**
 * Encodes a v1 set of one classic phase with one component (and an empty second phase, as stellar-core writes
 * sets since protocol 20). Used by tests and by anything that needs a set without an overlay.
 */
export function encodeTxSet(previousLedgerHash: Uint8Array, envelopes: Uint8Array[], baseFee: bigint | null = null): Buffer {
  const component = xdr.TxSetComponent.txsetCompTxsMaybeDiscountedFee(
    new xdr.TxSetComponentTxsMaybeDiscountedFee({
      baseFee: baseFee === null ? null : xdr.Int64.fromString(baseFee.toString()),
      txes: envelopes.map((e) => xdr.TransactionEnvelope.fromXDR(Buffer.from(e))),
    }),
  );
  const phases = [new xdr.TransactionPhase(0, envelopes.length > 0 ? [component] : []), new xdr.TransactionPhase(0, [])];
  return new xdr.GeneralizedTransactionSet(
    1,
    new xdr.TransactionSetV1({ previousLedgerHash: Buffer.from(previousLedgerHash), phases }),
  ).toXDR();
}
