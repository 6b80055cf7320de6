// The tx-set hashes an SCP envelope names (CheckedEnvelope.txSetHashes): the hints tx-set fetching starts from.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Keypair, xdr } from '@stellar/stellar-base';
import { ScpSigner } from '../../../core-bridge/src/scp/envelopes.ts';
import { EnvelopeChecker } from '../../../overlay/src/scp/envelope.ts';

const NETWORK_ID = randomBytes(32);
const QSET = randomBytes(32);

/** A StellarValue naming `txSetHash` (with an upgrade, so the value is longer than the hash). */
function value(txSetHash: Buffer): Buffer {
  return new xdr.StellarValue({
    txSetHash,
    closeTime: xdr.Uint64.fromString('1700000000'),
    upgrades: [Buffer.from('00000001', 'hex')],
    ext: xdr.StellarValueExt.stellarValueBasic(),
  }).toXDR();
}

describe('scp/envelope txSetHashes', () => {
  const signer = new ScpSigner(Keypair.random().secret(), NETWORK_ID);
  const checker = new EnvelopeChecker(NETWORK_ID);
  const [h1, h2, h3] = [randomBytes(32), randomBytes(32), randomBytes(32)];

  function hashesOf(envelope: Buffer): string[] {
    const v = checker.check(envelope);
    if (!v.ok) throw new Error(v.reason);
    return v.envelope.txSetHashes.map((h) => Buffer.from(h).toString('hex'));
  }

  function statement(pledges: xdr.ScpStatementPledges): xdr.ScpStatement {
    return new xdr.ScpStatement({
      nodeId: xdr.PublicKey.publicKeyTypeEd25519(Keypair.fromPublicKey(signer.publicKey).rawPublicKey()),
      slotIndex: xdr.Uint64.fromString('42'),
      pledges,
    });
  }

  const ballot = (h: Buffer, counter = 1) => new xdr.ScpBallot({ counter, value: value(h) });

  it('nominate: votes and accepted, deduplicated', () => {
    const env = signer.nominate(42n, [value(h1), value(h2)], [value(h2), value(h3)], QSET);
    expect(hashesOf(env)).to.deep.equal([h1, h2, h3].map((h) => h.toString('hex')));
  });

  it('prepare: the ballot, prepared and preparedPrime values', () => {
    const full = statement(
      xdr.ScpStatementPledges.scpStPrepare(
        new xdr.ScpStatementPrepare({ quorumSetHash: QSET, ballot: ballot(h1, 3), prepared: ballot(h2, 2), preparedPrime: ballot(h3, 1), nC: 0, nH: 0 }),
      ),
    );
    expect(hashesOf(signer.envelope(full))).to.deep.equal([h1, h2, h3].map((h) => h.toString('hex')));
    const bare = statement(
      xdr.ScpStatementPledges.scpStPrepare(
        new xdr.ScpStatementPrepare({ quorumSetHash: QSET, ballot: ballot(h1), prepared: null, preparedPrime: null, nC: 0, nH: 0 }),
      ),
    );
    expect(hashesOf(signer.envelope(bare))).to.deep.equal([h1.toString('hex')]);
  });

  it('confirm: the ballot value; externalize: the commit value', () => {
    const confirm = statement(
      xdr.ScpStatementPledges.scpStConfirm(
        new xdr.ScpStatementConfirm({ ballot: ballot(h2), nPrepared: 1, nCommit: 1, nH: 1, quorumSetHash: QSET }),
      ),
    );
    expect(hashesOf(signer.envelope(confirm))).to.deep.equal([h2.toString('hex')]);
    expect(hashesOf(signer.externalize(42n, value(h3), QSET))).to.deep.equal([h3.toString('hex')]);
  });

  it('a value shorter than a hash names no tx set', () => {
    expect(hashesOf(signer.nominate(42n, [Buffer.from('short')], [], QSET))).to.deep.equal([]);
  });
});
