// The deterministic genesis ledger: account i's ed25519 seed is SHA-256("overlay-sidecar genesis " + i), so every
// validator and the load generator derive the same accounts from the count alone. Keys come from node:crypto
// (deriving 10,000 public keys in pure JS takes seconds; here it takes a fraction of one).
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { StrKey } from '@stellar/stellar-base';

/** Ours: the seed derivation's prefix. */
export const GENESIS_SEED_PREFIX = 'overlay-sidecar genesis ';
/**
 * Ours: every genesis account starts with 10^7 XLM (10^14 stroops), far more than any load test spends; with at most
 * MAX_GENESIS_ACCOUNTS accounts the total stays below int64's maximum, so no balance can overflow.
 */
export const GENESIS_BALANCE = 10n ** 14n;
export const MAX_GENESIS_ACCOUNTS = 50_000;
/**
 * Ours: genesis accounts start at sequence number 0, so their first transaction carries seq 1. (stellar-core starts
 * accounts created in ledger L at L << 32; a flat 0 keeps the load generator's bookkeeping obvious.)
 */
export const GENESIS_SEQ = 0n;
/** stellar-core: the genesis ledger is ledger 1; consensus starts at slot 2. */
export const GENESIS_LEDGER_SEQ = 1;

/** DER prefix of an ed25519 PKCS#8 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface GenesisAccount {
  index: number;
  /** Raw ed25519 public key. */
  publicKey: Buffer;
  /** Stellar strkey (G...). */
  address: string;
  /** The ed25519 seed (32 bytes). */
  seed: Buffer;
  /** Signing key for node:crypto's sign(null, data, key). */
  privateKey: KeyObject;
}

/** The ed25519 seed of genesis account `i`. */
export function genesisSeed(i: number): Buffer {
  return createHash('sha256').update(GENESIS_SEED_PREFIX + i, 'utf8').digest();
}

export function genesisAccount(i: number): GenesisAccount {
  const seed = genesisSeed(i);
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  // The JWK export carries the public key (x) and is the cheapest way node:crypto offers to it.
  const publicKey = Buffer.from(privateKey.export({ format: 'jwk' }).x!, 'base64url');
  return { index: i, publicKey, address: StrKey.encodeEd25519PublicKey(publicKey), seed, privateKey };
}

/** Genesis accounts 0..count-1. */
export function genesisAccounts(count: number): GenesisAccount[] {
  return Array.from({ length: count }, (_, i) => genesisAccount(i));
}
