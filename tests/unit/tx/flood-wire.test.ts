import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SHORT_ID_BYTES, shortKeyOf, shortKeyOfKey } from '../../../overlay/src/tx/flood/short-id.ts';
import {
  decodeIds,
  decodeInv,
  decodeTxs,
  encodeIds,
  encodeInv,
  encodeTxs,
  invEntriesAtMost,
  MAX_HASHES_PER_FRAME,
  readVarint,
  varintLength,
  writeVarint,
} from '../../../overlay/src/tx/flood/wire.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';

const peerError = (fn: () => unknown) => expect(fn).to.throw(OverlayError).with.property('code', 'PEER_PROTOCOL');
const U64_MAX = 2n ** 64n - 1n;
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
/** An INV payload of one entry: a short id, then the fee's varint bytes as given. */
const invWith = (fee: number[]) => Buffer.concat([u32(1), randomBytes(SHORT_ID_BYTES), Buffer.from(fee)]);
const varint = (v: bigint) => {
  const b = new Uint8Array(varintLength(v));
  expect(writeVarint(b, 0, v)).to.equal(b.length);
  return [...b];
};

describe('tx-flood wire (v2: short ids, varint fees)', () => {
  it('round-trips INV, id lists and tx bodies', () => {
    const inv = [
      { id: randomBytes(SHORT_ID_BYTES), feePerOp: 100n },
      { id: randomBytes(SHORT_ID_BYTES), feePerOp: 0n },
      { id: randomBytes(SHORT_ID_BYTES), feePerOp: U64_MAX },
    ];
    const frame = encodeInv(inv);
    // 8-byte ids; fees of 1, 1 and 10 bytes.
    expect(frame.length).to.equal(4 + 3 * SHORT_ID_BYTES + 1 + 1 + 10);
    const back = decodeInv(frame);
    expect(back.map((e) => [Buffer.from(e.id), e.feePerOp])).to.deep.equal(inv.map((e) => [e.id, e.feePerOp]));
    const ids = [randomBytes(SHORT_ID_BYTES), randomBytes(SHORT_ID_BYTES)];
    expect(encodeIds(ids).length).to.equal(4 + 2 * SHORT_ID_BYTES);
    expect(decodeIds(encodeIds(ids), 'GETDATA').map((h) => Buffer.from(h))).to.deep.equal(ids);
    const txs = [randomBytes(0), randomBytes(300), randomBytes(5)];
    expect(decodeTxs(encodeTxs(txs), 1000).map((t) => Buffer.from(t))).to.deep.equal(txs);
  });

  it('a full hash given to an encoder goes on the wire as its short id, the first 8 bytes', () => {
    const hash = randomBytes(32);
    const [entry] = decodeInv(encodeInv([{ id: hash, feePerOp: 1n }]));
    expect(Buffer.from(entry!.id)).to.deep.equal(hash.subarray(0, SHORT_ID_BYTES));
    expect(decodeIds(encodeIds([hash]), 'GETDATA').map((h) => Buffer.from(h))).to.deep.equal([hash.subarray(0, 8)]);
    expect(shortKeyOf(hash)).to.equal(hash.toString('hex').slice(0, 16));
    expect(shortKeyOfKey(hash.toString('hex'))).to.equal(shortKeyOf(hash));
    expect(() => encodeIds([randomBytes(7)])).to.throw(RangeError);
  });

  it('encodes fees as unsigned LEB128: 0, 127, 128, 2^63, 2^64 − 1', () => {
    expect(varint(0n)).to.deep.equal([0x00]);
    expect(varint(127n)).to.deep.equal([0x7f]);
    expect(varint(128n)).to.deep.equal([0x80, 0x01]);
    expect(varint(2n ** 63n)).to.deep.equal([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(varint(U64_MAX)).to.deep.equal([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    for (const v of [0n, 127n, 128n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 53n, 2n ** 63n, U64_MAX]) {
      expect(readVarint(Uint8Array.from(varint(v)), 0, 'test')).to.deep.equal([v, varint(v).length]);
      expect(decodeInv(invWith(varint(v)))[0]!.feePerOp).to.equal(v);
    }
    expect(() => varintLength(-1n)).to.throw(RangeError);
    expect(() => varintLength(2n ** 64n)).to.throw(RangeError);
  });

  it('round-trips every u64 fee, one encoding each', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), (v) => {
        const bytes = Uint8Array.from(varint(v));
        expect(readVarint(bytes, 0, 'test')).to.deep.equal([v, bytes.length]);
        // Minimal: the last byte is non-zero unless the value is 0 itself.
        if (bytes.length > 1) expect(bytes[bytes.length - 1]).to.not.equal(0);
      }),
    );
  });

  it('refuses overlong, too large and truncated varints', () => {
    peerError(() => decodeInv(invWith([0x80, 0x00]))); // 0 in two bytes
    peerError(() => decodeInv(invWith([0xff, 0x80, 0x00]))); // 127 in three bytes
    peerError(() => decodeInv(invWith([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]))); // 2^64
    peerError(() => decodeInv(invWith([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))); // 2^70 − 1
    peerError(() => decodeInv(invWith([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))); // 11 bytes
    peerError(() => decodeInv(invWith([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))); // overlong 10th byte
    peerError(() => decodeInv(invWith([0x80]))); // cut short
    peerError(() => decodeInv(invWith([]))); // no fee at all
    // Cut anywhere inside a frame of several entries.
    const frame = encodeInv([{ id: randomBytes(8), feePerOp: 300n }, { id: randomBytes(8), feePerOp: U64_MAX }]);
    for (let cut = 0; cut < frame.length; cut++) peerError(() => decodeInv(frame.subarray(0, cut)));
    peerError(() => decodeInv(Buffer.concat([frame, Buffer.from([0])]))); // trailing byte
  });

  it('rejects truncated frames, length mismatches, oversized counts and bodies', () => {
    // An INV entry takes at least 9 bytes, an id exactly 8: counts the bytes cannot hold are refused.
    peerError(() => decodeInv(Buffer.concat([u32(2), randomBytes(SHORT_ID_BYTES), Buffer.from([1])])));
    peerError(() => decodeInv(Buffer.concat([u32(0xffffffff), randomBytes(64)])));
    peerError(() => decodeIds(Buffer.concat([u32(3), randomBytes(2 * SHORT_ID_BYTES)]), 'GETDATA'));
    peerError(() => decodeIds(Buffer.concat([u32(1), randomBytes(SHORT_ID_BYTES + 1)]), 'NOTFOUND'));
    peerError(() => decodeIds(Buffer.concat([u32(1), randomBytes(32)]), 'GETDATA')); // a v1 full hash
    peerError(() => decodeIds(new Uint8Array(3), 'GETDATA'));
    // At most 1000 per frame, even when the bytes are there.
    const full = Array.from({ length: MAX_HASHES_PER_FRAME + 1 }, () => randomBytes(SHORT_ID_BYTES));
    peerError(() => decodeIds(encodeIds(full), 'GETDATA'));
    peerError(() => decodeInv(encodeInv(full.map((id) => ({ id, feePerOp: 1n })))));
    expect(decodeIds(encodeIds(full.slice(1)), 'GETDATA')).to.have.length(MAX_HASHES_PER_FRAME);
    // TXS as before: a count beyond the bytes, a body too large, trailing bytes.
    peerError(() => decodeTxs(Buffer.concat([u32(0xffffffff), Buffer.alloc(4)]), 1000));
    peerError(() => decodeTxs(encodeTxs([randomBytes(2000)]), 1000));
    peerError(() => decodeTxs(Buffer.concat([encodeTxs([randomBytes(10)]), Buffer.from([1])]), 1000));
  });

  it('bounds the entries of an INV in constant time, without decoding it', () => {
    expect(invEntriesAtMost(new Uint8Array(2))).to.equal(0);
    expect(invEntriesAtMost(encodeInv([{ id: randomBytes(8), feePerOp: 1n }, { id: randomBytes(8), feePerOp: 300n }]))).to.equal(2);
    // A lying count is bounded by the bytes: at least 9 per entry.
    expect(invEntriesAtMost(Buffer.concat([u32(0xffffffff), Buffer.alloc(90)]))).to.equal(10);
  });
});
