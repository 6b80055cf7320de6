// The validator's node key is the libp2p identity: a Stellar ed25519 seed (S...) becomes the libp2p ed25519
// private key, so a peer's PeerId *is* its Stellar public key (G...) and every transport handshake (Noise,
// QUIC TLS) authenticates the node key.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { StrKey } from '@stellar/stellar-base';
import { OverlayError } from '../util/errors.ts';

export interface NodeIdentity {
  privateKey: Ed25519PrivateKey;
  peerId: PeerId;
  /** Stellar public key, G... */
  publicKey: string;
  /** Raw 32-byte ed25519 public key. */
  publicKeyRaw: Uint8Array;
}

export const NODE_SEED_FILE = 'node-seed';

export async function identityFromSeed(seed: string): Promise<NodeIdentity> {
  if (!StrKey.isValidEd25519SecretSeed(seed)) {
    throw new OverlayError('KEY_INVALID', 'node seed is not a valid Stellar secret seed (S...)');
  }
  const raw = StrKey.decodeEd25519SecretSeed(seed);
  const privateKey = await generateKeyPairFromSeed('Ed25519', raw);
  const publicKeyRaw = privateKey.publicKey.raw;
  return {
    privateKey,
    peerId: peerIdFromPrivateKey(privateKey),
    publicKey: StrKey.encodeEd25519PublicKey(Buffer.from(publicKeyRaw)),
    publicKeyRaw,
  };
}

/** Stellar public key (G...) of a peer, from its libp2p PeerId; undefined for non-ed25519 identities. */
export function stellarKeyOf(peerId: PeerId): string | undefined {
  if (peerId.type !== 'Ed25519' || peerId.publicKey === undefined) return undefined;
  return StrKey.encodeEd25519PublicKey(Buffer.from(peerId.publicKey.raw));
}

/**
 * The seed from config, else from the key file, else a new one persisted (mode 0600) in the data directory, so a
 * node keeps its identity across restarts.
 */
export async function loadIdentity(opts: { seed?: string; seedFile?: string; dataDir: string }): Promise<NodeIdentity> {
  if (opts.seed) return identityFromSeed(opts.seed);
  const file = opts.seedFile ?? join(opts.dataDir, NODE_SEED_FILE);
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    try {
      return await identityFromSeed(text);
    } catch (cause) {
      throw new OverlayError('KEY_INVALID', `key file ${file} does not hold a Stellar secret seed`, { cause });
    }
  }
  if (opts.seedFile) throw new OverlayError('KEY_INVALID', `key file ${opts.seedFile} does not exist`);
  const seed = StrKey.encodeEd25519SecretSeed(randomBytes(32));
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, seed + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return identityFromSeed(seed);
}
