// How long to wait for one peer's answer to a GETDATA before asking another announcer: TCP's retransmission-timeout
// estimator (RFC 6298: smoothed round-trip time and its mean deviation, timeout = srtt + 4 × rttvar), fed with that
// peer's request → reply times and clamped to [floor, cap]. The floor is Overlay V2's fixed 1 s (so a fast peer is
// never given up on sooner than V2 would), and it is the timeout while nothing has been measured. Above it, the
// timeout follows the peer: under load, replies that take longer than 1 s made a second announcer be asked and both
// bodies arrive (the duplicate bodies bench-flood measured); past the cap a slow peer is bypassed anyway.
// Unlike TCP, every sample is unambiguous (a hash is asked of a peer at most once), so late replies are measured
// too, and the timeout does not back off on expiry: a peer that never answers is bypassed, not waited for longer.

/** RFC 6298: gain of the smoothed RTT. */
const ALPHA = 1 / 8;
/** RFC 6298: gain of the RTT variation. */
const BETA = 1 / 4;
/** RFC 6298: deviations added to the smoothed RTT. */
const K = 4;

export interface RequestTimeoutBounds {
  /** The shortest timeout, and the timeout before the first sample. */
  floorMs: number;
  /** The longest timeout (raised to the floor if lower). */
  capMs: number;
}

export class RequestTimeout {
  private readonly floorMs: number;
  private readonly capMs: number;
  private srtt = 0;
  private rttvar = 0;
  /** Replies measured so far. */
  samples = 0;

  constructor(bounds: RequestTimeoutBounds) {
    this.floorMs = bounds.floorMs;
    this.capMs = Math.max(bounds.floorMs, bounds.capMs);
  }

  /** A reply came `ms` after its request. */
  sample(ms: number): void {
    const r = Math.max(0, ms);
    if (this.samples === 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // RFC 6298 2.3: the variation is updated with the old smoothed RTT, then the smoothed RTT.
      this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - r);
      this.srtt = (1 - ALPHA) * this.srtt + ALPHA * r;
    }
    this.samples++;
  }

  /** Smoothed request → reply time; undefined before the first sample. */
  get smoothedMs(): number | undefined {
    return this.samples === 0 ? undefined : this.srtt;
  }

  /** The timeout for a request now: srtt + 4 × rttvar within [floor, cap]; the floor before any sample. */
  get timeoutMs(): number {
    if (this.samples === 0) return this.floorMs;
    return Math.min(this.capMs, Math.max(this.floorMs, this.srtt + K * this.rttvar));
  }
}
