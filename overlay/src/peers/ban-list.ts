// Bans by Stellar node key (G...). Persisted as JSON in <dataDir>/bans.json (atomic: tmp file + fsync + rename,
// mode 0600) so a ban survives restarts. Expired bans are purged lazily (on lookup, list and metric scrape).
// Listeners of 'banned' (the peer manager) disconnect connected peers holding the key.
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StrKey } from '@stellar/stellar-base';
import { Counter, Gauge, type Registry } from 'prom-client';
import { OverlayError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { BanEntry } from './types.ts';

// ---- constants --------------------------------------------------------------------------------------------------
export const BAN_FILE = 'bans.json';
/** Ours: bans kept before the oldest is evicted (a ban list is operator-sized; this only stops runaway growth). */
export const MAX_BANS = 100_000;
/** Ours: reasons are shown in PeerView-sized fields (ipc-protocol shortText is 256 chars). */
export const MAX_REASON_CHARS = 256;
/** Ours: on-disk format version. */
const FILE_VERSION = 1;

export interface BanOptions {
  /** How long the ban lasts; omitted = forever. Must be a positive number of milliseconds. */
  durationMs?: number;
  reason: string;
}

export interface BanListOptions {
  /** Directory holding bans.json (created 0700 if missing). */
  dataDir: string;
  log?: Logger;
  registry?: Registry;
  /** Default MAX_BANS. */
  maxEntries?: number;
  /** Clock, unix ms (tests). */
  now?: () => number;
}

export interface BanListEvents {
  /** A ban was added or replaced. */
  banned: [BanEntry];
  unbanned: [string];
}

interface BanFile {
  version: number;
  bans: BanEntry[];
}

/** Throws OverlayError('BAN_INVALID') unless `key` is a Stellar public key (G...). */
export function assertNodeKey(key: unknown, where = 'node key'): asserts key is string {
  if (typeof key !== 'string' || !StrKey.isValidEd25519PublicKey(key)) {
    throw new OverlayError('BAN_INVALID', `${where} is not a Stellar public key (G...): ${String(key).slice(0, 80)}`);
  }
}

export class BanList extends EventEmitter<BanListEvents> {
  readonly file: string;
  readonly maxEntries: number;
  /** Insertion order = age: the first entry is the oldest (evicted first). */
  private readonly bans = new Map<string, BanEntry>();
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly evictedCounter: Counter | undefined;
  /** Persistence: one write at a time; a change during a write schedules exactly one more. */
  private writing: Promise<void> | null = null;
  private dirty = false;

  /** Reads <dataDir>/bans.json (missing = no bans). A corrupt file throws OverlayError('BAN_INVALID') naming it. */
  constructor(opts: BanListOptions) {
    super();
    this.file = join(opts.dataDir, BAN_FILE);
    this.maxEntries = opts.maxEntries ?? MAX_BANS;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('maxEntries must be at least 1');
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    this.load();
    if (opts.registry) {
      const self = this;
      new Gauge({
        name: 'overlay_bans',
        help: 'Node keys currently banned',
        registers: [opts.registry],
        collect() {
          self.purgeExpired();
          this.set(self.bans.size);
        },
      });
      this.evictedCounter = new Counter({
        name: 'overlay_bans_evicted_total',
        help: `Bans dropped because the ban list was full (${this.maxEntries} entries), oldest first`,
        registers: [opts.registry],
      });
    }
  }

  get size(): number {
    return this.bans.size;
  }

  isBanned(key: string): boolean {
    const e = this.bans.get(key);
    if (e === undefined) return false;
    if (this.expired(e)) {
      this.bans.delete(key);
      this.persistQuietly();
      return false;
    }
    return true;
  }

  /** The ban of `key`, if any and still in force. */
  get(key: string): BanEntry | undefined {
    return this.isBanned(key) ? { ...this.bans.get(key)! } : undefined;
  }

  /**
   * Bans `key` (replacing any earlier ban of it). In force as soon as this returns; the promise settles once the
   * ban file is written (rejects if the write fails — the ban stays in force in memory).
   */
  ban(key: string, opts: BanOptions): Promise<BanEntry> {
    assertNodeKey(key);
    const { durationMs } = opts;
    if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs > 0)) {
      throw new OverlayError('BAN_INVALID', `ban duration must be a positive number of milliseconds, got ${durationMs}`);
    }
    const entry: BanEntry = {
      key,
      until: durationMs === undefined ? 0 : Math.ceil(this.now() + durationMs),
      reason: String(opts.reason ?? '').slice(0, MAX_REASON_CHARS),
    };
    this.bans.delete(key); // re-insert as newest
    this.bans.set(key, entry);
    this.evictOverflow();
    this.log?.info('peer banned', { key, until: entry.until, reason: entry.reason });
    this.emit('banned', { ...entry });
    return this.schedulePersist().then(() => ({ ...entry }));
  }

  /** Lifts the ban of `key`; resolves to whether there was one (expired bans count as none). */
  async unban(key: string): Promise<boolean> {
    const had = this.isBanned(key);
    if (had) {
      this.bans.delete(key);
      this.log?.info('peer unbanned', { key });
      this.emit('unbanned', key);
    }
    await this.schedulePersist();
    return had;
  }

  /** Bans in force, oldest first. */
  list(): BanEntry[] {
    this.purgeExpired();
    return [...this.bans.values()].map((e) => ({ ...e }));
  }

  /** Waits for pending writes of the ban file. */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing.catch(() => {});
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  private expired(e: BanEntry): boolean {
    return e.until !== 0 && e.until <= this.now();
  }

  private purgeExpired(): void {
    let removed = 0;
    for (const [k, e] of this.bans) {
      if (this.expired(e)) {
        this.bans.delete(k);
        removed++;
      }
    }
    if (removed > 0) this.persistQuietly();
  }

  private evictOverflow(): void {
    while (this.bans.size > this.maxEntries) {
      const oldest = this.bans.keys().next().value as string;
      this.bans.delete(oldest);
      this.evictedCounter?.inc();
      this.log?.warn('ban list full, oldest ban evicted', { key: oldest, maxEntries: this.maxEntries });
    }
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new OverlayError('BAN_INVALID', `cannot read ban file ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new OverlayError('BAN_INVALID', `ban file ${this.file} is not valid JSON (${(cause as Error).message}); fix or remove it`, { cause });
    }
    const bad = (what: string) =>
      new OverlayError('BAN_INVALID', `ban file ${this.file} is invalid: ${what}; fix or remove it`);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('expected a JSON object');
    const file = parsed as Partial<BanFile>;
    if (file.version !== FILE_VERSION) throw bad(`unsupported version ${JSON.stringify(file.version)} (expected ${FILE_VERSION})`);
    if (!Array.isArray(file.bans)) throw bad('"bans" is not an array');
    let dropped = 0;
    file.bans.forEach((raw: unknown, i) => {
      if (typeof raw !== 'object' || raw === null) throw bad(`bans[${i}] is not an object`);
      const e = raw as Record<string, unknown>;
      try {
        assertNodeKey(e.key, `bans[${i}].key`);
      } catch (err) {
        throw bad((err as Error).message);
      }
      if (typeof e.until !== 'number' || !Number.isFinite(e.until) || e.until < 0) throw bad(`bans[${i}].until is not a unix ms time`);
      if (typeof e.reason !== 'string') throw bad(`bans[${i}].reason is not a string`);
      const entry: BanEntry = { key: e.key, until: e.until, reason: e.reason.slice(0, MAX_REASON_CHARS) };
      if (this.expired(entry)) {
        dropped++;
        return;
      }
      this.bans.delete(entry.key);
      this.bans.set(entry.key, entry);
    });
    this.evictOverflow();
    this.log?.info('ban list loaded', { file: this.file, bans: this.bans.size, expiredDropped: dropped });
  }

  /** Persist without a caller to tell: a failure is logged by writeLoop. */
  private persistQuietly(): void {
    this.schedulePersist().catch(() => {});
  }

  private schedulePersist(): Promise<void> {
    this.dirty = true;
    if (this.writing === null) {
      this.writing = this.writeLoop().finally(() => {
        this.writing = null;
      });
    }
    return this.writing;
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await this.writeFile();
      } catch (err) {
        this.log?.error('cannot write ban file', { file: this.file, err });
        throw new OverlayError('BAN_INVALID', `cannot write ban file ${this.file}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  private async writeFile(): Promise<void> {
    const body: BanFile = { version: FILE_VERSION, bans: [...this.bans.values()] };
    const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(body, null, 1) + '\n', 'utf8');
      await fh.chmod(0o600); // in case umask or a pre-existing file widened it
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await fh.close();
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }
}
