// The shape of bench-results/ipc.json: written by scripts/bench-ipc.ts, rendered by the report (report/ipc.ts).
import type { BenchRecord } from './results.ts';
import type { ProfileSummary } from './cpu-profile.ts';
import type { PaymentShape } from './signed-payments.ts';
import type { Distribution } from './stats.ts';
import type { VerifierId } from './verifiers.ts';

export interface IpcParams {
  txsPerRound: number;
  rounds: number;
  targetSizes: number[];
  /** Envelope sizes measured; the first is the main one (signature checks on and off). */
  sizes: number[];
  txShape: PaymentShape;
  batch: number;
  window: number;
  envelopes: number;
  scpWindow: number;
  roundTrips: number;
  /** tx.verify_threads of each overlay checking signatures (0: the overlay's default); the last one is the goal's. */
  verifyThreads: number[];
  /** tx.signature_backend settings; one checking overlay per backend and verify_threads (absent in older records). */
  signatureBackends?: string[];
  verifiersDir: string | null;
  topTxs: number;
  rawRateMs: number;
  quick: boolean;
}

export interface SubmitSample {
  ms: number;
  accepted: number;
  verdicts: Record<string, number>;
  txPerSec: number;
  mbPerSec: number;
  /** CPU per accepted tx during the run: this process (core) and the overlay process (all threads); null off Linux. */
  coreCpuUsPerTx: number;
  overlayCpuUsPerTx: number | null;
}

export interface SubmitMode {
  txPerSec: number;
  mbPerSec: number;
  coreCpuUsPerTx: number;
  overlayCpuUsPerTx: number | null;
  vsBare: number;
  runs: SubmitSample[];
}

export interface SubmitSize {
  txBytes: number;
  shape: PaymentShape;
  /** Payload bytes of one SUBMIT_TX_BATCH and of its TX_VERDICT_BATCH (the bare baseline's frame sizes). */
  requestBytes: number;
  replyBytes: number;
  /** One entry per verify_threads setting (main size only; empty for the other sizes). */
  on: (SubmitMode & {
    verifyThreads: number;
    /** The overlay's ed25519 backend (overlay_tx_signature_backend); absent in records before it was reported. */
    signatureBackend?: string;
    /** Against the raw rate on all cores: node:crypto (the goal's baseline), and sodium (absent in older records). */
    vsRawVerify: number;
    vsRawSodium?: number;
  })[];
  off: SubmitMode & { vsDecodeHash: number | null };
  bare: { txPerSec: number; mbPerSec: number; runs: { txPerSec: number; mbPerSec: number; ms: number }[] };
}

export interface IpcResults {
  verifiers: {
    id: VerifierId;
    label: string;
    version: string | null;
    /** Verifies/s on one thread, and on every core (measured for node:crypto and sodium-native only). */
    perSec: number | null;
    allCoresPerSec: number | null;
    note?: string;
  }[];
  /** ed25519 verifies/s on all cores, per round: node:crypto with cached KeyObjects (the goal's baseline)... */
  rawVerify: { perRound: number[]; median: number; threads: number };
  /** ...and sodium-native (absent in records before it was measured). */
  rawSodium?: { perRound: number[]; median: number; threads: number };
  decodeHash: { perRound: number[]; median: number; txBytes: number };
  submit: SubmitSize[];
  scp: {
    envelopeBytes: number;
    envPerSec: number;
    bareEnvPerSec: number;
    runs: { envPerSec: number; delivered: number; sent: number; ms: number }[];
    bareRuns: { envPerSec: number; ms: number }[];
  };
  roundTrip: {
    name: string;
    requestBytes: number;
    replyBytes: number;
    ours: Distribution;
    bare: Distribution;
    p99VsBare: number;
    samplesUs: { ours: number[]; bare: number[] };
  }[];
  profiles: ProfileSummary[];
}

export type IpcRecord = BenchRecord<IpcParams, IpcResults>;
