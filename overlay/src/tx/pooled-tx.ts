// A pending tx as the mempool keeps it: one object per tx, its envelope bytes in the mempool's slabs
// (tx/byte-slabs.ts) rather than in an ArrayBuffer of their own, its source account string shared with the
// account's other txs, its hash kept only as the hex key. It is the TxInfo the mempool hands out (get, top, chains,
// removals): `bytes` is a view made on each read (readers that keep it keep a view, not the pool's record), `hash`
// a 32-byte Buffer decoded from the key on each read (Node's small-buffer pool: no ArrayBuffer of its own), `seq` a
// BigInt made from two small integers on each read (a BigInt kept per tx costs ~25 B of heap more).
import { ByteSlabs, type Slab, type SlabRecord } from './byte-slabs.ts';
import type { PoolKey } from './fee-order.ts';
import type { TxInfo } from './types.ts';

export class PooledTx implements TxInfo, PoolKey, SlabRecord {
  readonly key: string;
  readonly source: string;
  /** The sequence number's upper 32 bits (signed) and lower 32 bits as a signed int32: both V8 small integers. */
  private readonly seqHigh: number;
  private readonly seqLow: number;
  readonly ops: number;
  readonly feeNum: number;
  /** The fee when `feeNum` is not exact (above 2^53), else null: no BigInt kept per tx for the usual fees. */
  private readonly feeBig: bigint | null;
  /** Envelope bytes (`bytes.length`, without making a view). */
  readonly size: number;
  /** The mempool's ledger tick when it arrived. */
  readonly addedTick: number;
  readonly arrival: number;
  slab: Slab | null = null;
  at = 0;
  slot = -1;

  /** `source`: the account string the pool already holds for this account, if any (one string per account). */
  constructor(tx: TxInfo, source: string, addedTick: number, arrival: number) {
    this.key = tx.key;
    this.source = source;
    this.seqHigh = Number(tx.seq >> 32n);
    this.seqLow = Number(BigInt.asIntN(32, tx.seq));
    this.ops = tx.ops;
    this.feeNum = Number(tx.fee);
    this.feeBig = Number.isSafeInteger(this.feeNum) ? null : tx.fee;
    this.size = tx.bytes.length;
    this.addedTick = addedTick;
    this.arrival = arrival;
  }

  get seq(): bigint {
    return (BigInt(this.seqHigh) << 32n) + BigInt(this.seqLow >>> 0);
  }

  get fee(): bigint {
    return this.feeBig ?? BigInt(this.feeNum);
  }

  get storedBytes(): number {
    return this.size;
  }

  get hash(): Uint8Array {
    return Buffer.from(this.key, 'hex');
  }

  get bytes(): Uint8Array {
    return ByteSlabs.view(this, 0, this.size);
  }
}
