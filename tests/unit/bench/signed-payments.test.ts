// Bench payments: the shape closest to a size, and sets of distinct payments that the overlay's own checks accept
// (signed) or decode but refuse on signature (unsigned, for overlays without checks).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { networkIdOf } from '#ipc-protocol';
import { checkTx } from '../../../overlay/src/tx/decode.ts';
import { SignatureVerifier } from '../../../overlay/src/tx/signatures.ts';
import { toHex } from '../../../overlay/src/util/bytes.ts';
import { paymentSet, shapeFor } from '../../../scripts/lib/bench/signed-payments.ts';
import { TEST_PASSPHRASE } from '../../fixtures/txs.ts';

const rules = (verify: boolean) => ({
  maxTxBytes: 100 * 1024,
  baseFee: 100,
  verifier: verify ? new SignatureVerifier(networkIdOf(TEST_PASSPHRASE)) : null,
});

describe('bench signed payments', () => {
  it('picks the shape whose envelope is closest to the size asked for', () => {
    expect(shapeFor(200)).to.deep.include({ ops: 1, bytes: 200 });
    const s = shapeFor(250);
    expect(s.bytes).to.equal(256); // 250 B does not exist in XDR's 4-byte steps: 240 (1 op, memo, muxed) or 256 (2 ops)
    expect(Math.abs(shapeFor(1000).bytes - 1000)).to.be.at.most(8);
  });

  it('signs distinct payments that pass the overlay checks', () => {
    const shape = shapeFor(250);
    const txs = paymentSet({ count: 50, shape, firstAccount: 7, signed: true });
    const sources = new Set<string>();
    const hashes = new Set<string>();
    for (const tx of txs) {
      expect(tx.length).to.equal(shape.bytes);
      const r = checkTx(tx, rules(true));
      if (!r.ok) throw new Error(`refused: ${r.reason}`);
      sources.add(toHex(r.tx.source));
      hashes.add(createHash('sha256').update(tx).digest('hex'));
    }
    expect(sources.size).to.equal(50);
    expect(hashes.size).to.equal(50);
  });

  it('makes the same accounts for the same numbers', () => {
    const shape = shapeFor(200);
    const a = paymentSet({ count: 3, shape, firstAccount: 1, signed: true });
    const b = paymentSet({ count: 3, shape, firstAccount: 1, signed: true });
    expect(a.map((t) => Buffer.from(t).toString('hex'))).to.deep.equal(b.map((t) => Buffer.from(t).toString('hex')));
  });

  it('leaves unsigned sets decodable and distinct, refused only by signature checks', () => {
    const shape = shapeFor(1000);
    const txs = paymentSet({ count: 20, shape, firstAccount: 0, signed: false });
    const sources = new Set<string>();
    for (const tx of txs) {
      const r = checkTx(tx, rules(false));
      if (!r.ok) throw new Error(`refused: ${r.reason}`);
      sources.add(toHex(r.tx.source));
      expect(checkTx(tx, rules(true))).to.deep.include({ ok: false, reason: 'BAD_SIGNATURE' });
    }
    expect(sources.size).to.equal(20);
  });
});
