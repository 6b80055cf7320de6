// Stellar's well-known networks, so a network named only by its id (core's HELLO carries the id, not the
// passphrase) can still be shown by name.
import { Networks } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { toHex } from '../util/bytes.ts';

/** stellar-base's Networks: public, testnet, futurenet. */
export const WELL_KNOWN_PASSPHRASES: readonly string[] = [Networks.PUBLIC, Networks.TESTNET, Networks.FUTURENET];

const byId = new Map(WELL_KNOWN_PASSPHRASES.map((p) => [toHex(networkIdOf(p)), p]));

/** The passphrase of a well-known network id, else undefined. */
export function passphraseOf(networkId: Uint8Array): string | undefined {
  return byId.get(toHex(networkId));
}
