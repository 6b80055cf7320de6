// Where transactions enter: from core (one by one or in batches, with a verdict each) and from peers. Each goes
// through the checker (decode once, signatures in worker threads), then the mempool; what is accepted is flooded,
// what fails its checks is remembered so it is never fetched or flooded again.
import type { Registry } from 'prom-client';
import { TxReason, TxStatus, type TxReasonName, type TxStatusName } from '#ipc-protocol';
import { TallyCounter, codeSlots } from '../metrics/tallies.ts';
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

const ORIGINS = ['core', 'peer'] as const;
const STATUS_NAMES = Object.keys(TxStatus) as TxStatusName[];
const REASON_NAMES = Object.keys(TxReason) as TxReasonName[];
/** Series of overlay_tx_intake_total by index: origin (0 core, 1 peer), then status code, then reason code. */
const STATUS_SLOTS = codeSlots(TxStatus);
const REASON_SLOTS = codeSlots(TxReason);

function intakeSeries(): ({ origin: string; status: string; reason: string } | null)[] {
  const series: ({ origin: string; status: string; reason: string } | null)[] = new Array(ORIGINS.length * STATUS_SLOTS * REASON_SLOTS).fill(null);
  ORIGINS.forEach((origin, o) => {
    for (const status of STATUS_NAMES) {
      for (const reason of REASON_NAMES) series[seriesIndex(o, status, reason)] = { origin, status, reason };
    }
  });
  return series;
}

function seriesIndex(origin: number, status: TxStatusName, reason: TxReasonName): number {
  return (origin * STATUS_SLOTS + TxStatus[status]) * REASON_SLOTS + TxReason[reason];
}

export class TxIntake {
  private readonly opts: TxIntakeOptions;
  /** Counted per tx as plain numbers (metrics/tallies.ts), one series per origin × status × reason. */
  private readonly outcomes: TallyCounter<'origin' | 'status' | 'reason'>;

  constructor(opts: TxIntakeOptions) {
    this.opts = opts;
    this.outcomes = new TallyCounter({
      name: 'overlay_tx_intake_total',
      help: 'Transactions taken in, by origin, status and reason',
      labelNames: ['origin', 'status', 'reason'],
      series: intakeSeries(),
      registers: [opts.registry],
    });
  }

  /** Core's submissions, in order, one verdict each. */
  async fromCore(txs: readonly Uint8Array[]): Promise<Verdict[]> {
    const checked = await this.opts.check(txs);
    const verdicts: Verdict[] = new Array(checked.length);
    for (let i = 0; i < checked.length; i++) verdicts[i] = this.admit(checked[i]!, null);
    return verdicts;
  }

  /** A body from a peer; verdicts only feed metrics and peer scoring. */
  async fromPeer(bytes: Uint8Array, peer: string): Promise<Verdict> {
    const [c] = await this.opts.check([bytes]);
    return this.admit(c!, peer);
  }

  private admit(c: CheckOutcome, from: string | null): Verdict {
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
    this.outcomes.inc(seriesIndex(from === null ? 0 : 1, v.status, v.reason));
    return v;
  }
}
