// The reference core's consensus, as a pure state machine: envelopes, timer ticks and the outcome of the actions it
// asked for go in; actions come out. No I/O, no clock of its own (every input carries `now`), so tests drive it
// envelope by envelope.
//
// Simplified and deterministic, not SCP:
// - slot s (= ledger seq), round r: the leader is validators[(s + r) mod n] (sorted keys).
// - slots start on the period grid (every validator's clock shows the same grid): at the first grid time after the
//   previous slot's start, or at once if the previous slot closed later than that (as stellar-core triggers the next
//   ledger at once when the last one took longer than the target); a late slot is followed by a shorter one, back on
//   the grid. The leader builds a value and NOMINATEs it.
// - a validator that gets the nomination of its current round's leader validates it (the caller fetches the tx set,
//   checks the close time) and votes with an EXTERNALIZE (counter = round + 1): at most one vote per round.
// - the slot is decided when ≥ threshold distinct validators voted for the same value (any round).
// - no decision within 2 × period of a round's start: next round, next leader. A leader of a later round
//   re-nominates the value with most votes so far, so split votes converge instead of splitting again.
// - envelopes for later slots are buffered (bounded) and processed once the slots before them closed; threshold
//   votes for a later slot mean the network is ahead ('behind' action, rate-limited).

/** Ours: how many slots ahead envelopes are buffered; the overlay's tx-set cache covers 12 ledgers. */
export const MAX_FUTURE_SLOTS = 64;
/** Ours: rounds run 2 × the ledger period before the next leader takes over (the brief's rule). */
export const ROUND_PERIODS = 2;

export type ScpMessage =
  | { kind: 'nominate'; node: string; slot: number; value: Buffer }
  | { kind: 'externalize'; node: string; slot: number; round: number; value: Buffer };

export type RoundChangeReason = 'no_nomination' | 'no_decision' | 'leader_ahead';

export type Action =
  /** We lead this round and have no value carried over: build one (then call `proposed`). */
  | { type: 'build'; slot: number; round: number }
  /** Broadcast a NOMINATE for `value`. */
  | { type: 'nominate'; slot: number; round: number; value: Buffer }
  /** Make sure the value's tx set is at hand and the value is sane (then call `validated`). */
  | { type: 'validate'; slot: number; round: number; value: Buffer }
  /** Broadcast an EXTERNALIZE (our vote) for `value`, commit counter round + 1. */
  | { type: 'externalize'; slot: number; round: number; value: Buffer }
  /** The slot is decided: apply the value and call `closed`. */
  | { type: 'decide'; slot: number; value: Buffer }
  | { type: 'roundChange'; slot: number; round: number; reason: RoundChangeReason }
  /** Threshold votes for a later slot than ours: fetch SCP state from `slot` on. */
  | { type: 'behind'; slot: number; networkSlot: number };

export interface ConsensusOptions {
  /** Our node key (G...). */
  self: string;
  validators: string[];
  threshold: number;
  periodMs: number;
  /** Seq of the last closed ledger; consensus starts at the next slot. */
  lastClosed: number;
  now: number;
  maxFutureSlots?: number;
}

interface Tally {
  value: Buffer;
  voters: Set<string>;
}

type Phase = 'waiting' | 'running' | 'decided';

export function defaultThreshold(n: number): number {
  return Math.floor((2 * n) / 3) + 1;
}

export class Consensus {
  readonly self: string;
  readonly validators: readonly string[];
  readonly threshold: number;
  readonly periodMs: number;
  private readonly members: ReadonlySet<string>;
  private readonly maxFutureSlots: number;
  /** Ours: distinct values tallied per slot (honest validators vote once per round). */
  private readonly maxValuesPerSlot: number;
  /** Ours: nominations buffered per later slot. */
  private readonly maxNominationsPerSlot: number;

  slot: number;
  round = 0;
  phase: Phase = 'waiting';
  /** When the current slot starts (on the period grid, or at once after a late close); see `closed`. */
  slotStartAt: number;
  roundDeadline: number;
  private votedRound = -1;
  private nominatedRound = -1;
  private readonly validating = new Set<number>();
  /** slot → value (hex) → voters. Slots in [slot, slot + maxFutureSlots]. */
  private readonly tallies = new Map<number, Map<string, Tally>>();
  /** Nominations for later slots, replayed when the slot becomes current. */
  private readonly pendingNominations = new Map<number, Extract<ScpMessage, { kind: 'nominate' }>[]>();
  private lastBehindAt = Number.NEGATIVE_INFINITY;
  /** Envelopes dropped because a bound was hit (for a metric). */
  dropped = 0;

  constructor(opts: ConsensusOptions) {
    if (opts.validators.length === 0) throw new RangeError('no validators');
    if (!opts.validators.includes(opts.self)) throw new RangeError('we are not in the validator set');
    if (!Number.isInteger(opts.threshold) || opts.threshold < 1 || opts.threshold > opts.validators.length) {
      throw new RangeError(`threshold must be 1..${opts.validators.length}`);
    }
    this.self = opts.self;
    this.validators = [...new Set(opts.validators)].sort();
    this.members = new Set(this.validators);
    this.threshold = opts.threshold;
    this.periodMs = opts.periodMs;
    this.maxFutureSlots = opts.maxFutureSlots ?? MAX_FUTURE_SLOTS;
    this.maxValuesPerSlot = 2 * this.validators.length + 4;
    this.maxNominationsPerSlot = 2 * this.validators.length;
    this.slot = opts.lastClosed + 1;
    this.slotStartAt = this.aligned(opts.now);
    this.roundDeadline = this.slotStartAt + ROUND_PERIODS * this.periodMs;
  }

  leader(slot: number, round: number): string {
    return this.validators[(slot + round) % this.validators.length]!;
  }

  isValidator(node: string): boolean {
    return this.members.has(node);
  }

  /** When `tick` next has something to do. */
  nextWakeAt(): number {
    if (this.phase === 'waiting') return this.slotStartAt;
    if (this.phase === 'running') return this.roundDeadline;
    return Number.POSITIVE_INFINITY;
  }

  /** Buffered state, for gauges. */
  sizes(): { talliedSlots: number; pendingNominations: number } {
    let pending = 0;
    for (const l of this.pendingNominations.values()) pending += l.length;
    return { talliedSlots: this.tallies.size, pendingNominations: pending };
  }

  /** Votes seen so far for the current slot: value (hex) → voter count. */
  currentVotes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, t] of this.tallies.get(this.slot) ?? []) out.set(k, t.voters.size);
    return out;
  }

  tick(now: number): Action[] {
    const out: Action[] = [];
    if (this.phase === 'waiting' && now >= this.slotStartAt) {
      this.phase = 'running';
      this.roundDeadline = this.slotStartAt + ROUND_PERIODS * this.periodMs;
      this.startRound(out);
    } else if (this.phase === 'running' && now >= this.roundDeadline) {
      const reason: RoundChangeReason = this.nominatedRound === this.round ? 'no_decision' : 'no_nomination';
      this.enterRound(this.round + 1, now, reason, out);
    }
    return out;
  }

  receive(msg: ScpMessage, now: number): Action[] {
    const out: Action[] = [];
    if (!this.members.has(msg.node) || msg.slot < this.slot) return out;
    if (msg.slot > this.slot + this.maxFutureSlots) {
      this.dropped++;
      this.noteBehind(msg.slot, now, out);
      return out;
    }
    if (msg.kind === 'externalize') {
      if (!this.tally(msg.slot, msg.node, msg.value)) return out;
      if (msg.slot === this.slot) this.checkDecided(out);
      else if (this.decidedValue(msg.slot) !== undefined) this.noteBehind(msg.slot, now, out);
      return out;
    }
    if (msg.slot > this.slot) {
      const list = this.pendingNominations.get(msg.slot) ?? [];
      if (list.length >= this.maxNominationsPerSlot) {
        this.dropped++;
        return out;
      }
      list.push(msg);
      this.pendingNominations.set(msg.slot, list);
      return out;
    }
    this.onNomination(msg, now, out);
    return out;
  }

  /** The value we built as this round's leader. */
  proposed(slot: number, round: number, value: Buffer): Action[] {
    const out: Action[] = [];
    if (slot !== this.slot || round !== this.round || this.phase !== 'running') return out;
    out.push({ type: 'nominate', slot, round, value });
    this.nominatedRound = round;
    this.vote(value, out);
    return out;
  }

  /** The outcome of a 'validate' action. */
  validated(slot: number, round: number, value: Buffer, ok: boolean): Action[] {
    const out: Action[] = [];
    if (slot !== this.slot) return out;
    this.validating.delete(round);
    if (!ok || this.phase === 'decided' || round !== this.round || this.votedRound >= round) return out;
    this.vote(value, out);
    return out;
  }

  /** The decided slot was applied: move on to the next one. */
  closed(slot: number, now: number): Action[] {
    const out: Action[] = [];
    if (slot !== this.slot) return out;
    this.tallies.delete(slot);
    this.pendingNominations.delete(slot);
    this.slot++;
    this.round = 0;
    this.votedRound = -1;
    this.nominatedRound = -1;
    this.validating.clear();
    this.phase = 'waiting';
    // A close in time waits for the grid; a late one starts the next slot at once: waiting for the next grid time
    // would add up to a period to every tx of the next ledger (and a slow ledger would make the next one larger).
    // A slot closed before our own start time (we followed a leader whose slot began earlier) counts from the close,
    // or our grid would stay a period behind the others'.
    this.slotStartAt = Math.max(now, this.aligned(Math.min(this.slotStartAt, now) + 1));
    this.roundDeadline = this.slotStartAt + ROUND_PERIODS * this.periodMs;
    if (this.checkDecided(out)) return out;
    const pending = this.pendingNominations.get(this.slot) ?? [];
    this.pendingNominations.delete(this.slot);
    for (const m of pending) this.onNomination(m, now, out);
    return out;
  }

  private aligned(now: number): number {
    return Math.ceil(now / this.periodMs) * this.periodMs;
  }

  private enterRound(round: number, now: number, reason: RoundChangeReason, out: Action[]): void {
    this.round = round;
    this.roundDeadline = now + ROUND_PERIODS * this.periodMs;
    out.push({ type: 'roundChange', slot: this.slot, round, reason });
    this.startRound(out);
  }

  private startRound(out: Action[]): void {
    if (this.leader(this.slot, this.round) !== this.self) return;
    const carried = this.mostVoted();
    if (carried === undefined) {
      out.push({ type: 'build', slot: this.slot, round: this.round });
      return;
    }
    // A value already has votes: nominate it again rather than split the votes further.
    out.push({ type: 'nominate', slot: this.slot, round: this.round, value: carried });
    this.nominatedRound = this.round;
    if (this.votedRound < this.round) {
      this.validating.add(this.round);
      out.push({ type: 'validate', slot: this.slot, round: this.round, value: carried });
    }
  }

  private onNomination(msg: Extract<ScpMessage, { kind: 'nominate' }>, now: number, out: Action[]): void {
    if (this.phase === 'decided') return;
    let round: number;
    if (this.leader(this.slot, this.round) === msg.node) round = this.round;
    else if (this.leader(this.slot, this.round + 1) === msg.node) round = this.round + 1;
    else return;
    if (this.phase === 'waiting') {
      // The leader started the slot before our aligned start (clocks, or we closed late): follow it.
      this.phase = 'running';
      this.roundDeadline = now + ROUND_PERIODS * this.periodMs;
    }
    if (round > this.round) {
      this.round = round;
      this.roundDeadline = now + ROUND_PERIODS * this.periodMs;
      out.push({ type: 'roundChange', slot: this.slot, round, reason: 'leader_ahead' });
    }
    this.nominatedRound = round;
    if (this.votedRound >= round || this.validating.has(round)) return;
    this.validating.add(round);
    out.push({ type: 'validate', slot: this.slot, round, value: msg.value });
  }

  private vote(value: Buffer, out: Action[]): void {
    this.votedRound = this.round;
    out.push({ type: 'externalize', slot: this.slot, round: this.round, value });
    this.tally(this.slot, this.self, value);
    this.checkDecided(out);
  }

  /** Records a vote; false when dropped (bound) or already known. */
  private tally(slot: number, node: string, value: Buffer): boolean {
    let slotTallies = this.tallies.get(slot);
    if (slotTallies === undefined) {
      slotTallies = new Map();
      this.tallies.set(slot, slotTallies);
    }
    const key = value.toString('hex');
    let t = slotTallies.get(key);
    if (t === undefined) {
      if (slotTallies.size >= this.maxValuesPerSlot) {
        this.dropped++;
        return false;
      }
      t = { value, voters: new Set() };
      slotTallies.set(key, t);
    }
    if (t.voters.has(node)) return false;
    t.voters.add(node);
    return true;
  }

  private decidedValue(slot: number): Buffer | undefined {
    for (const t of this.tallies.get(slot)?.values() ?? []) if (t.voters.size >= this.threshold) return t.value;
    return undefined;
  }

  /** Moves to 'decided' when a value of the current slot has threshold votes; true when decided. */
  private checkDecided(out: Action[]): boolean {
    if (this.phase === 'decided') return true;
    const value = this.decidedValue(this.slot);
    if (value === undefined) return false;
    this.phase = 'decided';
    out.push({ type: 'decide', slot: this.slot, value });
    return true;
  }

  /** The current slot's value with most voters (ties: greatest bytes), if any has votes. */
  private mostVoted(): Buffer | undefined {
    let best: Tally | undefined;
    for (const t of this.tallies.get(this.slot)?.values() ?? []) {
      if (best === undefined || t.voters.size > best.voters.size || (t.voters.size === best.voters.size && Buffer.compare(t.value, best.value) > 0)) {
        best = t;
      }
    }
    return best?.value;
  }

  private noteBehind(networkSlot: number, now: number, out: Action[]): void {
    if (now - this.lastBehindAt < ROUND_PERIODS * this.periodMs) return;
    this.lastBehindAt = now;
    out.push({ type: 'behind', slot: this.slot, networkSlot });
  }
}
