// ed25519 signature verification behind one interface, for tx signatures (tx/signatures.ts, in the verify workers)
// and SCP envelopes (scp/envelope.ts). Two backends:
//   sodium: libsodium's crypto_sign_verify_detached through sodium-native, on the raw 32-byte key. What
//           stellar-core itself verifies with, and by measurement (docs/bench/notes/ipc.md) ~1.7 × node:crypto with
//           a cached key and ~2.4 × on a first-seen key: nothing to import per account.
//   node:   node:crypto with a KeyObject per key, cached (LRU), imported from JWK: the fallback when the addon
//           cannot load (a platform without a prebuilt binary).
// The addon is loaded at most once per thread; `resolveSignatureBackend` turns the configured choice into one.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { LruMap } from '../util/bounded.ts';
import { toHex } from '../util/bytes.ts';
import { OverlayError } from '../util/errors.ts';

// ---- constants --------------------------------------------------------------------------------------------------
/** RFC 8032: ed25519 public keys are 32 bytes, signatures 64. */
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
/** Ours: KeyObjects the node backend keeps per verifier (16k ≈ a few MB); least recently used forgotten first. */
export const NODE_KEY_CACHE_ENTRIES = 16_384;
/** The package the sodium backend loads (a runtime dependency with prebuilt addons). */
const SODIUM_PACKAGE = 'sodium-native';

/** tx.signature_backend: "auto" is sodium when its addon loads, else node. */
export const SIGNATURE_BACKEND_CHOICES = ['auto', 'sodium', 'node'] as const;
export type SignatureBackendChoice = (typeof SIGNATURE_BACKEND_CHOICES)[number];
export type SignatureBackend = Exclude<SignatureBackendChoice, 'auto'>;

export interface Ed25519Verifier {
  readonly backend: SignatureBackend;
  /** True when `signature` (64 bytes) over `message` verifies by the raw 32-byte `key`; false for wrong lengths. */
  verify(message: Uint8Array, signature: Uint8Array, key: Uint8Array): boolean;
  /** Keys held for reuse (node backend; 0 for sodium, which needs none). */
  readonly keyCacheSize: number;
  /** Keys forgotten since the start because the cache was full. */
  readonly keyCacheEvictions: number;
}

/** The part of sodium-native we call (it ships no type declarations). */
export interface SodiumBinding {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean;
}

/** Loads the binding or throws; injectable so tests can stand for a machine without the addon. */
export type SodiumLoader = () => SodiumBinding;

const requireHere = createRequire(import.meta.url);
let sodiumLoad: { binding: SodiumBinding } | { error: Error } | undefined;

/** sodium-native, loaded once per thread; throws (the same error each time) when it cannot load. */
export const loadSodium: SodiumLoader = () => {
  if (sodiumLoad === undefined) {
    try {
      const binding = requireHere(SODIUM_PACKAGE) as Partial<SodiumBinding>;
      if (typeof binding.crypto_sign_verify_detached !== 'function') throw new Error(`${SODIUM_PACKAGE} has no crypto_sign_verify_detached`);
      sodiumLoad = { binding: binding as SodiumBinding };
    } catch (err) {
      sodiumLoad = { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  if ('error' in sodiumLoad) throw sodiumLoad.error;
  return sodiumLoad.binding;
};

export interface ResolvedBackend {
  backend: SignatureBackend;
  /** Why "auto" fell back to node (the addon's load error); absent otherwise. */
  fallbackReason?: string;
}

/**
 * The backend a configured choice means on this machine. "sodium" when the addon cannot load is a configuration
 * this machine cannot run: OverlayError CONFIG_INVALID, so start-up fails with the reason.
 */
export function resolveSignatureBackend(choice: SignatureBackendChoice, load: SodiumLoader = loadSodium): ResolvedBackend {
  if (choice === 'node') return { backend: 'node' };
  try {
    load();
    return { backend: 'sodium' };
  } catch (err) {
    const reason = (err as Error).message;
    if (choice === 'auto') return { backend: 'node', fallbackReason: reason };
    throw new OverlayError(
      'CONFIG_INVALID',
      `tx.signature_backend = "sodium", but ${SODIUM_PACKAGE} cannot be loaded here (${reason}); use "auto" or "node"`,
      { cause: err },
    );
  }
}

/** A verifier on `backend` (as resolved: the sodium one throws if the addon cannot load). */
export function createEd25519Verifier(
  backend: SignatureBackend,
  opts: { keyCacheEntries?: number; load?: SodiumLoader } = {},
): Ed25519Verifier {
  return backend === 'sodium' ? new SodiumVerifier((opts.load ?? loadSodium)()) : new NodeVerifier(opts.keyCacheEntries ?? NODE_KEY_CACHE_ENTRIES);
}

class SodiumVerifier implements Ed25519Verifier {
  readonly backend = 'sodium';
  readonly keyCacheSize = 0;
  readonly keyCacheEvictions = 0;
  private readonly sodium: SodiumBinding;

  constructor(sodium: SodiumBinding) {
    this.sodium = sodium;
  }

  verify(message: Uint8Array, signature: Uint8Array, key: Uint8Array): boolean {
    // sodium-native asserts (throws) on short signatures and keys of the wrong size: refuse them here instead.
    if (signature.length !== ED25519_SIGNATURE_BYTES || key.length !== ED25519_KEY_BYTES) return false;
    return this.sodium.crypto_sign_verify_detached(signature, message, key);
  }
}

class NodeVerifier implements Ed25519Verifier {
  readonly backend = 'node';
  private readonly keys: LruMap<string, KeyObject>;

  constructor(keyCacheEntries: number) {
    this.keys = new LruMap(keyCacheEntries);
  }

  get keyCacheSize(): number {
    return this.keys.size;
  }

  get keyCacheEvictions(): number {
    return this.keys.evictions;
  }

  verify(message: Uint8Array, signature: Uint8Array, key: Uint8Array): boolean {
    if (signature.length !== ED25519_SIGNATURE_BYTES || key.length !== ED25519_KEY_BYTES) return false;
    return nodeVerify(null, message, this.keyObject(key), signature);
  }

  private keyObject(raw: Uint8Array): KeyObject {
    const k = toHex(raw);
    let key = this.keys.get(k);
    if (key === undefined) {
      // From JWK rather than DER: the same key, 3–5 µs less per first-seen key (no ASN.1 decoding).
      const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
      this.keys.set(k, key);
    }
    return key;
  }
}
