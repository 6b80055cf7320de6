// MessageDecoder must hand out exactly what FrameDecoder + decodeMessage (direction-checked) give — the same messages,
// the same errors with the same codes and payloads, in the same order — for any split of the stream, while decoding
// the frequent messages in place.
import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  ByteWriter,
  FrameDecoder,
  MESSAGE_NAMES,
  MessageDecoder,
  ProtocolError,
  decodeMessage,
  encodeFrame,
  entryByName,
  writeRawFrame,
  type Direction,
  type Message,
  type MessageHandler,
} from '#ipc-protocol';
import { samples } from '../../fixtures/sample-messages.ts';
import { readVectors } from '../../helpers/vectors.ts';
import { splitAt } from '../../helpers/chunks.ts';

type Outcome = { ok: Message; type: number } | { bad: string; type: number; payload: Buffer; fatal: boolean };

/** Records every call; payloads of bad frames are copied, messages are compared while their chunks are alive. */
class Recorder implements MessageHandler<Message> {
  readonly out: Outcome[] = [];
  onMessage(msg: Message, type: number): void {
    this.out.push({ ok: msg, type });
  }
  onBadFrame(err: ProtocolError, type: number, payload: Uint8Array): void {
    expect(err).to.be.instanceOf(ProtocolError);
    this.out.push({ bad: err.code, type, payload: Buffer.from(payload), fatal: err.fatal });
  }
}

/** As Recorder, with onSubmitTx: each SUBMIT_TX recorded as the message it stands for (fee back to a bigint). */
class SubmitTxRecorder extends Recorder {
  fast = 0;
  onSubmitTx(tx: Uint8Array, numOps: number, fee: number | bigint): void {
    this.fast++;
    if (typeof fee === 'number') expect(Number.isSafeInteger(fee) || Math.abs(fee) === 2 ** 53, String(fee)).to.equal(true);
    this.out.push({ ok: { type: 'SUBMIT_TX', fee: BigInt(fee), numOps, tx }, type: 10 });
  }
}

/** The reference: FrameDecoder + decodeMessage. */
function reference(chunks: Uint8Array[], direction: Direction): Outcome[] {
  const out: Outcome[] = [];
  const frames = new FrameDecoder();
  for (const c of chunks) {
    frames.push(c, (type, payload) => {
      try {
        out.push({ ok: decodeMessage(type, payload, { direction }), type });
      } catch (err) {
        const pe = err as ProtocolError;
        out.push({ bad: pe.code, type, payload: Buffer.from(payload), fatal: pe.fatal });
      }
    });
  }
  return out;
}

function decodeAll(chunks: Uint8Array[], direction: Direction, rec = new Recorder()): Outcome[] {
  const decoder = new MessageDecoder({ direction });
  for (const c of chunks) decoder.push(c, rec);
  expect(decoder.buffered).to.equal(0);
  return rec.out;
}

function rawFrame(type: number, payload: Uint8Array): Buffer {
  const w = new ByteWriter(16);
  writeRawFrame(w, type, payload);
  return Buffer.from(w.view());
}

/** Every sample of both directions, and frames that must fail: unknown types, truncations, trailing bytes. */
function mixedFrames(): Buffer[] {
  const frames: Buffer[] = [];
  for (const name of MESSAGE_NAMES) {
    for (const fields of samples[name]) {
      const frame = encodeFrame({ type: name, ...fields } as Message);
      frames.push(frame);
      const payload = frame.subarray(8);
      if (payload.length > 0) frames.push(rawFrame(entryByName(name).id, payload.subarray(0, payload.length - 1)));
      frames.push(rawFrame(entryByName(name).id, Buffer.concat([payload, Buffer.from([1])])));
    }
  }
  frames.push(rawFrame(0, Buffer.from([1, 2])), rawFrame(9, Buffer.alloc(0)), rawFrame(300, Buffer.alloc(3)), rawFrame(0xffff_ffff, Buffer.alloc(1)));
  return frames;
}

describe('MessageDecoder', () => {
  for (const direction of ['toOverlay', 'toCore'] as const) {
    it(`agrees with FrameDecoder + decodeMessage on every sample, truncation and unknown type (${direction})`, () => {
      const frames = mixedFrames();
      const got = decodeAll(frames, direction);
      expect(got).to.deep.equal(reference(frames, direction));
      // Both kinds of outcome and every code show up, so the comparison means something.
      const codes = new Set(got.map((o) => ('ok' in o ? 'ok' : o.bad)));
      expect([...codes]).to.have.members(['ok', 'UNKNOWN_TYPE', 'WRONG_DIRECTION', 'MALFORMED_PAYLOAD']);
    });

    it(`agrees with the reference on the golden vectors (${direction})`, () => {
      for (const v of readVectors().filter((x) => x.expect !== 'FRAME_TOO_LARGE')) {
        expect(decodeAll([v.bytes], direction), v.name).to.deep.equal(reference([v.bytes], direction));
      }
    });
  }

  it('yields the same outcomes for any split or coalescing of the stream, with or without onSubmitTx', () => {
    const stream = Buffer.concat(mixedFrames());
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.constantFrom<Direction>('toOverlay', 'toCore'),
        fc.boolean(),
        (cuts, direction, fast) => {
          const chunks = splitAt(stream, cuts);
          const rec = fast ? new SubmitTxRecorder() : new Recorder();
          expect(decodeAll(chunks, direction, rec)).to.deep.equal(reference(chunks, direction));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('hands SUBMIT_TX to onSubmitTx, fee as a number when exact, and nothing else', () => {
    const fees = [0n, 100n, -1n, 2n ** 31n, 2n ** 32n + 5n, 2n ** 53n - 1n, -(2n ** 53n), 2n ** 53n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
    const msgs: Message[] = fees.map((fee, i) => ({ type: 'SUBMIT_TX', fee, numOps: i, tx: randomBytes(i * 3) }));
    msgs.push({ type: 'BROADCAST_SCP', envelope: randomBytes(5) });
    const frames = [...msgs.map((m) => encodeFrame(m)), rawFrame(10, Buffer.alloc(11))];
    const seen: (number | bigint)[] = [];
    const rec = new SubmitTxRecorder();
    const spy: MessageHandler<Message> = {
      onMessage: (m, t) => rec.onMessage(m, t),
      onBadFrame: (e, t, p) => rec.onBadFrame(e, t, p),
      onSubmitTx: (tx, numOps, fee) => {
        seen.push(fee);
        rec.onSubmitTx(tx, numOps, fee);
      },
    };
    new MessageDecoder({ direction: 'toOverlay' }).push(Buffer.concat(frames), spy);
    expect(rec.fast).to.equal(fees.length);
    expect(seen.map((f) => typeof f)).to.deep.equal(fees.map((f) => (f >= -(2n ** 53n) && f < 2n ** 53n ? 'number' : 'bigint')));
    expect(seen.map((f) => BigInt(f))).to.deep.equal(fees);
    expect(rec.out.map((o) => ('ok' in o ? o.ok : o.bad))).to.deep.equal([...msgs, 'MALFORMED_PAYLOAD']);
  });

  it('never calls onSubmitTx on the core side: SUBMIT_TX there is WRONG_DIRECTION', () => {
    const rec = new SubmitTxRecorder();
    new MessageDecoder({ direction: 'toCore' }).push(encodeFrame({ type: 'SUBMIT_TX', fee: 1n, numOps: 1, tx: Buffer.alloc(3) }), rec);
    expect(rec.fast).to.equal(0);
    expect(rec.out.map((o) => ('bad' in o ? o.bad : 'ok'))).to.deep.equal(['WRONG_DIRECTION']);
  });

  it('decodes a stream of thousands of frames fed one byte at a time', () => {
    const msgs: Message[] = [];
    for (let i = 0; i < 2000; i++) {
      msgs.push(
        i % 3 === 0
          ? { type: 'SUBMIT_TX', fee: BigInt(i) * 1000n - 5n, numOps: i, tx: randomBytes(i % 300) }
          : i % 3 === 1
            ? { type: 'BROADCAST_SCP', envelope: randomBytes(i % 50) }
            : { type: 'LEDGER_CLOSED', ledgerSeq: i, ledgerHash: randomBytes(32) },
      );
    }
    const stream = Buffer.concat(msgs.map((m) => encodeFrame(m)));
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
    const got = decodeAll(chunks, 'toOverlay');
    expect(got.map((o) => ('ok' in o ? o.ok : o))).to.deep.equal(msgs);
  });

  it('hands out zero-copy plain Uint8Array views, on the in-place and the general path', () => {
    const chunk = Buffer.concat([
      encodeFrame({ type: 'SUBMIT_TX', fee: 100n, numOps: 1, tx: Buffer.alloc(250, 7) }),
      encodeFrame({ type: 'CACHE_TX_SET', hash: Buffer.alloc(32, 1), txSet: Buffer.alloc(10, 2) }),
    ]);
    const rec = new Recorder();
    new MessageDecoder({ direction: 'toOverlay' }).push(chunk, rec);
    const [submit, cache] = rec.out.map((o) => ('ok' in o ? o.ok : undefined));
    if (submit?.type !== 'SUBMIT_TX' || cache?.type !== 'CACHE_TX_SET') throw new Error('unexpected messages');
    for (const view of [submit.tx, cache.hash, cache.txSet]) {
      expect(view.buffer).to.equal(chunk.buffer);
      expect(Buffer.isBuffer(view)).to.equal(false);
    }
    expect(submit.tx.byteOffset).to.equal(chunk.byteOffset + 8 + 12);
  });

  it('gives the frame type with each message and each bad frame', () => {
    const rec = new Recorder();
    new MessageDecoder({ direction: 'toCore' }).push(
      Buffer.concat([encodeFrame({ type: 'SCP_RECEIVED', envelope: Buffer.from([1]) }), rawFrame(10, Buffer.alloc(12))]),
      rec,
    );
    expect(rec.out.map((o) => [o.type, 'ok' in o ? o.ok.type : o.bad])).to.deep.equal([
      [100, 'SCP_RECEIVED'],
      [10, 'WRONG_DIRECTION'],
    ]);
  });

  it('raises fatal FRAME_TOO_LARGE after handling the frames before it, and on every later push', () => {
    const decoder = new MessageDecoder({ direction: 'toOverlay', maxPayload: 1024 });
    expect(decoder.maxPayload).to.equal(1024);
    const good = encodeFrame({ type: 'GET_TOP_TXS', count: 1 });
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(10, 0);
    bad.writeUInt32LE(1025, 4);
    const rec = new Recorder();
    expect(() => decoder.push(Buffer.concat([good, bad]), rec))
      .to.throw(ProtocolError)
      .with.property('code', 'FRAME_TOO_LARGE');
    expect(rec.out).to.have.length(1);
    expect(() => decoder.push(good, rec)).to.throw(ProtocolError).with.property('fatal', true);
    expect(decoder.framesDecoded).to.equal(1);
  });

  it('lets a handler exception out of push and keeps decoding the next chunk', () => {
    const decoder = new MessageDecoder({ direction: 'toOverlay' });
    const frame = encodeFrame({ type: 'SUBMIT_TX', fee: 1n, numOps: 1, tx: Buffer.alloc(4) });
    const throwing: MessageHandler<Message> = {
      onMessage: () => {
        throw new Error('handler bug');
      },
      onBadFrame: () => {},
    };
    expect(() => decoder.push(frame, throwing)).to.throw('handler bug');
    const rec = new Recorder();
    decoder.push(frame, rec);
    expect(rec.out).to.have.length(1);
  });

  it('turns 20k random byte strings into messages or ProtocolErrors, never a stray exception', () => {
    let handled = 0;
    let fatal = 0;
    const handler: MessageHandler<Message> = {
      onMessage: () => void handled++,
      onBadFrame: (err) => {
        expect(err).to.be.instanceOf(ProtocolError);
        handled++;
      },
    };
    for (let i = 0; i < 20_000; i++) {
      const bytes = randomBytes(8 + (i % 64));
      if (i % 2 === 0) bytes.writeUInt32LE(bytes.length - 8, 4);
      if (i % 4 === 0) bytes.writeUInt32LE([1, 10, 65, 100, 166, 2, 164][i % 7]!, 0);
      try {
        new MessageDecoder({ direction: i % 3 === 0 ? 'toCore' : 'toOverlay', maxPayload: 1 << 20 }).push(bytes, handler);
      } catch (err) {
        if (!(err instanceof ProtocolError) || !err.fatal) throw err;
        fatal++;
      }
    }
    expect(handled + fatal).to.be.greaterThan(10_000);
  });
});
