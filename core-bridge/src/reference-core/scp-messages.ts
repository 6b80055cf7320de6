// SCP envelopes ⇄ the consensus module's messages. The overlay verified the signature before delivery; here the
// statement is only read: who, which slot, which pledge, which value.
//
// One convention of ours on top: a NOMINATE without votes is a catch-up request ("I am stuck at this slot"). Its
// `accepted` list carries a nonce so that each request is new bytes (the overlay and gossipsub drop repeats).
import { StrKey, xdr } from '@stellar/stellar-base';
import type { ScpMessage } from './consensus.ts';

export type ParsedEnvelope = ScpMessage | { kind: 'catchUp'; node: string; slot: number };

/** Reads an SCPEnvelope; null for pledges the reference core does not use (prepare, confirm) or malformed XDR. */
export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope | null {
  let st: xdr.ScpStatement;
  try {
    st = xdr.ScpEnvelope.fromXDR(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).statement();
  } catch {
    return null;
  }
  const node = StrKey.encodeEd25519PublicKey(st.nodeId().ed25519());
  const slotBig = BigInt(st.slotIndex().toString());
  if (slotBig > 0xffff_ffffn) return null;
  const slot = Number(slotBig);
  const p = st.pledges();
  switch (p.switch().name) {
    case 'scpStNominate': {
      const value = p.nominate().votes()[0];
      return value === undefined ? { kind: 'catchUp', node, slot } : { kind: 'nominate', node, slot, value };
    }
    case 'scpStExternalize': {
      const commit = p.externalize().commit();
      if (commit.counter() < 1) return null;
      return { kind: 'externalize', node, slot, round: commit.counter() - 1, value: commit.value() };
    }
    default:
      return null;
  }
}
