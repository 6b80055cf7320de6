// Piscina worker: checks one packed batch of transactions (tx/batch.ts) and answers with one packed result. The
// rules and the signature verifier (its backend, network ids and, on node:crypto, its KeyObject cache) live as long
// as the worker.
import { move, workerData } from 'piscina';
import { TxReason } from '#ipc-protocol';
import type { SignatureBackend } from '../crypto/ed25519.ts';
import { BatchResult, unpackBatch } from './batch.ts';
import { checkTx, type TxRules } from './decode.ts';
import { SignatureVerifier } from './signatures.ts';

/** What TxChecker hands each worker at start (structured-cloned). */
export interface VerifyWorkerData {
  networkId: Uint8Array;
  verifySignatures: boolean;
  /** As resolved by the checker on the main thread (so a "sodium" that cannot load fails there, at start-up). */
  signatureBackend: SignatureBackend;
  baseFee: number;
  maxTxBytes: number;
}

const config = workerData as VerifyWorkerData;
const verifier = config.verifySignatures ? new SignatureVerifier(config.networkId, { backend: config.signatureBackend }) : null;
const rules: TxRules = { maxTxBytes: config.maxTxBytes, baseFee: config.baseFee, verifier };

export default function verifyBatch(request: ArrayBuffer): ArrayBuffer {
  const started = performance.now();
  const evictionsBefore = verifier?.keyCacheEvictions ?? 0;
  const txs = unpackBatch(request);
  const out = BatchResult.alloc(txs.length);
  txs.forEach((bytes, i) => {
    const r = checkTx(bytes, rules);
    out.hash(i).set(r.hash);
    if (!r.ok) {
      out.reasons[i] = TxReason[r.reason];
      return;
    }
    out.reasons[i] = TxReason.NONE;
    out.source(i).set(r.tx.source);
    out.seqs[i] = r.tx.seq;
    out.fees[i] = r.tx.fee;
    out.ops[i] = r.tx.ops;
  });
  out.header[0] = (performance.now() - started) / 1000;
  out.header[1] = (verifier?.keyCacheEvictions ?? 0) - evictionsBefore;
  return move(out.buffer) as ArrayBuffer;
}
