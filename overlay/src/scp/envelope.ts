// SCP envelopes at the trust boundary: decoded once, signature checked against the network id, the quorum-set
// hash it names extracted. Verification by crypto/ed25519.ts: libsodium (as stellar-core verifies) when its addon
// loads, else node:crypto with a cached key object per node; stellar-base's pure-JS verify is 15× slower.
import { createHash } from 'node:crypto';
import { StrKey, xdr } from '@stellar/stellar-base';
import {
  createEd25519Verifier,
  ED25519_SIGNATURE_BYTES,
  resolveSignatureBackend,
  type Ed25519Verifier,
  type SignatureBackend,
  type SignatureBackendChoice,
} from '../crypto/ed25519.ts';

/** stellar-core: ENVELOPE_TYPE_SCP = 1, signed as networkId ‖ int32(ENVELOPE_TYPE_SCP) ‖ XDR(statement). */
const ENVELOPE_TYPE_SCP = 1;
/** Ours: node keys whose KeyObject the node:crypto backend keeps (validators of a large network, several times). */
const KEY_CACHE_ENTRIES = 4096;

export interface CheckedEnvelope {
  hash: Uint8Array;
  /** Stellar public key of the signer (G...). */
  nodeKey: string;
  slotIndex: bigint;
  /** Quorum-set hash the statement names, if any. */
  quorumSetHash: Uint8Array | null;
  /** Tx-set hashes named by the statement's values (each a StellarValue, txSetHash first), deduplicated. */
  txSetHashes: Uint8Array[];
}

export type EnvelopeVerdict = { ok: true; envelope: CheckedEnvelope } | { ok: false; reason: 'malformed' | 'bad_signature' };

export class EnvelopeChecker {
  private readonly typePrefix: Buffer;
  /** null when signatures are not checked. */
  private readonly ed25519: Ed25519Verifier | null;

  /** `backend`: tx.signature_backend (one setting for both); "sodium" without its addon throws CONFIG_INVALID. */
  constructor(networkId: Uint8Array, verifySignatures = true, backend: SignatureBackendChoice = 'auto') {
    const t = Buffer.alloc(4);
    t.writeInt32BE(ENVELOPE_TYPE_SCP);
    this.typePrefix = Buffer.concat([Buffer.from(networkId), t]);
    this.ed25519 = verifySignatures
      ? createEd25519Verifier(resolveSignatureBackend(backend).backend, { keyCacheEntries: KEY_CACHE_ENTRIES })
      : null;
  }

  /** The ed25519 backend in use; null when signatures are not checked. */
  get backend(): SignatureBackend | null {
    return this.ed25519?.backend ?? null;
  }

  check(bytes: Uint8Array): EnvelopeVerdict {
    let env: xdr.ScpEnvelope;
    try {
      env = xdr.ScpEnvelope.fromXDR(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const statement = env.statement();
    const rawKey = statement.nodeId().ed25519();
    const nodeKey = StrKey.encodeEd25519PublicKey(rawKey);
    if (this.ed25519 !== null) {
      const signature = env.signature();
      // The statement is the envelope minus its trailing signature (u32 length + 64 bytes): no re-encode needed.
      const statementBytes = bytes.subarray(0, bytes.length - 4 - signature.length);
      const data = Buffer.concat([this.typePrefix, statementBytes]);
      if (signature.length !== ED25519_SIGNATURE_BYTES || !this.ed25519.verify(data, signature, rawKey)) {
        return { ok: false, reason: 'bad_signature' };
      }
    }
    return {
      ok: true,
      envelope: {
        hash: createHash('sha256').update(bytes).digest(),
        nodeKey,
        slotIndex: BigInt(statement.slotIndex().toString()),
        quorumSetHash: quorumSetHashOf(statement),
        txSetHashes: txSetHashesOf(statement),
      },
    };
  }
}

function quorumSetHashOf(statement: xdr.ScpStatement): Uint8Array | null {
  const p = statement.pledges();
  switch (p.switch().name) {
    case 'scpStPrepare':
      return p.prepare().quorumSetHash();
    case 'scpStConfirm':
      return p.confirm().quorumSetHash();
    case 'scpStExternalize':
      return p.externalize().commitQuorumSetHash();
    case 'scpStNominate':
      return p.nominate().quorumSetHash();
    default:
      return null;
  }
}

/** Size of a Hash in XDR: a StellarValue starts with its 32-byte txSetHash. */
const HASH_BYTES = 32;

/**
 * The tx-set hashes a statement's values name. SCP values are opaque to SCP; for Stellar each is a StellarValue
 * XDR whose first field is txSetHash, so its first 32 bytes are read without decoding the rest.
 */
function txSetHashesOf(statement: xdr.ScpStatement): Uint8Array[] {
  const p = statement.pledges();
  const values: Buffer[] = [];
  switch (p.switch().name) {
    case 'scpStNominate':
      values.push(...p.nominate().votes(), ...p.nominate().accepted());
      break;
    case 'scpStPrepare': {
      const prep = p.prepare();
      values.push(prep.ballot().value());
      const prepared = prep.prepared();
      if (prepared) values.push(prepared.value());
      const preparedPrime = prep.preparedPrime();
      if (preparedPrime) values.push(preparedPrime.value());
      break;
    }
    case 'scpStConfirm':
      values.push(p.confirm().ballot().value());
      break;
    case 'scpStExternalize':
      values.push(p.externalize().commit().value());
      break;
  }
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const v of values) {
    if (v.length < HASH_BYTES) continue; // not a StellarValue: names no tx set
    const h = v.subarray(0, HASH_BYTES);
    const k = h.toString('hex');
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(Uint8Array.prototype.slice.call(h));
  }
  return out;
}
