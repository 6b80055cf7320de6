// One thread of the verify-rate measurement (verify-rate.ts): makes its own keys and signatures over 32-byte
// hashes (what a tx check verifies), waits for "go" so every thread starts together, verifies for the given time
// with the given verifier, and reports how many.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { loadVerifier, type VerifierId } from './verifiers.ts';

export interface VerifyRateWorkerData {
  verifier: VerifierId;
  altDir: string | null;
  durationMs: number;
  keys: number;
}

export type VerifyRateWorkerMessage = { ready: true } | { error: string } | { verifies: number; ms: number };

const data = workerData as VerifyRateWorkerData;
const port = parentPort!;

const fn = await loadVerifier(data.verifier, data.altDir);
if (typeof fn === 'string') {
  port.postMessage({ error: fn } satisfies VerifyRateWorkerMessage);
} else {
  const items = Array.from({ length: data.keys }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const msg = randomBytes(32);
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    return { msg, sig: sign(null, msg, privateKey), raw, key: publicKey };
  });
  for (const it of items) if (!fn(it.msg, it.sig, it.raw, it.key)) throw new Error(`${data.verifier}: a good signature fails`);
  port.once('message', () => {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < data.durationMs) {
      // Check the clock every 32 verifies: cheap next to a verify (~70 µs), fine-grained enough.
      for (let i = 0; i < 32; i++) {
        const it = items[(n + i) % items.length]!;
        fn(it.msg, it.sig, it.raw, it.key);
      }
      n += 32;
      t = performance.now();
    }
    port.postMessage({ verifies: n, ms: t - t0 } satisfies VerifyRateWorkerMessage);
  });
  port.postMessage({ ready: true } satisfies VerifyRateWorkerMessage);
}
