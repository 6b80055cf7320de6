// The load generator: signed native payments from the genesis accounts to random others, at a target rate spread
// over reference cores (POST /txs every ~50 ms, round robin). Each account's next sequence number is tracked locally
// with at most a few txs in flight; a periodic check (POST /accounts, batched) confirms applied txs, and an account
// whose txs did not apply within a few ledgers is resynchronised from the ledger.
import { networkIdOf } from '#ipc-protocol';
import { genesisAccount, type GenesisAccount } from '../reference-core/genesis.ts';
import { silentLogger, type Logger } from '../reference-core/log.ts';
import { signedPayment } from './payment.ts';

export const LOADGEN_DEFAULTS = {
  /** The overlay's and the reference core's default network. */
  networkPassphrase: 'Test SDF Network ; September 2015',
  /** The brief: a batch every ~50 ms. */
  batchIntervalMs: 50,
  /** The brief: at most a few txs in flight per account. */
  maxInFlightPerAccount: 3,
  /** Ours: txs not applied within this many ledgers are presumed lost (mempool expiry is a few ledgers). */
  resyncLedgers: 4,
  /** Ours: how often applied txs are confirmed (about a ledger). */
  confirmIntervalMs: 1000,
  /** stellar-core: the network base fee per operation. */
  fee: 100,
  /** Ours: 1 XLM per payment; genesis balances cover millions. */
  amount: 10_000_000n,
  /** Ours: POST /txs requests in flight per core; beyond, the tick's txs wait (the rate then falls short). */
  maxRequestsPerCore: 4,
} as const;
/** The reference core's limits (http-api.ts): txs per POST /txs, keys per POST /accounts. */
const MAX_TXS_PER_REQUEST = 1000;
const MAX_KEYS_PER_REQUEST = 1000;
/**
 * Ours: budget a late tick carries over, in ms of the target rate. On a loaded machine ticks come 100–300 ms late;
 * carrying only a few ticks (it was 4 × 50 ms) lost that budget and the generator sent ~10 % under its target. A
 * stall longer than this still does not turn into a burst.
 */
const MAX_CARRY_MS = 1000;

export interface LoadGeneratorOptions {
  /** Base URLs of reference cores (http://127.0.0.1:port). */
  cores: string[];
  tps: number;
  /** Genesis accounts to use: 0..accounts-1 (at most the cores' --accounts). */
  accounts: number;
  networkPassphrase?: string;
  batchIntervalMs?: number;
  maxInFlightPerAccount?: number;
  resyncLedgers?: number;
  confirmIntervalMs?: number;
  fee?: number;
  amount?: bigint;
  maxRequestsPerCore?: number;
  log?: Logger;
}

export interface LoadStats {
  elapsedSec: number;
  targetTps: number;
  submitted: number;
  accepted: number;
  /** Refused by the overlay, by status/reason. */
  rejected: Record<string, number>;
  /** Confirmed applied (the account's seq reached the tx's). */
  confirmed: number;
  /** Presumed lost (not applied within resyncLedgers): their accounts were resynchronised. */
  lost: number;
  inFlight: number;
  httpErrors: number;
  /** Ticks whose txs could not be sent because every core had maxRequestsPerCore requests open. */
  backlogged: number;
  acceptedTps: number;
  confirmedTps: number;
  ledger: number;
}

interface InFlight {
  seq: bigint;
  /** The ledger we knew of when it was sent. */
  ledger: number;
}

interface AccountSlot {
  keys: GenesisAccount | null;
  /** Next seq to use; null until synchronised from a core. */
  next: bigint | null;
  inFlight: InFlight[];
  /** Excluded: the cores do not know this account. */
  unknown: boolean;
}

interface Verdict {
  status: string;
  reason: string;
  hash: string;
}

export class LoadGenerator {
  private readonly o: Required<Omit<LoadGeneratorOptions, 'log'>> & { log: Logger };
  private readonly networkId: Uint8Array;
  private readonly slots: AccountSlot[];
  private readonly openRequests: number[];
  private cursor = 0;
  private coreCursor = 0;
  private budget = 0;
  private lastTick = 0;
  private startedAt = 0;
  private ledger = 0;
  private tickTimer: NodeJS.Timeout | null = null;
  private confirmTimer: NodeJS.Timeout | null = null;
  private confirming = false;
  private running = false;
  private readonly inflightRequests = new Set<Promise<unknown>>();
  private readonly counts = { submitted: 0, accepted: 0, confirmed: 0, lost: 0, httpErrors: 0, backlogged: 0 };
  private readonly rejected: Record<string, number> = {};

  constructor(opts: LoadGeneratorOptions) {
    if (opts.cores.length === 0) throw new RangeError('no cores');
    if (!(opts.tps > 0)) throw new RangeError('tps must be positive');
    if (!Number.isInteger(opts.accounts) || opts.accounts < 2) throw new RangeError('at least 2 accounts');
    const d = LOADGEN_DEFAULTS;
    this.o = {
      cores: opts.cores.map((u) => u.replace(/\/+$/, '')),
      tps: opts.tps,
      accounts: opts.accounts,
      networkPassphrase: opts.networkPassphrase ?? d.networkPassphrase,
      batchIntervalMs: opts.batchIntervalMs ?? d.batchIntervalMs,
      maxInFlightPerAccount: opts.maxInFlightPerAccount ?? d.maxInFlightPerAccount,
      resyncLedgers: opts.resyncLedgers ?? d.resyncLedgers,
      confirmIntervalMs: opts.confirmIntervalMs ?? d.confirmIntervalMs,
      fee: opts.fee ?? d.fee,
      amount: opts.amount ?? d.amount,
      maxRequestsPerCore: opts.maxRequestsPerCore ?? d.maxRequestsPerCore,
      log: opts.log ?? silentLogger,
    };
    this.networkId = networkIdOf(this.o.networkPassphrase);
    this.slots = Array.from({ length: opts.accounts }, () => ({ keys: null, next: null, inFlight: [], unknown: false }));
    this.openRequests = this.o.cores.map(() => 0);
  }

  /** Synchronises every account's seq from the first core, then sends at the target rate until `stop`. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.ledger = (await this.get<{ seq: number }>(0, '/ledger')).seq;
    await this.syncAccounts(this.slots.map((_, i) => i));
    if (!this.running) return;
    this.startedAt = this.lastTick = Date.now();
    this.o.log.info('load generator started', { tps: this.o.tps, accounts: this.o.accounts, cores: this.o.cores.length });
    const tick = () => {
      if (!this.running) return;
      this.tick();
      this.tickTimer = setTimeout(tick, this.o.batchIntervalMs);
    };
    const confirm = () => {
      if (!this.running) return;
      void this.confirm().finally(() => {
        if (this.running) this.confirmTimer = setTimeout(confirm, this.o.confirmIntervalMs);
      });
    };
    tick();
    this.confirmTimer = setTimeout(confirm, this.o.confirmIntervalMs);
  }

  /** Stops sending and waits for requests in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.tickTimer = this.confirmTimer = null;
    await Promise.allSettled([...this.inflightRequests]);
  }

  stats(): LoadStats {
    const elapsedSec = this.startedAt === 0 ? 0 : (Date.now() - this.startedAt) / 1000;
    const inFlight = this.slots.reduce((n, s) => n + s.inFlight.length, 0);
    return {
      elapsedSec,
      targetTps: this.o.tps,
      ...this.counts,
      rejected: { ...this.rejected },
      inFlight,
      acceptedTps: elapsedSec > 0 ? this.counts.accepted / elapsedSec : 0,
      confirmedTps: elapsedSec > 0 ? this.counts.confirmed / elapsedSec : 0,
      ledger: this.ledger,
    };
  }

  // ── Sending ───────────────────────────────────────────────────────────────────────────────────────────────────

  private tick(): void {
    const now = Date.now();
    const perTick = (this.o.tps * this.o.batchIntervalMs) / 1000;
    this.budget = Math.min(this.budget + (this.o.tps * (now - this.lastTick)) / 1000, Math.max(perTick, (this.o.tps * MAX_CARRY_MS) / 1000));
    this.lastTick = now;
    const n = Math.floor(this.budget);
    if (n === 0) return;
    const free = this.o.cores.map((_, i) => i).filter((i) => this.openRequests[i]! < this.o.maxRequestsPerCore);
    if (free.length === 0) {
      this.counts.backlogged++;
      return;
    }
    const txs: { slot: number; seq: bigint; bytes: Buffer }[] = [];
    for (let tried = 0; txs.length < n && tried < this.slots.length; tried++) {
      const i = this.cursor;
      this.cursor = (this.cursor + 1) % this.slots.length;
      const s = this.slots[i]!;
      if (s.unknown || s.next === null || s.inFlight.length >= this.o.maxInFlightPerAccount) continue;
      const seq = s.next++;
      s.inFlight.push({ seq, ledger: this.ledger });
      txs.push({ slot: i, seq, bytes: this.payment(i, seq) });
    }
    this.budget -= txs.length;
    if (txs.length === 0) return;
    // Spread over the cores that can take a request, starting with a different one each tick.
    const groups = free.map(() => [] as typeof txs);
    txs.forEach((t, k) => groups[(k + this.coreCursor) % free.length]!.push(t));
    this.coreCursor = (this.coreCursor + 1) % free.length;
    free.forEach((core, g) => {
      const group = groups[g]!;
      for (let k = 0; k < group.length; k += MAX_TXS_PER_REQUEST) this.send(core, group.slice(k, k + MAX_TXS_PER_REQUEST));
    });
  }

  private payment(from: number, seq: bigint): Buffer {
    const s = this.slots[from]!;
    s.keys ??= genesisAccount(from);
    let to = Math.floor(Math.random() * (this.slots.length - 1));
    if (to >= from) to++;
    const dest = (this.slots[to]!.keys ??= genesisAccount(to));
    return signedPayment({ from: s.keys, to: dest.publicKey, amount: this.o.amount, seq, fee: this.o.fee, networkId: this.networkId });
  }

  private send(core: number, txs: { slot: number; seq: bigint; bytes: Buffer }[]): void {
    this.openRequests[core]!++;
    this.counts.submitted += txs.length;
    const req = this.post<Verdict[]>(core, '/txs', txs.map((t) => t.bytes.toString('base64')))
      .then(
        (verdicts) => txs.forEach((t, k) => this.onVerdict(t.slot, t.seq, verdicts[k])),
        (err) => {
          this.counts.httpErrors++;
          this.o.log.warn('POST /txs failed', { core: this.o.cores[core], err: (err as Error).message });
          for (const t of txs) this.onVerdict(t.slot, t.seq, undefined);
        },
      )
      .finally(() => {
        this.openRequests[core]!--;
        this.inflightRequests.delete(req);
      });
    this.inflightRequests.add(req);
  }

  private onVerdict(slot: number, seq: bigint, v: Verdict | undefined): void {
    if (v !== undefined && (v.status === 'ACCEPTED' || v.status === 'DUPLICATE')) {
      this.counts.accepted++;
      return;
    }
    const key = v === undefined ? 'HTTP_ERROR' : `${v.status}:${v.reason}`;
    this.rejected[key] = (this.rejected[key] ?? 0) + 1;
    // Not in the pool: this seq was not used, and later ones of the account cannot apply before it.
    const s = this.slots[slot]!;
    const before = s.inFlight.length;
    s.inFlight = s.inFlight.filter((f) => f.seq < seq);
    if (s.inFlight.length < before && (s.next === null || s.next > seq)) s.next = seq;
  }

  // ── Confirmation and resync ───────────────────────────────────────────────────────────────────────────────────

  /** Confirms txs that had time to apply; resynchronises accounts whose txs did not apply in resyncLedgers. */
  private async confirm(): Promise<void> {
    if (this.confirming) return;
    this.confirming = true;
    try {
      const core = this.coreCursor % this.o.cores.length;
      const info = await this.get<{ seq: number }>(core, '/ledger');
      this.ledger = info.seq;
      const due = this.slots
        .map((s, i) => (!s.unknown && (s.next === null || (s.inFlight.length > 0 && s.inFlight[0]!.ledger < this.ledger - 1)) ? i : -1))
        .filter((i) => i >= 0);
      await this.syncAccounts(due, core);
    } catch (err) {
      this.counts.httpErrors++;
      this.o.log.warn('confirmation round failed', { err: (err as Error).message });
    } finally {
      this.confirming = false;
    }
  }

  /** Reads the accounts' seqs (batched) and reconciles what is in flight. */
  private async syncAccounts(indices: number[], core = 0): Promise<void> {
    for (let k = 0; k < indices.length; k += MAX_KEYS_PER_REQUEST) {
      const chunk = indices.slice(k, k + MAX_KEYS_PER_REQUEST);
      // Raw keys as hex: the cores look them up without decoding strkeys.
      const keys = chunk.map((i) => (this.slots[i]!.keys ??= genesisAccount(i)).publicKey.toString('hex'));
      const states = await this.post<Record<string, { seq: string } | null>>(core, '/accounts', keys);
      chunk.forEach((i, j) => this.reconcile(i, states[keys[j]!] ?? null));
    }
  }

  private reconcile(i: number, state: { seq: string } | null): void {
    const s = this.slots[i]!;
    if (state === null) {
      s.unknown = true;
      s.inFlight = [];
      return;
    }
    const seq = BigInt(state.seq);
    const applied = s.inFlight.filter((f) => f.seq <= seq).length;
    this.counts.confirmed += applied;
    s.inFlight = s.inFlight.filter((f) => f.seq > seq);
    const stale = s.inFlight.length > 0 && s.inFlight[0]!.ledger <= this.ledger - this.o.resyncLedgers;
    if (stale) {
      this.counts.lost += s.inFlight.length;
      this.o.log.debug('txs not applied in time: resync', { account: s.keys?.address, seq: state.seq, lost: s.inFlight.length });
      s.inFlight = [];
    }
    // Nothing in flight: the ledger's seq is the truth. Otherwise keep counting from ours unless the ledger passed it.
    if (s.inFlight.length === 0 || s.next === null || s.next <= seq) s.next = seq + 1n;
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private async post<T>(core: number, path: string, body: unknown): Promise<T> {
    const res = await fetch(this.o.cores[core] + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  private async get<T>(core: number, path: string): Promise<T> {
    const res = await fetch(this.o.cores[core] + path);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }
}
