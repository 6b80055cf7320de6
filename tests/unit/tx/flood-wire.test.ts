import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import {
  decodeHashes,
  decodeInv,
  decodeTxs,
  encodeHashes,
  encodeInv,
  encodeTxs,
  MAX_HASHES_PER_FRAME,
} from '../../../overlay/src/tx/flood/wire.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';

const peerError = (fn: () => unknown) => expect(fn).to.throw(OverlayError).with.property('code', 'PEER_PROTOCOL');

describe('tx-flood wire', () => {
  it('round-trips INV, hash lists and tx bodies', () => {
    const inv = [
      { hash: randomBytes(32), feePerOp: 100n },
      { hash: randomBytes(32), feePerOp: 2n ** 64n - 1n },
    ];
    const back = decodeInv(encodeInv(inv));
    expect(back.map((e) => [Buffer.from(e.hash), e.feePerOp])).to.deep.equal(inv.map((e) => [e.hash, e.feePerOp]));
    const hashes = [randomBytes(32), randomBytes(32)];
    expect(decodeHashes(encodeHashes(hashes), 'GETDATA').map((h) => Buffer.from(h))).to.deep.equal(hashes);
    const txs = [randomBytes(0), randomBytes(300), randomBytes(5)];
    expect(decodeTxs(encodeTxs(txs), 1000).map((t) => Buffer.from(t))).to.deep.equal(txs);
  });

  it('rejects truncated frames, length mismatches, oversized counts and bodies', () => {
    peerError(() => decodeInv(new Uint8Array(2)));
    peerError(() => decodeInv(encodeInv([{ hash: randomBytes(32), feePerOp: 1n }]).subarray(0, 30)));
    const many = Buffer.alloc(4);
    many.writeUInt32LE(MAX_HASHES_PER_FRAME + 1);
    peerError(() => decodeHashes(many, 'GETDATA'));
    // A count that the bytes cannot hold is refused before anything is allocated.
    const lying = Buffer.alloc(8);
    lying.writeUInt32LE(0xffffffff);
    peerError(() => decodeTxs(lying, 1000));
    peerError(() => decodeTxs(encodeTxs([randomBytes(2000)]), 1000));
    peerError(() => decodeTxs(Buffer.concat([encodeTxs([randomBytes(10)]), Buffer.from([1])]), 1000));
  });
});
