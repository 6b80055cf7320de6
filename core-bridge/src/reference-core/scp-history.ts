// The EXTERNALIZE envelopes of recent slots (ours and our peers'), kept to answer a peer's SCP-state request: a
// validator that fell behind replays them and decides the slots it missed.

/** Ours: slots kept; the overlay's tx-set cache covers 12 ledgers, so older votes could not be applied anyway. */
export const HISTORY_SLOTS = 16;
/** Ours: at most this many envelopes per response (the overlay streams up to 2,000). */
export const MAX_RESPONSE_ENVELOPES = 1000;

export class ScpHistory {
  private readonly bySlot = new Map<number, Buffer[]>();
  private readonly slots: number;
  private readonly perSlot: number;
  dropped = 0;

  /** `perSlot`: a validator votes at most once per round; a few rounds of every validator. */
  constructor(validators: number, slots = HISTORY_SLOTS) {
    this.slots = slots;
    this.perSlot = 4 * validators;
  }

  get size(): number {
    let n = 0;
    for (const l of this.bySlot.values()) n += l.length;
    return n;
  }

  add(slot: number, envelope: Buffer): void {
    let list = this.bySlot.get(slot);
    if (list === undefined) {
      list = [];
      this.bySlot.set(slot, list);
      // Forget slots that fell out of the window (Map order is insertion order, roughly slot order).
      const newest = Math.max(...this.bySlot.keys());
      for (const s of this.bySlot.keys()) if (s <= newest - this.slots) this.bySlot.delete(s);
      if (!this.bySlot.has(slot)) return;
    }
    if (list.some((e) => e.equals(envelope))) return;
    if (list.length >= this.perSlot) {
      this.dropped++;
      return;
    }
    list.push(envelope);
  }

  /** Envelopes for slots ≥ `fromSlot`, oldest slot first, at most MAX_RESPONSE_ENVELOPES. */
  since(fromSlot: number): Buffer[] {
    const out: Buffer[] = [];
    for (const s of [...this.bySlot.keys()].filter((s) => s >= fromSlot).sort((a, b) => a - b)) {
      for (const e of this.bySlot.get(s)!) {
        if (out.length >= MAX_RESPONSE_ENVELOPES) return out;
        out.push(e);
      }
    }
    return out;
  }
}
