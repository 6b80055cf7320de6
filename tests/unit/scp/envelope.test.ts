// SCP envelope signature checks on each ed25519 backend: envelopes signed as stellar-core signs them
// (core-bridge's ScpSigner), spoiled in each way, give the same verdicts on libsodium and node:crypto.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Keypair, xdr } from '@stellar/stellar-base';
import { ScpSigner } from '../../../core-bridge/src/scp/envelopes.ts';
import { EnvelopeChecker } from '../../../overlay/src/scp/envelope.ts';

const NETWORK_ID = createHash('sha256').update('scp envelope test network').digest();
const OTHER_NETWORK_ID = createHash('sha256').update('another network').digest();
const QSET = randomBytes(32);

function flipLastByte(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[c.length - 1]! ^= 0x01;
  return c;
}

/** The envelope with its signature replaced (any length). */
function withSignature(envelope: Buffer, signature: Buffer): Buffer {
  const env = xdr.ScpEnvelope.fromXDR(envelope);
  return new xdr.ScpEnvelope({ statement: env.statement(), signature }).toXDR();
}

describe('scp/envelope signatures on both backends', () => {
  const signer = new ScpSigner(Keypair.random().secret(), NETWORK_ID);
  const stranger = new ScpSigner(Keypair.random().secret(), NETWORK_ID);
  const elsewhere = new ScpSigner(Keypair.random().secret(), OTHER_NETWORK_ID);
  const value = randomBytes(40);
  const good = signer.nominate(7n, [value], [], QSET);
  // A statement by `signer` with the signature `stranger` made over it: a valid signature, by the wrong key.
  const strangersSignature = xdr.ScpEnvelope.fromXDR(stranger.envelope(xdr.ScpEnvelope.fromXDR(good).statement())).signature();
  const cases: { name: string; bytes: Buffer; verdict: 'ok' | 'bad_signature' | 'malformed' }[] = [
    { name: 'nominate, signed', bytes: good, verdict: 'ok' },
    { name: 'another slot', bytes: signer.nominate(8n, [value], [value], QSET), verdict: 'ok' },
    { name: 'signature bit flipped', bytes: flipLastByte(good), verdict: 'bad_signature' },
    { name: 'signed by another node', bytes: withSignature(good, strangersSignature), verdict: 'bad_signature' },
    { name: 'signed for another network', bytes: elsewhere.nominate(7n, [value], [], QSET), verdict: 'bad_signature' },
    { name: 'empty signature', bytes: withSignature(good, Buffer.alloc(0)), verdict: 'bad_signature' },
    { name: '63-byte signature', bytes: withSignature(good, strangersSignature.subarray(0, 63)), verdict: 'bad_signature' },
    { name: 'truncated', bytes: good.subarray(0, good.length - 1), verdict: 'malformed' },
  ];

  for (const backend of ['sodium', 'node'] as const) {
    it(`${backend}: each case's verdict`, () => {
      const checker = new EnvelopeChecker(NETWORK_ID, true, backend);
      expect(checker.backend).to.equal(backend);
      for (const c of cases) {
        const v = checker.check(c.bytes);
        expect(v.ok ? 'ok' : v.reason, c.name).to.equal(c.verdict);
      }
    });
  }

  it('default backend: sodium here; checks off: no backend, bad signatures pass', () => {
    expect(new EnvelopeChecker(NETWORK_ID).backend).to.equal('sodium');
    const off = new EnvelopeChecker(NETWORK_ID, false, 'sodium');
    expect(off.backend).to.equal(null);
    expect(off.check(flipLastByte(good)).ok).to.equal(true);
  });
});
