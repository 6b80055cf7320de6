// Where transactions enter: from core (one by one or in batches, with a verdict each) and from peers. Each goes
// through the checker (decode once, signatures in worker threads), then the mempool; what is accepted is flooded,
// what fails its checks is remembered so it is never fetched or flooded again.
import { Counter, type Registry } from 'prom-client';
import type { TxReasonName, TxStatusName } from '#ipc-protocol';
import { toHex } from '../util/bytes.ts';
import type { CheckOutcome } from './checker.ts';
import type { AddResult } from './mempool.ts';
import type { TxInfo } from './types.ts';

export interface Verdict {
  status: TxStatusName;
  reason: TxReasonName;
  hash: Uint8Array;
}

export interface TxIntakeOptions {
  check(list: readonly Uint8Array[]): Promise<CheckOutcome[]>;
  add(tx: TxInfo): AddResult;
  /** A tx entered the mempool; `from` is the peer that sent it, null for core. */
  onAccepted(tx: TxInfo, from: string | null): void;
  /** A tx failed its checks (never flood or fetch it again). */
  onRejected(key: string, from: string | null, reason: TxReasonName): void;
  registry: Registry;
}

type Origin = 'core' | 'peer';

export class TxIntake {
  private readonly opts: TxIntakeOptions;
  private readonly outcomes;
  /**
   * The counter's children by origin, status and reason, bound on first use: counting with a labels object makes
   * prom-client build and hash a label string for every tx. Bounded by the protocol's statuses × reasons × 2.
   */
  private readonly children = new Map<Origin, Map<TxStatusName, Map<TxReasonName, Counter.Internal>>>();

  constructor(opts: TxIntakeOptions) {
    this.opts = opts;
    this.outcomes = new Counter({
      name: 'overlay_tx_intake_total',
      help: 'Transactions taken in, by origin, status and reason',
      labelNames: ['origin', 'status', 'reason'] as const,
      registers: [opts.registry],
    });
  }

  /** Core's submissions, in order, one verdict each. */
  async fromCore(txs: readonly Uint8Array[]): Promise<Verdict[]> {
    const checked = await this.opts.check(txs);
    return checked.map((c) => this.admit(c, null));
  }

  /** A body from a peer; verdicts only feed metrics and peer scoring. */
  async fromPeer(bytes: Uint8Array, peer: string): Promise<Verdict> {
    const [c] = await this.opts.check([bytes]);
    return this.admit(c!, peer);
  }

  private admit(c: CheckOutcome, from: string | null): Verdict {
    const origin: Origin = from === null ? 'core' : 'peer';
    let v: Verdict;
    if (!c.ok) {
      const status = c.reason === 'RATE_LIMITED' ? 'TRY_AGAIN_LATER' : 'INVALID';
      if (status === 'INVALID') this.opts.onRejected(toHex(c.hash), from, c.reason);
      v = { status, reason: c.reason, hash: c.hash };
    } else {
      const r = this.opts.add(c.tx);
      if (r.status === 'ACCEPTED') {
        this.opts.onAccepted(c.tx, from);
        v = { status: 'ACCEPTED', reason: 'NONE', hash: c.tx.hash };
      } else if (r.status === 'DUPLICATE') {
        v = { status: 'DUPLICATE', reason: 'NONE', hash: c.tx.hash };
      } else {
        v = { status: r.status, reason: r.reason, hash: c.tx.hash };
      }
    }
    this.count(origin, v.status, v.reason);
    return v;
  }

  private count(origin: Origin, status: TxStatusName, reason: TxReasonName): void {
    let byStatus = this.children.get(origin);
    if (byStatus === undefined) this.children.set(origin, (byStatus = new Map()));
    let byReason = byStatus.get(status);
    if (byReason === undefined) byStatus.set(status, (byReason = new Map()));
    let child = byReason.get(reason);
    if (child === undefined) byReason.set(reason, (child = this.outcomes.labels(origin, status, reason)));
    child.inc();
  }
}
