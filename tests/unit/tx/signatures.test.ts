// The ed25519 backends (crypto/ed25519.ts) and the tx SignatureVerifier on each: the same vectors give the same
// verdicts on libsodium and node:crypto; choosing a backend, and what happens when the addon cannot load.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { expect } from 'chai';
import { Networks } from '@stellar/stellar-base';
import { networkIdOf } from '#ipc-protocol';
import {
  createEd25519Verifier,
  loadSodium,
  resolveSignatureBackend,
  type SignatureBackend,
  type SodiumLoader,
} from '../../../overlay/src/crypto/ed25519.ts';
import { checkTx, type TxRules } from '../../../overlay/src/tx/decode.ts';
import { SignatureVerifier } from '../../../overlay/src/tx/signatures.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';
import { corrupt, makeFeeBump, makePayment, testKeypair, TEST_PASSPHRASE } from '../../fixtures/txs.ts';

const BACKENDS: readonly SignatureBackend[] = ['sodium', 'node'];
const NETWORK_ID = networkIdOf(TEST_PASSPHRASE);
const hex = (s: string) => Buffer.from(s, 'hex');

/** RFC 8032 §7.1, tests 1 and 2 (public key, message, signature). */
const RFC8032 = [
  {
    key: hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
    msg: Buffer.alloc(0),
    sig: hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
  },
  {
    key: hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'),
    msg: hex('72'),
    sig: hex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'),
  },
];

interface Vector {
  name: string;
  msg: Buffer;
  sig: Buffer;
  key: Buffer;
  valid: boolean;
}

/** Good signatures and each way one can be wrong. */
function vectors(): Vector[] {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = publicKey.export({ format: 'jwk' }).x!;
  const raw = Buffer.from(key, 'base64url');
  const msg = randomBytes(32);
  const sig = sign(null, msg, privateKey);
  const flipped = (b: Buffer, at: number) => {
    const c = Buffer.from(b);
    c[at]! ^= 0x01;
    return c;
  };
  const identity = Buffer.alloc(32);
  identity[0] = 1; // the neutral point: a small-order key, refused by libsodium (and OpenSSL here)
  return [
    ...RFC8032.map((v, i) => ({ name: `RFC 8032 test ${i + 1}`, ...v, valid: true })),
    { name: 'fresh key, 32-byte hash', msg, sig, key: raw, valid: true },
    { name: 'message changed', msg: flipped(msg, 0), sig, key: raw, valid: false },
    { name: 'R changed', msg, sig: flipped(sig, 3), key: raw, valid: false },
    { name: 'S changed', msg, sig: flipped(sig, 40), key: raw, valid: false },
    { name: 'another key', msg, sig, key: RFC8032[0]!.key, valid: false },
    { name: 'key not on the curve or of small order', msg, sig: Buffer.concat([identity, Buffer.alloc(32)]), key: identity, valid: false },
    { name: 'all-zero key and signature', msg, sig: Buffer.alloc(64), key: Buffer.alloc(32), valid: false },
    { name: 'short signature', msg, sig: sig.subarray(0, 63), key: raw, valid: false },
    { name: 'long signature', msg, sig: Buffer.concat([sig, Buffer.alloc(1)]), key: raw, valid: false },
    { name: 'short key', msg, sig, key: raw.subarray(0, 31), valid: false },
  ];
}

const failingLoader: SodiumLoader = () => {
  throw new Error('Cannot find module sodium-native');
};

describe('crypto/ed25519', () => {
  it('sodium-native loads on this machine (a dependency with prebuilt addons)', () => {
    expect(() => loadSodium()).not.to.throw();
    expect(resolveSignatureBackend('auto')).to.deep.equal({ backend: 'sodium' });
    expect(resolveSignatureBackend('sodium')).to.deep.equal({ backend: 'sodium' });
  });

  for (const backend of BACKENDS) {
    it(`${backend}: every vector as expected, without throwing on wrong lengths`, () => {
      const v = createEd25519Verifier(backend);
      expect(v.backend).to.equal(backend);
      for (const x of vectors()) expect(v.verify(x.msg, x.sig, x.key), x.name).to.equal(x.valid);
    });
  }

  it('the two backends agree on 200 random signatures, good and spoiled', () => {
    const [sodium, node] = BACKENDS.map((b) => createEd25519Verifier(b));
    for (let i = 0; i < 200; i++) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
      const msg = randomBytes(1 + (i % 100));
      const sig = sign(null, msg, privateKey);
      if (i % 2 === 1) sig[i % 64]! ^= 1 << i % 8;
      const verdicts = [sodium!.verify(msg, sig, raw), node!.verify(msg, sig, raw)];
      expect(verdicts, `signature ${i}`).to.deep.equal([i % 2 === 0, i % 2 === 0]);
    }
  });

  it('the node backend bounds its key cache; the sodium one keeps nothing', () => {
    const node = createEd25519Verifier('node', { keyCacheEntries: 2 });
    const sodium = createEd25519Verifier('sodium');
    for (const x of vectors().slice(0, 3)) {
      node.verify(x.msg, x.sig, x.key);
      sodium.verify(x.msg, x.sig, x.key);
    }
    expect([node.keyCacheSize, node.keyCacheEvictions]).to.deep.equal([2, 1]);
    expect([sodium.keyCacheSize, sodium.keyCacheEvictions]).to.deep.equal([0, 0]);
  });

  describe('resolveSignatureBackend', () => {
    it('"node" never loads the addon', () => {
      let loads = 0;
      const counting: SodiumLoader = () => {
        loads++;
        return loadSodium();
      };
      expect(resolveSignatureBackend('node', counting)).to.deep.equal({ backend: 'node' });
      expect(loads).to.equal(0);
    });

    it('"auto" falls back to node when the addon cannot load, and says why', () => {
      expect(resolveSignatureBackend('auto', failingLoader)).to.deep.equal({
        backend: 'node',
        fallbackReason: 'Cannot find module sodium-native',
      });
    });

    it('"sodium" when the addon cannot load: CONFIG_INVALID naming the key, the package and the reason', () => {
      let err: unknown;
      try {
        resolveSignatureBackend('sodium', failingLoader);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(OverlayError);
      expect((err as OverlayError).code).to.equal('CONFIG_INVALID');
      expect((err as OverlayError).message).to.include('tx.signature_backend = "sodium"').and.include('sodium-native').and.include('Cannot find module');
    });
  });
});

describe('tx/signatures SignatureVerifier on both backends', () => {
  const alice = testKeypair(1);
  const bob = testKeypair(2);
  const cases: { name: string; bytes: Uint8Array; verdict: string }[] = [
    { name: 'V1 payment', bytes: makePayment({ source: alice, seq: 1n }), verdict: 'ok' },
    { name: 'V0 payment', bytes: makePayment({ source: alice, seq: 2n, envelope: 'v0' }), verdict: 'ok' },
    { name: 'muxed source', bytes: makePayment({ source: alice, seq: 3n, muxedId: 7n }), verdict: 'ok' },
    { name: 'fee bump', bytes: makeFeeBump({ inner: makePayment({ source: alice, seq: 4n }), feeSource: bob }), verdict: 'ok' },
    { name: 'bad signature', bytes: corrupt(makePayment({ source: alice, seq: 5n }), 'signature'), verdict: 'BAD_SIGNATURE' },
    { name: 'unsigned', bytes: makePayment({ source: alice, seq: 6n, signers: [] }), verdict: 'BAD_SIGNATURE' },
    { name: 'signed by another key', bytes: makePayment({ source: alice, seq: 7n, signers: [bob] }), verdict: 'BAD_SIGNATURE' },
    {
      name: 'signed for the public network',
      bytes: makePayment({ source: alice, seq: 8n, networkPassphrase: Networks.PUBLIC }),
      verdict: 'WRONG_NETWORK',
    },
    {
      name: 'fee bump, both halves for futurenet',
      bytes: makeFeeBump({
        inner: makePayment({ source: alice, seq: 9n, networkPassphrase: Networks.FUTURENET }),
        feeSource: bob,
        networkPassphrase: Networks.FUTURENET,
      }),
      verdict: 'WRONG_NETWORK',
    },
    {
      name: 'signed for a network nobody knows',
      bytes: makePayment({ source: alice, seq: 10n, networkPassphrase: Networks.STANDALONE }),
      verdict: 'BAD_SIGNATURE',
    },
    {
      name: 'fee bump whose halves are for different networks',
      bytes: makeFeeBump({ inner: makePayment({ source: alice, seq: 11n, networkPassphrase: Networks.PUBLIC }), feeSource: bob }),
      verdict: 'BAD_SIGNATURE',
    },
  ];

  for (const backend of BACKENDS) {
    it(`${backend}: each case's verdict`, () => {
      const verifier = new SignatureVerifier(NETWORK_ID, { backend });
      expect(verifier.backend).to.equal(backend);
      const rules: TxRules = { maxTxBytes: 100 * 1024, baseFee: 100, verifier };
      for (const c of cases) {
        const r = checkTx(c.bytes, rules);
        expect(r.ok ? 'ok' : r.reason, c.name).to.equal(c.verdict);
      }
    });
  }

  it('no backend given: sodium, as "auto" resolves here', () => {
    expect(new SignatureVerifier(NETWORK_ID).backend).to.equal('sodium');
  });
});
