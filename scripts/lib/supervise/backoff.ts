// Restart delays of one child: exponential from the policy's initial delay up to its maximum, back to the start
// once the child has stayed up long enough (a crash after a long healthy run is not part of a crash loop).
import type { RestartPolicy } from './spec.ts';

export class Backoff {
  private readonly policy: Pick<RestartPolicy, 'initialDelayMs' | 'maxDelayMs' | 'resetAfterMs'>;
  private failures = 0;

  constructor(policy: Pick<RestartPolicy, 'initialDelayMs' | 'maxDelayMs' | 'resetAfterMs'>) {
    this.policy = policy;
  }

  /** The delay before the next start, given how long the process that just exited had been up. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.policy.resetAfterMs) this.failures = 0;
    // Capped exponent: 2^failures stays a small exact number whatever the count.
    const delay = this.policy.initialDelayMs * 2 ** Math.min(this.failures, 30);
    this.failures++;
    return Math.min(delay, this.policy.maxDelayMs);
  }
}
