// The unavoidable work per submitted tx without signature checks, on one thread: decode the TransactionEnvelope
// (stellar-base's fromXDR, as the overlay's verify workers do) and hash it (SHA-256, the tx's id), the hash the
// cheapest way node has, as the workers do (one-shot, a latin1 string: ~0.45 µs a tx against createHash's ~1.5).
import { hash } from 'node:crypto';
import { xdr } from '@stellar/stellar-base';

/** Envelopes decoded and hashed per second, cycling through `txs` for `durationMs`. */
export function decodeHashRate(txs: readonly Uint8Array[], durationMs: number): number {
  const views = txs.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength));
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < durationMs) {
    for (let i = 0; i < 16; i++) {
      const b = views[(n + i) % views.length]!;
      xdr.TransactionEnvelope.fromXDR(b);
      hash('sha256', b, 'binary');
    }
    n += 16;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}
