import { expect } from 'chai';
import fc from 'fast-check';
import {
  FrameDecoder,
  FrameWriter,
  HASH_SIZE,
  MAX_PAYLOAD,
  MAX_SCP_ENVELOPES_PER_LIST,
  MAX_TXS_PER_LIST,
  MsgType,
  ProtocolError,
  decodeMessage,
  encodeFrame,
  encodePayload,
  type Message,
  type MessageName,
} from '#ipc-protocol';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'ok';
}

/** A payload of `head` zero bytes, a u32 count `n`, then `n` zeroed elements of `item` bytes. */
function listPayload(head: number, n: number, item: number): Buffer {
  const p = Buffer.alloc(head + 4 + n * item);
  p.writeUInt32LE(n, head);
  return p;
}

describe('ipc-protocol limits', () => {
  describe('list counts on decode', () => {
    it('are capped at MAX_TXS_PER_LIST = 100,000 and MAX_SCP_ENVELOPES_PER_LIST = 100,000', () => {
      expect(MAX_TXS_PER_LIST).to.equal(100_000);
      expect(MAX_SCP_ENVELOPES_PER_LIST).to.equal(100_000);
    });

    it('a SUBMIT_TX_BATCH of exactly 100,000 empty txs decodes', () => {
      const msg = decodeMessage(MsgType.SUBMIT_TX_BATCH, listPayload(8, MAX_TXS_PER_LIST, 4));
      if (msg.type !== 'SUBMIT_TX_BATCH') throw new Error('wrong type');
      expect(msg.txs).to.have.length(MAX_TXS_PER_LIST);
    });

    it('one more is MALFORMED_PAYLOAD, although the payload holds it', () => {
      const payload = listPayload(8, MAX_TXS_PER_LIST + 1, 4);
      expect(() => decodeMessage(MsgType.SUBMIT_TX_BATCH, payload))
        .to.throw(ProtocolError, /count 100001 exceeds the maximum of 100000/)
        .with.property('code', 'MALFORMED_PAYLOAD');
    });

    it('a 16 MiB SUBMIT_TX_BATCH of empty txs is refused on its count, before any element is read', () => {
      const n = (MAX_PAYLOAD - 12) / 4; // 4,194,301 empty txs fill the payload exactly
      const payload = listPayload(8, n, 4);
      expect(payload.length).to.equal(MAX_PAYLOAD);
      const frames: Message[] = [];
      const frame = Buffer.concat([Buffer.from(Uint32Array.of(MsgType.SUBMIT_TX_BATCH, MAX_PAYLOAD).buffer), payload]);
      expect(() => new FrameDecoder().push(frame, (t, p) => frames.push(decodeMessage(t, p))))
        .to.throw(ProtocolError, new RegExp(`count ${n} exceeds the maximum`))
        .with.property('frameType', MsgType.SUBMIT_TX_BATCH);
      expect(frames).to.deep.equal([]);
    });

    const lists: [MessageName, number, number, number][] = [
      // name, bytes before the count, smallest element, maximum
      ['SCP_STATE_RESPONSE', 8, 4, MAX_SCP_ENVELOPES_PER_LIST],
      ['TOP_TXS_RESPONSE', 0, 4, MAX_TXS_PER_LIST],
      ['SUBMIT_TX_BATCH', 8, 4, MAX_TXS_PER_LIST],
      ['TOP_TXS_REPLY', 8, 4, MAX_TXS_PER_LIST],
      ['TX_VERDICT_BATCH', 8, 34, MAX_TXS_PER_LIST],
      ['TX_SET_EXTERNALIZED', HASH_SIZE, HASH_SIZE, MAX_TXS_PER_LIST],
    ];
    for (const [name, head, item, max] of lists) {
      it(`${name}: ${max} elements decode, ${max + 1} are MALFORMED_PAYLOAD`, () => {
        expect(codeOf(() => decodeMessage(MsgType[name], listPayload(head, max, item)))).to.equal('ok');
        expect(codeOf(() => decodeMessage(MsgType[name], listPayload(head, max + 1, item)))).to.equal('MALFORMED_PAYLOAD');
      });

      it(`${name}: a count that cannot fit at the element's smallest size (${item} B) is MALFORMED_PAYLOAD`, () => {
        // Room for 3 elements of 1 byte less than the smallest, announcing 3.
        const p = listPayload(head, 0, 0);
        const short = Buffer.concat([p, Buffer.alloc(3 * (item - 1))]);
        short.writeUInt32LE(3, head);
        expect(() => decodeMessage(MsgType[name], short))
          .to.throw(ProtocolError, /exceeds the payload/)
          .with.property('code', 'MALFORMED_PAYLOAD');
      });
    }
  });

  describe('list counts on encode', () => {
    it('a list above its maximum is refused, and FrameWriter writes nothing', () => {
      const txs = Array.from({ length: MAX_TXS_PER_LIST + 1 }, () => new Uint8Array(0));
      const writes: Uint8Array[] = [];
      const writer = new FrameWriter({ write: (c) => writes.push(c) > 0 }, { schedule: (fn) => fn() });
      expect(() => writer.send({ type: 'SUBMIT_TX_BATCH', requestId: 1n, txs }))
        .to.throw(ProtocolError, /exceeds the maximum of 100000/)
        .with.property('code', 'MALFORMED_PAYLOAD');
      expect(writer.pendingBytes).to.equal(0);
      expect(writes).to.deep.equal([]);
      txs.pop();
      expect(codeOf(() => encodePayload({ type: 'SUBMIT_TX_BATCH', requestId: 1n, txs }))).to.equal('ok');
    });

    it('so are too many verdicts and too many tx hashes', () => {
      const verdict = { status: 0, reason: 0, hash: new Uint8Array(32) };
      const verdicts = Array.from({ length: MAX_TXS_PER_LIST + 1 }, () => verdict);
      expect(codeOf(() => encodeFrame({ type: 'TX_VERDICT_BATCH', requestId: 1n, verdicts }))).to.equal(
        'MALFORMED_PAYLOAD',
      );
      const txHashes = new Uint8Array((MAX_TXS_PER_LIST + 1) * HASH_SIZE);
      const txSetHash = new Uint8Array(32);
      expect(codeOf(() => encodeFrame({ type: 'TX_SET_EXTERNALIZED', txSetHash, txHashes }))).to.equal(
        'MALFORMED_PAYLOAD',
      );
    });
  });

  describe('integer fields on encode', () => {
    const h = new Uint8Array(32);
    // One builder per (message, field), covering the straight-line codecs and the compiled layouts alike.
    const u8Fields: [string, (v: number) => Message][] = [
      ['TX_VERDICT.verdict.status', (v) => ({ type: 'TX_VERDICT', requestId: 1n, verdict: { status: v, reason: 0, hash: h } })],
      ['TX_VERDICT.verdict.reason', (v) => ({ type: 'TX_VERDICT', requestId: 1n, verdict: { status: 0, reason: v, hash: h } })],
      [
        'TX_VERDICT_BATCH.verdicts[].status',
        (v) => ({ type: 'TX_VERDICT_BATCH', requestId: 1n, verdicts: [{ status: v, reason: 0, hash: h }] }),
      ],
    ];
    const u32Fields: [string, (v: number) => Message][] = [
      ['GET_TOP_TXS.count', (v) => ({ type: 'GET_TOP_TXS', count: v })],
      ['SUBMIT_TX.numOps', (v) => ({ type: 'SUBMIT_TX', fee: 1n, numOps: v, tx: h })],
      [
        'BUILD_TX_SET.maxBytes',
        (v) => ({ type: 'BUILD_TX_SET', requestId: 1n, ledgerSeq: 1, previousLedgerHash: h, maxOps: 1, maxBytes: v }),
      ],
    ];
    const u64Fields: [string, (v: bigint) => Message][] = [
      ['GET_METRICS.requestId', (v) => ({ type: 'GET_METRICS', requestId: v })],
      ['SUBMIT_TX_CHECKED.requestId', (v) => ({ type: 'SUBMIT_TX_CHECKED', requestId: v, tx: h })],
      ['TX_VERDICT.requestId', (v) => ({ type: 'TX_VERDICT', requestId: v, verdict: { status: 0, reason: 0, hash: h } })],
      ['SCP_STATE_RESPONSE.requestId', (v) => ({ type: 'SCP_STATE_RESPONSE', requestId: v, envelopes: [] })],
    ];
    const i64Fields: [string, (v: bigint) => Message][] = [['SUBMIT_TX.fee', (v) => ({ type: 'SUBMIT_TX', fee: v, numOps: 1, tx: h })]];

    const notNumbers = ['1', 1n, null, undefined, {}] as unknown as number[];
    const notBigints = [1, '1', null, undefined] as unknown as bigint[];
    const cases: [string, [string, (v: never) => Message][], unknown[], unknown[]][] = [
      ['u8', u8Fields, [0, 255], [256, -1, 1.5, Number.NaN, Infinity, ...notNumbers]],
      ['u32', u32Fields, [0, 2 ** 32 - 1], [2 ** 32, -1, 0.5, 2 ** 53, Number.NaN, -Infinity, ...notNumbers]],
      ['u64', u64Fields, [0n, 2n ** 64n - 1n], [-1n, 2n ** 64n, ...notBigints]],
      ['i64', i64Fields, [-(2n ** 63n), 2n ** 63n - 1n, -1n], [2n ** 63n, -(2n ** 63n) - 1n, ...notBigints]],
    ];
    for (const [kind, fields, good, bad] of cases) {
      for (const [field, make] of fields) {
        it(`${field} (${kind}) refuses out-of-range and non-integer values with MALFORMED_PAYLOAD`, () => {
          for (const v of bad) {
            expect(codeOf(() => encodeFrame(make(v as never))), `${field} = ${String(v)}`).to.equal('MALFORMED_PAYLOAD');
          }
        });

        it(`${field} (${kind}) carries its boundary values exactly`, () => {
          for (const v of good) {
            const msg = make(v as never);
            const frame = encodeFrame(msg);
            expect(decodeMessage(frame.readUInt32LE(0), frame.subarray(8))).to.deep.equal(msg);
          }
        });
      }
    }

    it('names the field in the error', () => {
      expect(() => encodeFrame({ type: 'GET_TOP_TXS', count: -1 })).to.throw(ProtocolError, /count must be an integer in 0\.\.4294967295, got -1/);
    });
  });

  describe('64-bit integers', () => {
    it('u64 and i64 round trip every value, in the bytes Buffer would write', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (u, i) => {
          const ref = Buffer.alloc(16);
          ref.writeBigUInt64LE(u, 0);
          ref.writeBigInt64LE(i, 8);
          const get = encodePayload({ type: 'GET_METRICS', requestId: u });
          const submit = encodePayload({ type: 'SUBMIT_TX', fee: i, numOps: 0, tx: new Uint8Array(0) });
          expect(get).to.deep.equal(ref.subarray(0, 8));
          expect(submit.subarray(0, 8)).to.deep.equal(ref.subarray(8));
          expect(decodeMessage(MsgType.GET_METRICS, get)).to.deep.equal({ type: 'GET_METRICS', requestId: u });
          expect(decodeMessage(MsgType.SUBMIT_TX, submit)).to.have.property('fee', i);
        }),
        { numRuns: 2000 },
      );
    });

    it('around the 2^53 boundary where the decoder switches method', () => {
      for (const base of [2n ** 53n, 2n ** 32n, 2n ** 63n]) {
        for (let d = -3n; d <= 3n; d++) {
          const u = base + d;
          if (u >= 0n && u < 2n ** 64n) {
            expect(decodeMessage(MsgType.GET_METRICS, encodePayload({ type: 'GET_METRICS', requestId: u }))).to.deep.equal({
              type: 'GET_METRICS',
              requestId: u,
            });
          }
          for (const i of [u, -u]) {
            if (i < -(2n ** 63n) || i >= 2n ** 63n) continue;
            const p = encodePayload({ type: 'SUBMIT_TX', fee: i, numOps: 0, tx: new Uint8Array(0) });
            expect(decodeMessage(MsgType.SUBMIT_TX, p)).to.have.property('fee', i);
          }
        }
      }
    });
  });

  describe('FrameDecoder memory', () => {
    it('a peer announcing 16 MiB and sending 8 bytes costs 64 KiB, not 16 MiB', () => {
      const decoder = new FrameDecoder();
      const header = Buffer.from(Uint32Array.of(MsgType.BROADCAST_SCP, MAX_PAYLOAD).buffer);
      decoder.push(Buffer.concat([header, Buffer.alloc(8, 1)]), () => expect.fail('no frame yet'));
      expect(decoder.buffered).to.equal(8);
      expect(decoder.allocated).to.equal(64 * 1024);
    });

    it('grows the assembly buffer as bytes arrive, at most doubling, and delivers the frame whole', () => {
      const envelope = Buffer.alloc(3 * 1024 * 1024 + 5);
      for (let i = 0; i < envelope.length; i += 4093) envelope[i] = i & 0xff;
      const frame = encodeFrame({ type: 'BROADCAST_SCP', envelope });
      const decoder = new FrameDecoder();
      const got: Message[] = [];
      let lastAllocated = 0;
      for (let off = 0; off < frame.length; off += 50_000) {
        decoder.push(frame.subarray(off, off + 50_000), (t, p) => got.push(decodeMessage(t, p)));
        if (got.length > 0) break;
        expect(decoder.allocated).to.be.at.least(decoder.buffered - 8);
        expect(decoder.allocated).to.be.at.most(Math.max(64 * 1024, 2 * decoder.buffered));
        expect(decoder.allocated).to.be.at.least(lastAllocated);
        lastAllocated = decoder.allocated;
      }
      expect(got).to.have.length(1);
      expect(Buffer.from((got[0] as { envelope: Uint8Array }).envelope).equals(envelope)).to.equal(true);
      expect(decoder.allocated).to.equal(0);
      expect(decoder.buffered).to.equal(0);
    });

    it('yields the same large and small frames for any split', () => {
      const sizes = [0, 5, 70_000, 200_000, 64 * 1024, 64 * 1024 + 1, 12];
      const msgs: Message[] = sizes.map((n, i) => ({ type: 'SCP_RECEIVED', envelope: Buffer.alloc(n, i + 1) }));
      const stream = Buffer.concat(msgs.map((m) => encodeFrame(m)));
      fc.assert(
        fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 30 }), (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const decoder = new FrameDecoder();
          const got: Message[] = [];
          let prev = 0;
          for (const p of [...points, stream.length]) {
            decoder.push(stream.subarray(prev, p), (t, payload) => got.push(decodeMessage(t, Buffer.from(payload))));
            prev = p;
          }
          expect(got).to.deep.equal(msgs);
        }),
        { numRuns: 40 },
      );
    });
  });
});
