// The pure intake check (no threads): every envelope kind, what it reduces to, and each reason of refusal. Test
// transactions are built and signed by stellar-base (tests/fixtures/txs.ts), so the hashes here are checked against
// an implementation other than ours.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { FeeBumpTransaction, Networks, Transaction, TransactionBuilder } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import { checkTx, decodeTx, EnvelopeType, type TxCheck, type TxRules } from '../../../overlay/src/tx/decode.ts';
import { SignatureVerifier, type SignedPayload } from '../../../overlay/src/tx/signatures.ts';
import {
  corrupt,
  garbage,
  makeFeeBump,
  makeOversized,
  makePayment,
  testKeypair,
  TEST_PASSPHRASE,
} from '../../fixtures/txs.ts';

const NETWORK_ID = networkIdOf(TEST_PASSPHRASE);
const BASE_FEE = 100;
const MAX_TX_BYTES = 100 * 1024;
const alice = testKeypair(1);
const bob = testKeypair(2);

function rules(verify = true): TxRules {
  return { maxTxBytes: MAX_TX_BYTES, baseFee: BASE_FEE, verifier: verify ? new SignatureVerifier(NETWORK_ID) : null };
}

function reasonOf(r: TxCheck): string {
  return r.ok ? 'ok' : r.reason;
}

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The hash our slices give, as signed on `networkId`. */
function signedHash(p: SignedPayload, networkId = NETWORK_ID): Buffer {
  return p.head === null ? sha256(networkId, p.body) : sha256(networkId, p.head, p.body);
}

function envelopeType(bytes: Uint8Array): number {
  return Buffer.from(bytes).readInt32BE(0);
}

describe('tx/decode', () => {
  describe('envelope kinds', () => {
    it('V1 payment: source, seq, fee and ops', () => {
      const bytes = makePayment({ source: alice, seq: 42n, ops: 3, fee: 450 });
      expect(envelopeType(bytes)).to.equal(EnvelopeType.TX);
      const r = checkTx(bytes, rules());
      if (!r.ok) throw new Error(r.reason);
      expect(r.tx.source).to.deep.equal(alice.rawPublicKey());
      expect(r.tx.seq).to.equal(42n);
      expect(r.tx.fee).to.equal(450n);
      expect(r.tx.ops).to.equal(3);
    });

    it('V1: the signed hash taken from envelope slices is stellar-base’s transaction hash', () => {
      const bytes = makePayment({ source: alice, seq: 1n, memoBytes: 5 });
      const tx = decodeTx(bytes);
      expect(tx?.signed).to.have.length(1);
      const expected = new Transaction(Buffer.from(bytes).toString('base64'), TEST_PASSPHRASE).hash();
      expect(signedHash(tx!.signed[0]!)).to.deep.equal(expected);
    });

    it('V0 envelope: hashed as ENVELOPE_TYPE_TX with an ed25519 muxed source', () => {
      const bytes = makePayment({ source: alice, seq: 7n, envelope: 'v0', memoBytes: 3 });
      expect(envelopeType(bytes)).to.equal(EnvelopeType.TX_V0);
      const tx = decodeTx(bytes);
      expect(tx?.source).to.deep.equal(alice.rawPublicKey());
      expect(tx?.seq).to.equal(7n);
      const expected = new Transaction(Buffer.from(bytes).toString('base64'), TEST_PASSPHRASE).hash();
      expect(signedHash(tx!.signed[0]!)).to.deep.equal(expected);
      expect(reasonOf(checkTx(bytes, rules()))).to.equal('ok');
    });

    it('muxed source: the ed25519 part is the source', () => {
      const bytes = makePayment({ source: alice, seq: 3n, muxedId: 0xffff_ffff_ffff_fffen });
      const r = checkTx(bytes, rules());
      if (!r.ok) throw new Error(r.reason);
      expect(r.tx.source).to.deep.equal(alice.rawPublicKey());
      const expected = new Transaction(Buffer.from(bytes).toString('base64'), TEST_PASSPHRASE).hash();
      expect(signedHash(decodeTx(bytes)!.signed[0]!)).to.deep.equal(expected);
    });

    it('fee bump: outer fee, inner ops + 1, inner source and seq; both hashes are stellar-base’s', () => {
      const inner = makePayment({ source: alice, seq: 99n, ops: 2, muxedId: 5n });
      const bytes = makeFeeBump({ inner, feeSource: bob, fee: 1000, muxedId: 6n });
      expect(envelopeType(bytes)).to.equal(EnvelopeType.TX_FEE_BUMP);
      const r = checkTx(bytes, rules());
      if (!r.ok) throw new Error(r.reason);
      expect(r.tx.source).to.deep.equal(alice.rawPublicKey());
      expect(r.tx.seq).to.equal(99n);
      expect(r.tx.fee).to.equal(1000n);
      expect(r.tx.ops).to.equal(3);
      const fb = new FeeBumpTransaction(Buffer.from(bytes).toString('base64'), TEST_PASSPHRASE);
      const [outer, innerPayload] = decodeTx(bytes)!.signed;
      expect(outer?.key).to.deep.equal(bob.rawPublicKey());
      expect(innerPayload?.key).to.deep.equal(alice.rawPublicKey());
      expect(signedHash(outer!)).to.deep.equal(fb.hash());
      expect(signedHash(innerPayload!)).to.deep.equal(fb.innerTransaction.hash());
    });

    it('fee bump built by stellar-base’s TransactionBuilder is accepted', () => {
      const inner = new Transaction(
        Buffer.from(makePayment({ source: alice, seq: 10n })).toString('base64'),
        TEST_PASSPHRASE,
      );
      const fb = TransactionBuilder.buildFeeBumpTransaction(bob, '200', inner, TEST_PASSPHRASE);
      fb.sign(bob);
      const bytes = fb.toEnvelope().toXDR();
      const r = checkTx(bytes, rules());
      if (!r.ok) throw new Error(r.reason);
      expect(r.tx.fee).to.equal(400n);
      expect(r.tx.ops).to.equal(2);
    });

    it('a fee of exactly base fee × ops is enough', () => {
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, ops: 100, fee: 100 * BASE_FEE }), rules()))).to.equal('ok');
    });

    it('the source’s signature need not be the first one', () => {
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, signers: [bob, alice] }), rules()))).to.equal('ok');
    });
  });

  describe('rejections', () => {
    it('TOO_LARGE before anything else (even for garbage)', () => {
      expect(reasonOf(checkTx(makeOversized({ source: alice, seq: 1n, minBytes: MAX_TX_BYTES }), rules()))).to.equal('TOO_LARGE');
      expect(reasonOf(checkTx(garbage(MAX_TX_BYTES + 1), rules()))).to.equal('TOO_LARGE');
      expect(reasonOf(checkTx(makeOversized({ source: alice, seq: 1n, minBytes: 1000 }), rules()))).to.equal('ok');
    });

    it('MALFORMED_XDR: garbage, empty, not an envelope type', () => {
      expect(reasonOf(checkTx(garbage(300), rules()))).to.equal('MALFORMED_XDR');
      expect(reasonOf(checkTx(new Uint8Array(0), rules()))).to.equal('MALFORMED_XDR');
      const scpType = Uint8Array.prototype.slice.call(makePayment({ source: alice, seq: 1n }));
      scpType[3] = 1; // ENVELOPE_TYPE_SCP
      expect(reasonOf(checkTx(scpType, rules()))).to.equal('MALFORMED_XDR');
    });

    it('MALFORMED_XDR: every truncation of every kind', () => {
      const kinds = [
        makePayment({ source: alice, seq: 1n }),
        makePayment({ source: alice, seq: 1n, envelope: 'v0' }),
        makeFeeBump({ inner: makePayment({ source: alice, seq: 1n, muxedId: 1n }), feeSource: bob }),
      ];
      for (const bytes of kinds) {
        for (let n = 0; n < bytes.length; n++) {
          expect(decodeTx(bytes.subarray(0, n)), `${n} of ${bytes.length} bytes`).to.equal(null);
        }
      }
    });

    it('MALFORMED_XDR: trailing bytes after a whole envelope', () => {
      const bytes = makePayment({ source: alice, seq: 1n });
      expect(reasonOf(checkTx(corrupt(bytes, 'trailing'), rules()))).to.equal('MALFORMED_XDR');
      for (let extra = 1; extra <= 8; extra++) {
        const longer = new Uint8Array(bytes.length + extra).fill(0xaa);
        longer.set(bytes);
        expect(reasonOf(checkTx(longer, rules()))).to.equal('MALFORMED_XDR');
      }
    });

    it('MALFORMED_XDR: no operations (plain, V0, inside a fee bump)', () => {
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, ops: 0 }), rules()))).to.equal('MALFORMED_XDR');
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, ops: 0, envelope: 'v0' }), rules()))).to.equal(
        'MALFORMED_XDR',
      );
      const inner = makePayment({ source: alice, seq: 1n, ops: 0 });
      expect(reasonOf(checkTx(makeFeeBump({ inner, feeSource: bob, fee: 1000 }), rules()))).to.equal('MALFORMED_XDR');
    });

    it('FEE_TOO_LOW: below base fee × ops; a fee bump counts inner ops + 1 against its outer fee', () => {
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, ops: 3, fee: 299 }), rules()))).to.equal('FEE_TOO_LOW');
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, fee: 0, envelope: 'v0' }), rules()))).to.equal(
        'FEE_TOO_LOW',
      );
      const inner = makePayment({ source: alice, seq: 1n, ops: 2, fee: 10_000 });
      expect(reasonOf(checkTx(makeFeeBump({ inner, feeSource: bob, fee: 299 }), rules()))).to.equal('FEE_TOO_LOW');
      expect(reasonOf(checkTx(makeFeeBump({ inner, feeSource: bob, fee: 300 }), rules()))).to.equal('ok');
    });

    it('FEE_TOO_LOW is decided before signatures', () => {
      const bytes = corrupt(makePayment({ source: alice, seq: 1n, fee: 1 }), 'signature');
      expect(reasonOf(checkTx(bytes, rules()))).to.equal('FEE_TOO_LOW');
    });

    it('BAD_SIGNATURE: flipped bit, someone else’s signature, none at all', () => {
      const ok = makePayment({ source: alice, seq: 1n });
      expect(reasonOf(checkTx(corrupt(ok, 'signature'), rules()))).to.equal('BAD_SIGNATURE');
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, signers: [bob] }), rules()))).to.equal('BAD_SIGNATURE');
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, signers: [] }), rules()))).to.equal('BAD_SIGNATURE');
      expect(reasonOf(checkTx(corrupt(makePayment({ source: alice, seq: 1n, envelope: 'v0' }), 'signature'), rules()))).to.equal(
        'BAD_SIGNATURE',
      );
    });

    it('BAD_SIGNATURE: a fee bump needs the fee source on the outer hash and the inner source on the inner', () => {
      const inner = makePayment({ source: alice, seq: 1n });
      expect(reasonOf(checkTx(makeFeeBump({ inner, feeSource: bob, signers: [alice] }), rules()))).to.equal('BAD_SIGNATURE');
      expect(reasonOf(checkTx(makeFeeBump({ inner: corrupt(inner, 'signature'), feeSource: bob }), rules()))).to.equal(
        'BAD_SIGNATURE',
      );
      const unsignedInner = makePayment({ source: alice, seq: 1n, signers: [] });
      expect(reasonOf(checkTx(makeFeeBump({ inner: unsignedInner, feeSource: bob }), rules()))).to.equal('BAD_SIGNATURE');
    });

    it('WRONG_NETWORK: signed for another well-known network', () => {
      for (const networkPassphrase of [Networks.PUBLIC, Networks.FUTURENET]) {
        expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, networkPassphrase }), rules()))).to.equal('WRONG_NETWORK');
        expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, networkPassphrase, envelope: 'v0' }), rules()))).to.equal(
          'WRONG_NETWORK',
        );
        const inner = makePayment({ source: alice, seq: 1n, networkPassphrase });
        expect(reasonOf(checkTx(makeFeeBump({ inner, feeSource: bob, networkPassphrase }), rules()))).to.equal('WRONG_NETWORK');
      }
    });

    it('BAD_SIGNATURE, not WRONG_NETWORK: an unknown network, or halves signed for different networks', () => {
      const standalone = makePayment({ source: alice, seq: 1n, networkPassphrase: Networks.STANDALONE });
      expect(reasonOf(checkTx(standalone, rules()))).to.equal('BAD_SIGNATURE');
      const inner = makePayment({ source: alice, seq: 1n, networkPassphrase: Networks.PUBLIC });
      expect(reasonOf(checkTx(makeFeeBump({ inner, feeSource: bob }), rules()))).to.equal('BAD_SIGNATURE');
    });

    it('on the public network, a testnet transaction is WRONG_NETWORK', () => {
      const publicRules: TxRules = { ...rules(), verifier: new SignatureVerifier(networkIdOf(Networks.PUBLIC)) };
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n }), publicRules))).to.equal('WRONG_NETWORK');
      const onPublic = makePayment({ source: alice, seq: 1n, networkPassphrase: Networks.PUBLIC });
      expect(reasonOf(checkTx(onPublic, publicRules))).to.equal('ok');
    });

    it('verify_signatures off: signatures are not looked at, everything else still is', () => {
      const off = rules(false);
      expect(reasonOf(checkTx(corrupt(makePayment({ source: alice, seq: 1n }), 'signature'), off))).to.equal('ok');
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, networkPassphrase: Networks.PUBLIC }), off))).to.equal('ok');
      expect(reasonOf(checkTx(makePayment({ source: alice, seq: 1n, fee: 1 }), off))).to.equal('FEE_TOO_LOW');
      expect(reasonOf(checkTx(garbage(64), off))).to.equal('MALFORMED_XDR');
    });
  });

  describe('SignatureVerifier', () => {
    it('bounds its key cache, least recently used out first', () => {
      const verifier = new SignatureVerifier(NETWORK_ID, { backend: 'node', keyCacheEntries: 2 });
      const r: TxRules = { maxTxBytes: MAX_TX_BYTES, baseFee: BASE_FEE, verifier };
      for (let i = 10; i < 13; i++) expect(reasonOf(checkTx(makePayment({ source: testKeypair(i), seq: 1n }), r))).to.equal('ok');
      expect(verifier.keyCacheSize).to.equal(2);
      expect(verifier.keyCacheEvictions).to.equal(1);
    });
  });
});
