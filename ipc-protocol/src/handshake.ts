// The HELLO exchange that switches a session from the V2 dialect to our extensions. Shared by both sides so they
// agree on the rules: same protocol version, same network, features = intersection of both offers.
import { createHash } from 'node:crypto';
import { PROTOCOL_VERSION, type FeatureName, ALL_FEATURES } from './constants.ts';
import { ProtocolError } from './errors.ts';
import type { Hello } from './schemas.ts';

/** Stellar's network id: SHA-256 of the network passphrase. */
export function networkIdOf(passphrase: string): Uint8Array {
  return createHash('sha256').update(passphrase, 'utf8').digest();
}

export interface Negotiated {
  protocolVersion: number;
  features: Set<FeatureName>;
}

/**
 * Checks a peer's HELLO (or HELLO_ACK) against our own offer. Throws VERSION_MISMATCH or NETWORK_MISMATCH; unknown
 * feature names are ignored, so a newer peer can offer features we do not have.
 */
export function negotiate(local: Hello, remote: Hello): Negotiated {
  if (remote.protocolVersion !== local.protocolVersion) {
    throw new ProtocolError(
      'VERSION_MISMATCH',
      `peer speaks protocol version ${remote.protocolVersion}, we speak ${local.protocolVersion}`,
    );
  }
  if (!sameBytes(remote.networkId, local.networkId)) {
    throw new ProtocolError('NETWORK_MISMATCH', 'peer is configured for a different network passphrase');
  }
  const offered = new Set(remote.features);
  const features = new Set(local.features.filter((x): x is FeatureName => offered.has(x)));
  return { protocolVersion: local.protocolVersion, features };
}

export function localHello(software: string, networkId: Uint8Array, features: readonly FeatureName[] = ALL_FEATURES): Hello {
  return { protocolVersion: PROTOCOL_VERSION, features: [...features], software, networkId };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
