// Signed native payments from genesis accounts, as TransactionEnvelope XDR (V1). A payment between two ed25519
// accounts has one layout, so its bytes are written directly (building stellar-base XDR objects and encoding them
// cost the load generator more than signing); the signature is node:crypto's ed25519 over stellar's signature
// payload SHA-256(networkId ‖ ENVELOPE_TYPE_TX ‖ XDR(Transaction)) — the bytes stellar-base's pure-JS signer would
// produce, many times faster. Tests check the bytes against stellar-base's encoding.
import { createHash, sign } from 'node:crypto';
import type { GenesisAccount } from '../reference-core/genesis.ts';

/** stellar-core XDR: EnvelopeType ENVELOPE_TYPE_TX; KEY_TYPE_ED25519; OperationType PAYMENT; ASSET_TYPE_NATIVE. */
const ENVELOPE_TYPE_TX = 2;
const KEY_TYPE_ED25519 = 0;
const PAYMENT = 1;
const ASSET_TYPE_NATIVE = 0;
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const HINT_BYTES = 4;

/**
 * Offsets in the envelope: [type][Transaction][signatures]. The Transaction is source (type + key), fee, seqNum,
 * cond PRECOND_NONE, memo MEMO_NONE, one operation (no source; PAYMENT to type + key, native, amount), ext v0.
 */
const TX_START = 4;
const SOURCE_KEY = TX_START + 4;
const FEE = SOURCE_KEY + KEY_BYTES;
const SEQ = FEE + 4;
const COND = SEQ + 8;
const MEMO = COND + 4;
const OPS_COUNT = MEMO + 4;
const OP_SOURCE = OPS_COUNT + 4;
const OP_TYPE = OP_SOURCE + 4;
const DEST_TYPE = OP_TYPE + 4;
const DEST_KEY = DEST_TYPE + 4;
const ASSET = DEST_KEY + KEY_BYTES;
const AMOUNT = ASSET + 4;
const TX_EXT = AMOUNT + 8;
const TX_END = TX_EXT + 4;
const SIG_COUNT = TX_END;
const HINT = SIG_COUNT + 4;
const SIG_LEN = HINT + HINT_BYTES;
const SIG = SIG_LEN + 4;
const ENVELOPE_BYTES = SIG + SIGNATURE_BYTES;

export interface PaymentSpec {
  from: GenesisAccount;
  /** Raw ed25519 public key of the destination. */
  to: Uint8Array;
  /** Stroops. */
  amount: bigint;
  seq: bigint;
  /** Total fee bid in stroops. */
  fee: number;
  networkId: Uint8Array;
}

export function signedPayment(p: PaymentSpec): Buffer {
  const env = Buffer.alloc(ENVELOPE_BYTES); // zeroed: MEMO_NONE, PRECOND_NONE, no op source, ext v0 are zeros
  env.writeInt32BE(ENVELOPE_TYPE_TX, 0);
  env.writeInt32BE(KEY_TYPE_ED25519, TX_START);
  env.set(p.from.publicKey, SOURCE_KEY);
  env.writeUInt32BE(p.fee, FEE);
  env.writeBigInt64BE(p.seq, SEQ);
  env.writeUInt32BE(1, OPS_COUNT);
  env.writeInt32BE(PAYMENT, OP_TYPE);
  env.writeInt32BE(KEY_TYPE_ED25519, DEST_TYPE);
  env.set(p.to, DEST_KEY);
  env.writeInt32BE(ASSET_TYPE_NATIVE, ASSET);
  env.writeBigInt64BE(p.amount, AMOUNT);
  const hash = createHash('sha256').update(p.networkId).update(env.subarray(0, 4)).update(env.subarray(TX_START, TX_END)).digest();
  env.writeUInt32BE(1, SIG_COUNT);
  env.set(p.from.publicKey.subarray(KEY_BYTES - HINT_BYTES), HINT);
  env.writeUInt32BE(SIGNATURE_BYTES, SIG_LEN);
  env.set(sign(null, hash, p.from.privateKey), SIG);
  return env;
}
