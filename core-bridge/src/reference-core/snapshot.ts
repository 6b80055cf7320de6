// The ledger on disk: header + accounts after every close, msgpack, written atomically (temp file, fsync, rename) so
// a crash leaves the previous snapshot or the new one, never half of one. Writes are serialised and coalesced: while
// one is in flight only the latest requested state waits (at most one pending), older ones are skipped.
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { CoreError } from './errors.ts';
import { Ledger, type AccountState } from './ledger.ts';

export const SNAPSHOT_FILE = 'ledger.snapshot';
/** Ours: bump when the layout changes; an unknown version is refused, not guessed at. */
const SNAPSHOT_VERSION = 1;
/** Bytes per account in the packed state: raw key (32), balance (i64), seq (i64). */
const ACCOUNT_BYTES = 48;

interface SnapshotV1 {
  version: number;
  networkId: Uint8Array;
  genesisAccounts: number;
  seq: number;
  hash: Uint8Array;
  closeTime: number;
  txSetHash: Uint8Array;
  accounts: Uint8Array;
}

export function encodeSnapshot(ledger: Ledger, networkId: Uint8Array, genesisAccounts: number): Buffer {
  return packSnapshot(ledger, networkId, genesisAccounts, accountTable(ledger).table);
}

/**
 * Snapshots of one ledger close after close: the packed account table is kept and only the rows of the accounts a
 * close changed are rewritten (re-encoding every account each ledger was a steady cost of the reference core).
 */
export class SnapshotEncoder {
  private readonly networkId: Uint8Array;
  private readonly genesisAccounts: number;
  private table: Buffer;
  private rowOf: Map<string, number>;

  constructor(ledger: Ledger, networkId: Uint8Array, genesisAccounts: number) {
    this.networkId = networkId;
    this.genesisAccounts = genesisAccounts;
    ({ table: this.table, rowOf: this.rowOf } = accountTable(ledger));
  }

  /** The snapshot of `ledger`, which differs from the last one encoded only in the `changed` accounts. */
  encode(ledger: Ledger, changed: Iterable<string>): Buffer {
    if (ledger.accounts.size !== this.rowOf.size) ({ table: this.table, rowOf: this.rowOf } = accountTable(ledger));
    for (const key of changed) {
      const o = this.rowOf.get(key);
      const a = ledger.accounts.get(key);
      if (o === undefined || a === undefined) {
        ({ table: this.table, rowOf: this.rowOf } = accountTable(ledger));
        break;
      }
      this.table.writeBigInt64BE(a.balance, o + 32);
      this.table.writeBigInt64BE(a.seq, o + 40);
    }
    return packSnapshot(ledger, this.networkId, this.genesisAccounts, this.table);
  }
}

/** The account table (rows in the ledger's order) and where each account's row starts. */
function accountTable(ledger: Ledger): { table: Buffer; rowOf: Map<string, number> } {
  const table = Buffer.alloc(ledger.accounts.size * ACCOUNT_BYTES);
  const rowOf = new Map<string, number>();
  let o = 0;
  for (const [key, a] of ledger.accounts) {
    table.write(key, o, 'hex');
    table.writeBigInt64BE(a.balance, o + 32);
    table.writeBigInt64BE(a.seq, o + 40);
    rowOf.set(key, o);
    o += ACCOUNT_BYTES;
  }
  return { table, rowOf };
}

function packSnapshot(ledger: Ledger, networkId: Uint8Array, genesisAccounts: number, accounts: Buffer): Buffer {
  const h = ledger.header;
  const snap: SnapshotV1 = {
    version: SNAPSHOT_VERSION,
    networkId: Buffer.from(networkId),
    genesisAccounts,
    seq: h.seq,
    hash: h.hash,
    closeTime: h.closeTime,
    txSetHash: h.txSetHash,
    accounts,
  };
  return pack(snap);
}

/** Reads a snapshot; throws CoreError SNAPSHOT_INVALID when it is unreadable or of another network or genesis. */
export function decodeSnapshot(bytes: Uint8Array, networkId: Uint8Array, genesisAccounts: number): Ledger {
  let s: SnapshotV1;
  try {
    s = unpack(bytes) as SnapshotV1;
  } catch (err) {
    throw new CoreError('SNAPSHOT_INVALID', 'snapshot is not msgpack', { cause: err });
  }
  if (s?.version !== SNAPSHOT_VERSION) throw new CoreError('SNAPSHOT_INVALID', `snapshot version ${s?.version}, expected ${SNAPSHOT_VERSION}`);
  if (!Buffer.from(networkId).equals(Buffer.from(s.networkId))) throw new CoreError('SNAPSHOT_INVALID', 'snapshot is of another network');
  if (s.genesisAccounts !== genesisAccounts) {
    throw new CoreError('SNAPSHOT_INVALID', `snapshot has ${s.genesisAccounts} genesis accounts, configured ${genesisAccounts}`);
  }
  if (s.accounts.length % ACCOUNT_BYTES !== 0) throw new CoreError('SNAPSHOT_INVALID', 'snapshot account table is truncated');
  const buf = Buffer.from(s.accounts.buffer, s.accounts.byteOffset, s.accounts.byteLength);
  const accounts = new Map<string, AccountState>();
  for (let o = 0; o < buf.length; o += ACCOUNT_BYTES) {
    accounts.set(buf.toString('hex', o, o + 32), { balance: buf.readBigInt64BE(o + 32), seq: buf.readBigInt64BE(o + 40) });
  }
  return new Ledger(
    { seq: s.seq, hash: Buffer.from(s.hash), closeTime: s.closeTime, txSetHash: Buffer.from(s.txSetHash) },
    accounts,
  );
}

export class SnapshotStore {
  readonly path: string;
  private writing: Promise<void> | null = null;
  private next: Buffer | null = null;
  /** Snapshots requested while another was waiting (only the latest is written). */
  skipped = 0;
  written = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, SNAPSHOT_FILE);
  }

  /** The stored snapshot's bytes, or null when there is none. */
  read(): Buffer | null {
    try {
      return readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Queues `bytes` to be written; resolves when it (or a later snapshot) is on disk. */
  save(bytes: Buffer): Promise<void> {
    if (this.next !== null) this.skipped++;
    this.next = bytes;
    this.writing ??= this.drain();
    return this.writing;
  }

  /** Resolves once nothing is waiting to be written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.next !== null) {
        const bytes = this.next;
        this.next = null;
        await this.writeAtomically(bytes);
        this.written++;
      }
    } finally {
      this.writing = null;
    }
  }

  private async writeAtomically(bytes: Buffer): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }
}
