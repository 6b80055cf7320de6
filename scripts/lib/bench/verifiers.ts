// ed25519 verifiers the overlay could use, behind one signature, for measuring them side by side. node:crypto,
// stellar-base's pure-JS @noble/curves and sodium-native (the overlay's verifier, through crypto/ed25519.ts) come
// with the project; @noble/ed25519 is loaded only from a directory given at run time (`npm install --no-save`
// outside the project), never installed here.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { verify as stellarBaseVerify } from '@stellar/stellar-base';
import { createEd25519Verifier, resolveSignatureBackend } from '../../../overlay/src/crypto/ed25519.ts';

/** DER prefix of an ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const VERIFIER_IDS = ['node-cached', 'node-uncached', 'stellar-base', 'noble-ed25519', 'sodium-native'] as const;
export type VerifierId = (typeof VERIFIER_IDS)[number];

export const VERIFIER_LABELS: Record<VerifierId, string> = {
  'node-cached': 'node:crypto verify, cached KeyObject',
  'node-uncached': 'node:crypto verify, KeyObject made per call',
  'stellar-base': "stellar-base's verify (@noble/curves, pure JS)",
  'noble-ed25519': '@noble/ed25519 3 (pure JS, SHA-512 from node:crypto)',
  'sodium-native': 'sodium-native (libsodium binding, prebuilt; the overlay\'s verifier)',
};

/** Verifies `sig` over `msg` by the raw 32-byte key; `key` is the key's cached KeyObject where one is kept. */
export type VerifyFn = (msg: Buffer, sig: Buffer, raw: Buffer, key: KeyObject) => boolean;

/** The verifier, or a reason it is not available (an alternative not found in `altDir`). */
export async function loadVerifier(id: VerifierId, altDir: string | null): Promise<VerifyFn | string> {
  switch (id) {
    case 'node-cached':
      return (msg, sig, _raw, key) => nodeVerify(null, msg, key, sig);
    case 'node-uncached':
      return (msg, sig, raw) =>
        nodeVerify(null, msg, createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' }), sig);
    case 'stellar-base':
      return (msg, sig, raw) => stellarBaseVerify(msg, sig, raw);
    case 'noble-ed25519': {
      const entry = altDir === null ? null : join(altDir, 'node_modules', '@noble', 'ed25519', 'index.js');
      if (entry === null || !existsSync(entry)) return 'not installed (see --verifiers-dir)';
      const ed = (await import(pathToFileURL(entry).href)) as {
        hashes: { sha512?: (m: Uint8Array) => Uint8Array };
        verify(sig: Uint8Array, msg: Uint8Array, key: Uint8Array): boolean;
      };
      ed.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest());
      return (msg, sig, raw) => ed.verify(sig, msg, raw);
    }
    case 'sodium-native': {
      // The overlay's own sodium verifier (length checks included), as its verify workers run it.
      try {
        resolveSignatureBackend('sodium');
      } catch (err) {
        return (err as Error).message;
      }
      const v = createEd25519Verifier('sodium');
      return (msg, sig, raw) => v.verify(msg, sig, raw);
    }
  }
}

/** The installed version of a verifier package (sodium-native: the project's; @noble/ed25519: `altDir`'s). */
export function alternativeVersion(id: VerifierId, altDir: string | null): string | null {
  try {
    if (id === 'sodium-native') return readVersion(createRequire(import.meta.url).resolve('sodium-native/package.json'));
    if (id === 'noble-ed25519' && altDir !== null) return readVersion(join(altDir, 'node_modules', '@noble', 'ed25519', 'package.json'));
  } catch {
    // not installed: no version to record
  }
  return null;
}

function readVersion(packageJson: string): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}
