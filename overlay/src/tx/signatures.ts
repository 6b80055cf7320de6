// Transaction signatures: ed25519 over the tagged transaction hash, SHA-256(networkId ‖ ENVELOPE_TYPE ‖ XDR(tx)),
// verified by crypto/ed25519.ts (libsodium when its addon loads, else node:crypto with cached KeyObjects).
// A transaction that fails on our network is tried on the other well-known networks so a client that signed for
// the wrong one hears WRONG_NETWORK rather than BAD_SIGNATURE.
import { createHash } from 'node:crypto';
import { Networks, type xdr } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import {
  createEd25519Verifier,
  ED25519_SIGNATURE_BYTES,
  resolveSignatureBackend,
  type Ed25519Verifier,
  type SignatureBackend,
} from '../crypto/ed25519.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** Stellar: a signature hint is the last 4 bytes of the signer's key. */
const HINT_OFFSET = 28;
/** The networks a mis-signed transaction is tried on (stellar-base's Networks: public, testnet, futurenet). */
export const WELL_KNOWN_PASSPHRASES: readonly string[] = [Networks.PUBLIC, Networks.TESTNET, Networks.FUTURENET];

/** One signed hash of a transaction: who must sign, over which bytes, and the signatures offered. */
export interface SignedPayload {
  /** Raw ed25519 key (32 bytes) that must have signed. */
  readonly key: Buffer;
  /** Bytes hashed before `body` after the network id, when the tagged form is not a slice of the envelope (V0). */
  readonly head: Uint8Array | null;
  /** Bytes hashed last: ENVELOPE_TYPE ‖ XDR(tx) as found in the envelope (or XDR(tx) minus its prefix, for V0). */
  readonly body: Uint8Array;
  readonly signatures: readonly xdr.DecoratedSignature[];
}

export type SignatureVerdict = 'ok' | 'BAD_SIGNATURE' | 'WRONG_NETWORK';

export interface SignatureVerifierOptions {
  /** Default: sodium when its addon loads, else node (tx.signature_backend = "auto"). */
  backend?: SignatureBackend;
  /** Node backend only: account keys whose KeyObject is kept (default crypto/ed25519.ts NODE_KEY_CACHE_ENTRIES). */
  keyCacheEntries?: number;
}

export class SignatureVerifier {
  private readonly networkId: Buffer;
  private readonly otherNetworkIds: Buffer[];
  private readonly ed25519: Ed25519Verifier;

  constructor(networkId: Uint8Array, opts: SignatureVerifierOptions = {}) {
    this.networkId = Buffer.from(networkId);
    this.otherNetworkIds = WELL_KNOWN_PASSPHRASES.map((p) => Buffer.from(networkIdOf(p))).filter(
      (id) => !id.equals(this.networkId),
    );
    const backend = opts.backend ?? resolveSignatureBackend('auto').backend;
    this.ed25519 = createEd25519Verifier(backend, { keyCacheEntries: opts.keyCacheEntries });
  }

  get backend(): SignatureBackend {
    return this.ed25519.backend;
  }

  /** Key objects forgotten since the start because the cache was full (node backend). */
  get keyCacheEvictions(): number {
    return this.ed25519.keyCacheEvictions;
  }

  get keyCacheSize(): number {
    return this.ed25519.keyCacheSize;
  }

  /** Every payload needs one signature by its key that verifies; all on our network, else all on another. */
  verify(payloads: readonly SignedPayload[]): SignatureVerdict {
    if (this.allVerify(payloads, this.networkId)) return 'ok';
    // No signature even claims to be by the right key: no network would accept it, skip the extra hashing.
    if (!payloads.every((p) => p.signatures.some((s) => hintMatches(s, p.key)))) return 'BAD_SIGNATURE';
    for (const id of this.otherNetworkIds) if (this.allVerify(payloads, id)) return 'WRONG_NETWORK';
    return 'BAD_SIGNATURE';
  }

  private allVerify(payloads: readonly SignedPayload[], networkId: Buffer): boolean {
    return payloads.every((p) => this.oneVerifies(p, networkId));
  }

  private oneVerifies(p: SignedPayload, networkId: Buffer): boolean {
    let txHash: Buffer | undefined;
    for (const s of p.signatures) {
      if (!hintMatches(s, p.key)) continue;
      const signature = s.signature();
      if (signature.length !== ED25519_SIGNATURE_BYTES) continue;
      txHash ??= taggedHash(networkId, p);
      if (this.ed25519.verify(txHash, signature, p.key)) return true;
    }
    return false;
  }
}

function hintMatches(s: xdr.DecoratedSignature, key: Buffer): boolean {
  const hint = s.hint();
  return hint.length === 4 && hint.readUInt32BE(0) === key.readUInt32BE(HINT_OFFSET);
}

function taggedHash(networkId: Buffer, p: SignedPayload): Buffer {
  const h = createHash('sha256').update(networkId);
  if (p.head !== null) h.update(p.head);
  return h.update(p.body).digest();
}
