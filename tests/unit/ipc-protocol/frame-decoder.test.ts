import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  ByteWriter,
  FrameDecoder,
  ProtocolError,
  decodeMessage,
  encodeFrame,
  writeRawFrame,
  MAX_PAYLOAD,
  type Message,
} from '#ipc-protocol';
import { samples } from '../../fixtures/sample-messages.ts';
import { splitAt } from '../../helpers/chunks.ts';

interface RawFrame {
  type: number;
  payload: Buffer;
}

function collect(decoder: FrameDecoder, chunks: Uint8Array[]): RawFrame[] {
  const out: RawFrame[] = [];
  // Copy: a payload may be a view into a chunk the test reuses.
  for (const c of chunks) decoder.push(c, (type, payload) => out.push({ type, payload: Buffer.from(payload) }));
  return out;
}

describe('FrameDecoder', () => {
  const frameArb = fc.record({
    type: fc.integer({ min: 0, max: 0xffffffff }),
    payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  });

  it('yields the same frames for any split or coalescing of thousands of frames', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const w = new ByteWriter();
        for (const f of frames) writeRawFrame(w, f.type, f.payload);
        const stream = Buffer.from(w.view());
        const got = collect(new FrameDecoder(), splitAt(stream, cuts));
        expect(got).to.deep.equal(frames);
      }),
      { numRuns: 200 }, // 200 runs × up to 60 frames: thousands of frames through random boundaries
    );
  });

  it('decodes a stream fed one byte at a time', () => {
    const msgs = Object.entries(samples).flatMap(([type, list]) => list.map((m) => ({ type, ...m }) as Message));
    const stream = Buffer.concat(msgs.map((m) => encodeFrame(m)));
    const decoder = new FrameDecoder();
    const got: Message[] = [];
    for (let i = 0; i < stream.length; i++) {
      decoder.push(stream.subarray(i, i + 1), (type, payload) => got.push(decodeMessage(type, Buffer.from(payload))));
    }
    expect(got).to.deep.equal(msgs);
    expect(decoder.buffered).to.equal(0);
  });

  it('hands out zero-copy views for frames wholly inside one chunk', () => {
    const frame = encodeFrame({ type: 'BROADCAST_SCP', envelope: Buffer.alloc(100, 3) });
    let view: Uint8Array | undefined;
    new FrameDecoder().push(frame, (_t, p) => (view = p));
    expect(view!.buffer).to.equal(frame.buffer);
  });

  it('rejects an oversized length as fatal FRAME_TOO_LARGE, after delivering the frames before it', () => {
    const decoder = new FrameDecoder({ maxPayload: 1024 });
    const good = encodeFrame({ type: 'GET_TOP_TXS', count: 1 });
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(1, 0);
    bad.writeUInt32LE(1025, 4);
    const seen: number[] = [];
    const run = () => decoder.push(Buffer.concat([good, bad]), (t) => seen.push(t));
    expect(run).to.throw(ProtocolError).with.property('code', 'FRAME_TOO_LARGE');
    expect(seen).to.deep.equal([2]);
    // Framing is lost for good: later input is refused too.
    expect(() => decoder.push(good, () => {})).to.throw(ProtocolError).with.property('fatal', true);
  });

  it('rejects an oversized length announced across a chunk boundary', () => {
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(1, 0);
    bad.writeUInt32LE(MAX_PAYLOAD + 1, 4);
    const decoder = new FrameDecoder();
    decoder.push(bad.subarray(0, 5), () => {});
    expect(() => decoder.push(bad.subarray(5), () => {})).to.throw(ProtocolError).with.property('code', 'FRAME_TOO_LARGE');
  });

  it('refuses a configured limit above 16 MiB', () => {
    expect(() => new FrameDecoder({ maxPayload: MAX_PAYLOAD + 1 })).to.throw(RangeError);
  });

  it('turns 100k random byte strings into frames or ProtocolErrors, never a stray exception', () => {
    let frames = 0;
    let protocolErrors = 0;
    for (let i = 0; i < 100_000; i++) {
      const bytes = randomBytes(8 + (i % 64));
      // Keep the announced length plausible half the time so payload decoding is exercised, not only framing.
      if (i % 2 === 0) bytes.writeUInt32LE(bytes.length - 8, 4);
      if (i % 4 === 0) bytes.writeUInt32LE([1, 2, 5, 6, 8, 10, 64, 65, 66, 164, 165, 167][i % 12]!, 0);
      try {
        new FrameDecoder({ maxPayload: 1 << 20 }).push(bytes, (type, payload) => {
          frames++;
          decodeMessage(type, payload);
        });
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        protocolErrors++;
      }
    }
    expect(frames + protocolErrors).to.be.greaterThan(50_000);
  });
});
