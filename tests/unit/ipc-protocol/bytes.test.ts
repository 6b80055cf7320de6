// The integer reads at an offset (each value range takes its own path: int32, below 2⁵³, above), viewOf, and the
// writer's claim/put stores against its appending methods.
import { expect } from 'chai';
import fc from 'fast-check';
import { ByteReader, ByteWriter, ProtocolError, readI64, readI64Exact, readU32, readU64, viewOf } from '#ipc-protocol';

const TWO_31 = 2n ** 31n;
const TWO_32 = 2n ** 32n;
const TWO_53 = 2n ** 53n;
const TWO_63 = 2n ** 63n;

/** Every value next to a boundary between the read paths, and the ends of the ranges. */
const U64_EDGES = [0n, 1n, TWO_31 - 1n, TWO_31, TWO_32 - 1n, TWO_32, TWO_53 - 1n, TWO_53, TWO_53 + 1n, TWO_63, 2n ** 64n - 1n];
const I64_EDGES = [
  ...[0n, 1n, TWO_31 - 1n, TWO_31, TWO_32 - 1n, TWO_32, TWO_53 - 1n, TWO_53, TWO_63 - 1n].flatMap((v) => [v, -v]),
  -TWO_31 - 1n,
  -TWO_53 - 1n,
  -TWO_63,
];

function le(write: (dv: DataView) => void, at: number): Uint8Array {
  const b = new Uint8Array(at + 8 + 3).fill(0xee);
  write(new DataView(b.buffer, at, 8));
  return b;
}

describe('ipc-protocol bytes', () => {
  it('reads u64 at an offset exactly, on every side of the int32 and 2⁵³ boundaries', () => {
    for (const v of U64_EDGES) {
      expect(readU64(le((dv) => dv.setBigUint64(0, v, true), 5), 5), String(v)).to.equal(v);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(16), (v, at) => {
        expect(readU64(le((dv) => dv.setBigUint64(0, v, true), at), at)).to.equal(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads i64 at an offset exactly, on every side of the int32 and 2⁵³ boundaries', () => {
    for (const v of I64_EDGES) {
      expect(readI64(le((dv) => dv.setBigInt64(0, v, true), 3), 3), String(v)).to.equal(v);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: -TWO_63, max: TWO_63 - 1n }), fc.nat(16), (v, at) => {
        expect(readI64(le((dv) => dv.setBigInt64(0, v, true), at), at)).to.equal(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads i64 as a number exactly when -2⁵³ ≤ value < 2⁵³, else as the bigint', () => {
    const check = (v: bigint): void => {
      const got = readI64Exact(le((dv) => dv.setBigInt64(0, v, true), 1), 1);
      const exact = v >= -TWO_53 && v < TWO_53;
      expect(typeof got, String(v)).to.equal(exact ? 'number' : 'bigint');
      expect(BigInt(got), String(v)).to.equal(v);
    };
    for (const v of I64_EDGES) check(v);
    fc.assert(fc.property(fc.bigInt({ min: -TWO_63, max: TWO_63 - 1n }), check), { numRuns: 2000 });
  });

  it('reads u32 at an offset as an unsigned number', () => {
    for (const v of [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]) {
      expect(readU32(le((dv) => dv.setUint32(0, v, true), 2), 2)).to.equal(v);
    }
  });

  it('ByteReader agrees with the offset reads', () => {
    const w = new ByteWriter(8);
    for (const v of U64_EDGES) w.u64(v);
    for (const v of I64_EDGES) w.i64(v);
    const r = new ByteReader(w.view());
    for (const v of U64_EDGES) expect(r.u64()).to.equal(v);
    for (const v of I64_EDGES) expect(r.i64()).to.equal(v);
    r.end();
  });

  it('viewOf is a plain Uint8Array over the same memory, for a Buffer or a Uint8Array at any offset', () => {
    const host = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const b of [host, host.subarray(2), new Uint8Array(host.buffer, host.byteOffset + 1, 8)]) {
      const v = viewOf(b, 1, 4);
      expect(Buffer.isBuffer(v)).to.equal(false);
      expect(v).to.be.instanceOf(Uint8Array);
      expect([...v]).to.deep.equal([...b.subarray(1, 4)]);
      expect(v.buffer).to.equal(host.buffer);
      expect(v.byteOffset).to.equal(b.byteOffset + 1);
    }
    expect(viewOf(host, 4, 4).length).to.equal(0);
  });

  it('claim and put* store what the appending methods do, growing the buffer alike', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: -TWO_63, max: TWO_63 - 1n }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 1, max: 16 }),
        (u, i, n, bytes, size) => {
          const a = new ByteWriter(size);
          a.u8(7);
          a.u64(u);
          a.i64(i);
          a.u32(n);
          a.bytes(bytes);
          const b = new ByteWriter(size);
          b.u8(7);
          const at = b.claim(20 + bytes.length);
          b.putU64(at, u);
          b.putI64(at + 8, i);
          b.putU32(at + 16, n);
          b.putBytes(at + 20, bytes);
          expect(Buffer.from(b.view())).to.deep.equal(Buffer.from(a.view()));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses out-of-range integers before writing anything', () => {
    const w = new ByteWriter(4);
    for (const write of [() => w.u32(-1), () => w.u32(2 ** 32), () => w.i64(TWO_63), () => w.u64(-1n), () => w.u8(1.5)]) {
      expect(write).to.throw(ProtocolError);
      expect(w.pos).to.equal(0);
    }
  });
});
