// Per-remote-address rate limit of inbound connections (p2p.inbound_per_ip_per_minute): a token bucket per IPv4
// address (per /64 for IPv6, since one host commonly owns a whole /64), holding `perMinute` tokens and refilling
// `perMinute` per minute. The map of addresses is bounded; the least recently seen address is forgotten first (it
// then starts again with a full bucket — the bound trades exactness for memory under an address-spraying attack).
import { isIPv4, isIPv6 } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LruMap } from '../util/bounded.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Ours: remote addresses remembered (10k buckets ≈ 1 MB). */
export const MAX_TRACKED_IPS = 10_000;
const MINUTE_MS = 60_000;

export interface InboundLimiterOptions {
  /** Connections accepted per address per minute (burst up to the same number). */
  perMinute: number;
  /** Default MAX_TRACKED_IPS. */
  maxIps?: number;
  registry?: Registry;
  /** Clock, ms (tests). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

/** The key an address is limited under: the IPv4 address, or the /64 prefix of an IPv6 one. */
export function limiterKey(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return bare.toLowerCase();
  const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  return expandIPv6(bare).slice(0, 4).join(':') + '::/64';
}

function expandIPv6(ip: string): string[] {
  let s = ip.toLowerCase();
  // An embedded IPv4 tail becomes two hextets.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head = '', tail] = s.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => x.replace(/^0+(?=.)/, ''));
}

export class InboundLimiter {
  readonly perMinute: number;
  private readonly buckets: LruMap<string, Bucket>;
  private readonly now: () => number;
  private readonly decisions: Counter<'result'> | undefined;

  constructor(opts: InboundLimiterOptions) {
    if (!Number.isInteger(opts.perMinute) || opts.perMinute < 1) throw new RangeError('perMinute must be an integer ≥ 1');
    this.perMinute = opts.perMinute;
    this.buckets = new LruMap(opts.maxIps ?? MAX_TRACKED_IPS);
    this.now = opts.now ?? (() => performance.now());
    if (opts.registry) {
      const self = this;
      new Gauge({
        name: 'overlay_inbound_limiter_ips',
        help: 'Remote addresses tracked by the inbound connection rate limiter',
        registers: [opts.registry],
        collect() {
          self.sweep();
          this.set(self.buckets.size);
        },
      });
      new Counter({
        name: 'overlay_inbound_limiter_evictions_total',
        help: 'Addresses forgotten by the inbound rate limiter because its map was full',
        registers: [opts.registry],
        collect() {
          this.reset();
          this.inc(self.buckets.evictions);
        },
      });
      this.decisions = new Counter({
        name: 'overlay_inbound_limiter_decisions_total',
        help: 'Inbound connections checked by the per-address rate limiter, by result',
        labelNames: ['result'],
        registers: [opts.registry],
      });
    }
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  get evictions(): number {
    return this.buckets.evictions;
  }

  /** Takes one token for `ip`; false when the address is over its rate. */
  allow(ip: string): boolean {
    const key = limiterKey(ip);
    const now = this.now();
    const b = this.buckets.get(key);
    const tokens = b === undefined ? this.perMinute : this.refilled(b, now);
    const ok = tokens >= 1;
    this.buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: now });
    this.decisions?.inc({ result: ok ? 'allow' : 'deny' });
    return ok;
  }

  /** Forgets addresses whose bucket has refilled (they are indistinguishable from new ones). */
  sweep(): void {
    const now = this.now();
    const full: string[] = [];
    for (const [k, b] of this.buckets.entries()) if (this.refilled(b, now) >= this.perMinute) full.push(k);
    for (const k of full) this.buckets.delete(k);
  }

  private refilled(b: Bucket, now: number): number {
    return Math.min(this.perMinute, b.tokens + ((now - b.at) * this.perMinute) / MINUTE_MS);
  }
}
