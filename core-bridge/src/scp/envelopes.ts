// Real Stellar SCPEnvelope XDR, signed by a node key the way stellar-core signs: ed25519 over
// networkId ‖ int32(ENVELOPE_TYPE_SCP = 1) ‖ XDR(SCPStatement).
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { Keypair, StrKey, xdr } from '@stellar/stellar-base';

const ENVELOPE_TYPE_SCP = 1;
/** DER prefix of an ed25519 PKCS#8 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class ScpSigner {
  readonly publicKey: string;
  private readonly rawPublic: Buffer;
  private readonly key: KeyObject;
  private readonly prefix: Buffer;

  constructor(seed: string, networkId: Uint8Array) {
    const kp = Keypair.fromSecret(seed);
    this.publicKey = kp.publicKey();
    this.rawPublic = kp.rawPublicKey();
    this.key = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, StrKey.decodeEd25519SecretSeed(seed)]),
      format: 'der',
      type: 'pkcs8',
    });
    const t = Buffer.alloc(4);
    t.writeInt32BE(ENVELOPE_TYPE_SCP);
    this.prefix = Buffer.concat([Buffer.from(networkId), t]);
  }

  /** Signs a statement and returns the SCPEnvelope XDR. */
  envelope(statement: xdr.ScpStatement): Buffer {
    const body = statement.toXDR();
    const signature = sign(null, Buffer.concat([this.prefix, body]), this.key);
    return new xdr.ScpEnvelope({ statement, signature }).toXDR();
  }

  /** An EXTERNALIZE statement for `slot` committing `value` (the tx-set hash, in stellar-core's StellarValue). */
  externalize(slot: bigint, value: Uint8Array, quorumSetHash: Uint8Array, counter = 1): Buffer {
    return this.envelope(
      new xdr.ScpStatement({
        nodeId: xdr.PublicKey.publicKeyTypeEd25519(this.rawPublic),
        slotIndex: xdr.Uint64.fromString(slot.toString()),
        pledges: xdr.ScpStatementPledges.scpStExternalize(
          new xdr.ScpStatementExternalize({
            commit: new xdr.ScpBallot({ counter, value: Buffer.from(value) }),
            nH: counter,
            commitQuorumSetHash: Buffer.from(quorumSetHash),
          }),
        ),
      }),
    );
  }

  /** A NOMINATE statement voting for `votes` (used by the reference core's simplified consensus). */
  nominate(slot: bigint, votes: Uint8Array[], accepted: Uint8Array[], quorumSetHash: Uint8Array): Buffer {
    return this.envelope(
      new xdr.ScpStatement({
        nodeId: xdr.PublicKey.publicKeyTypeEd25519(this.rawPublic),
        slotIndex: xdr.Uint64.fromString(slot.toString()),
        pledges: xdr.ScpStatementPledges.scpStNominate(
          new xdr.ScpNomination({
            quorumSetHash: Buffer.from(quorumSetHash),
            votes: votes.map((v) => Buffer.from(v)),
            accepted: accepted.map((v) => Buffer.from(v)),
          }),
        ),
      }),
    );
  }
}

/** A quorum set of `threshold` out of `validators` (G... keys) and its XDR. */
export function quorumSetXdr(threshold: number, validators: string[]): Buffer {
  return new xdr.ScpQuorumSet({
    threshold,
    validators: validators.map((k) => xdr.PublicKey.publicKeyTypeEd25519(StrKey.decodeEd25519PublicKey(k))),
    innerSets: [],
  }).toXDR();
}
