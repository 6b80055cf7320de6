// Many distinct signed payments, fast. stellar-base builds one template per shape (tests/fixtures/txs.ts
// makePayment: ~0.6 ms a tx with its keypair, too slow for 100k txs); each tx is then that template with another
// source account and a fresh signature over the tagged hash, SHA-256(networkId ‖ ENVELOPE_TYPE_TX ‖ Transaction),
// made with node:crypto (~60 µs a tx). The first txs of every set are checked with stellar-base's own hash and
// verifier, so a layout mistake fails loudly instead of benchmarking rejections.
import { createHash, createPrivateKey, createPublicKey, randomFillSync, sign, type KeyObject } from 'node:crypto';
import { Keypair, Transaction, xdr } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { makePayment, testKeypair, TEST_PASSPHRASE } from '../../../tests/fixtures/txs.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** DER prefix of an ed25519 PKCS#8 private key; the raw 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** SPKI DER of an ed25519 public key is 12 bytes of prefix, then the raw key. */
const SPKI_PREFIX_BYTES = 12;
/** XDR: one DecoratedSignature = hint (4) + opaque<64> (4 + 64); the signature count (4) precedes it. */
const ONE_SIGNATURE_BYTES = 4 + 4 + 64;
const SIGNATURES_BYTES = 4 + ONE_SIGNATURE_BYTES;
/** Stellar: MemoText holds at most 28 bytes; a tx carries 1..100 operations. */
const MAX_MEMO_BYTES = 28;
const MAX_OPS = 100;
/** Checked against stellar-base in every set. */
const CHECKED_PER_SET = 2;
/** First byte of our account seeds (testKeypair uses 0x5e), so bench accounts never collide with fixture ones. */
const SEED_TAG = 0xbe;

/** The makePayment options that give one envelope size. */
export interface PaymentShape {
  ops: number;
  /** null: no memo. */
  memoBytes: number | null;
  muxed: boolean;
  bytes: number;
}

/**
 * The shape whose envelope is closest to `targetBytes` (XDR sizes are multiples of 4, and 1 op + the longest memo
 * + a muxed source is 240 B, 2 ops 256 B: 250 B itself does not exist). Ties go to the smaller envelope.
 */
export function shapeFor(targetBytes: number): PaymentShape {
  let best: PaymentShape | null = null;
  const approxOps = Math.min(MAX_OPS, Math.max(1, Math.round((targetBytes - 200) / 56) + 1));
  for (let ops = Math.max(1, approxOps - 1); ops <= Math.min(MAX_OPS, approxOps + 1); ops++) {
    for (const memoBytes of [null, ...Array.from({ length: MAX_MEMO_BYTES / 4 + 1 }, (_, i) => i * 4)]) {
      for (const muxed of [false, true]) {
        const bytes = template({ ops, memoBytes, muxed, bytes: 0 }, TEST_PASSPHRASE, 1n).length;
        const d = Math.abs(bytes - targetBytes);
        if (best === null || d < Math.abs(best.bytes - targetBytes) || (d === Math.abs(best.bytes - targetBytes) && bytes < best.bytes)) {
          best = { ops, memoBytes, muxed, bytes };
        }
      }
    }
  }
  return best!;
}

export interface PaymentSetOptions {
  count: number;
  shape: PaymentShape;
  /** Account numbers firstAccount .. firstAccount + count - 1 (distinct sources: no sequence chains). */
  firstAccount: number;
  /** false: random source keys and the template's signature (for overlays that do not check signatures). */
  signed: boolean;
  seq?: bigint;
  networkPassphrase?: string;
}

/** Distinct payments of one shape, one source account each. */
export function paymentSet(o: PaymentSetOptions): Uint8Array[] {
  const passphrase = o.networkPassphrase ?? TEST_PASSPHRASE;
  const seq = o.seq ?? 1n;
  const base = template(o.shape, passphrase, seq);
  const sourceKey = testKeypair(0).rawPublicKey();
  const keyAt = base.indexOf(sourceKey);
  if (keyAt < 0) throw new Error('template: source key not found');
  const bodyEnd = base.length - SIGNATURES_BYTES;
  const hintAt = base.length - ONE_SIGNATURE_BYTES;
  const signatureAt = base.length - 64;
  const networkId = networkIdOf(passphrase);
  const out: Uint8Array[] = [];
  for (let i = 0; i < o.count; i++) {
    const tx = Buffer.from(base);
    if (o.signed) {
      const { raw, key } = accountKey(o.firstAccount + i);
      raw.copy(tx, keyAt);
      const hash = createHash('sha256').update(networkId).update(tx.subarray(0, bodyEnd)).digest();
      raw.copy(tx, hintAt, 28, 32);
      sign(null, hash, key).copy(tx, signatureAt);
    } else {
      randomFillSync(tx, keyAt, 32);
    }
    out.push(tx);
  }
  if (o.signed) for (const tx of out.slice(0, CHECKED_PER_SET)) checkWithStellarBase(tx, passphrase);
  return out;
}

function template(shape: PaymentShape, passphrase: string, seq: bigint): Buffer {
  return Buffer.from(
    makePayment({
      source: testKeypair(0),
      seq,
      ops: shape.ops,
      networkPassphrase: passphrase,
      ...(shape.memoBytes === null ? {} : { memoBytes: shape.memoBytes }),
      ...(shape.muxed ? { muxedId: 1n } : {}),
    }),
  );
}

/** Account n's ed25519 key from a fixed seed, so runs submit the same txs. */
function accountKey(n: number): { raw: Buffer; key: KeyObject } {
  const seed = Buffer.alloc(32);
  seed[0] = SEED_TAG;
  seed.writeUInt32BE(n >>> 0, 28);
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const raw = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX_BYTES);
  return { raw, key };
}

function checkWithStellarBase(bytes: Uint8Array, passphrase: string): void {
  const env = xdr.TransactionEnvelope.fromXDR(Buffer.from(bytes));
  const tx = new Transaction(env, passphrase);
  const src = env.v1().tx().sourceAccount();
  const raw = src.switch() === xdr.CryptoKeyType.keyTypeMuxedEd25519() ? src.med25519().ed25519() : src.ed25519();
  const sig = env.v1().signatures()[0]!.signature();
  if (!new Keypair({ type: 'ed25519', publicKey: raw }).verify(tx.hash(), sig)) throw new Error('paymentSet: a signature does not verify');
}
