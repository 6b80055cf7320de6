// Reconnect delays: exponential from minMs, capped at maxMs, with "equal jitter" (half the step fixed, half random)
// so many cores restarted together do not reconnect in lockstep. Every delay lies in [minMs, maxMs].

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Source of randomness in [0, 1); tests may fix it. */
  random?: () => number;
}

export class Backoff {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(opts: BackoffOptions) {
    if (!(opts.minMs > 0) || !(opts.maxMs >= opts.minMs)) {
      throw new RangeError(`backoff needs 0 < minMs <= maxMs, got ${opts.minMs}..${opts.maxMs}`);
    }
    this.minMs = opts.minMs;
    this.maxMs = opts.maxMs;
    this.random = opts.random ?? Math.random;
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call doubles the step up to maxMs. */
  next(): number {
    // 2^30 already dwarfs any sane maxMs/minMs ratio; capping the exponent keeps the arithmetic finite.
    const step = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(this.minMs, Math.round(step / 2 + this.random() * (step / 2)));
  }

  /** After a success: the next failure starts again from minMs. */
  reset(): void {
    this.attempt = 0;
  }
}
