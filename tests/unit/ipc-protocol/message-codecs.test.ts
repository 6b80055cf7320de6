// The straight-line codecs of the hottest messages must behave exactly as the codec compiled from their catalogue
// layout: same bytes, same decoded messages, same error codes, for samples and random values alike. Their in-place
// decoders (MessageDecoder's) must decode what the layout decodes and decline what it refuses.
import { expect } from 'chai';
import fc from 'fast-check';
import { ByteReader, ByteWriter, MAX_PAYLOAD, ProtocolError, entryByName, type Message, type MessageName } from '#ipc-protocol';
import {
  LEAN_MESSAGES,
  codecByName,
  inPlaceDecoders,
  layoutCodec,
  type MessageCodec,
} from '../../../ipc-protocol/src/message-codecs.ts';
import { samples } from '../../fixtures/sample-messages.ts';

function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (err) {
    if (err instanceof ProtocolError) return { error: err.code };
    throw err;
  }
}

/** Bytes already in the writer: encoders must append after them and leave them alone. */
const PREFIX = Buffer.from([0xa1, 0xa2, 0xa3]);

/** `write`'s outcome after PREFIX; `atomic`: on error nothing at all is appended (frame writers promise it). */
function appendWith(write: (w: ByteWriter) => void, atomic = false): unknown {
  const w = new ByteWriter(16);
  w.bytes(PREFIX);
  const r = outcome(() => {
    write(w);
    return Buffer.from(w.view().subarray(PREFIX.length));
  });
  expect(Buffer.from(w.view().subarray(0, PREFIX.length))).to.deep.equal(PREFIX);
  if (atomic && 'error' in (r as object)) expect(w.pos, 'nothing written on error').to.equal(PREFIX.length);
  return r;
}

function encodeWith(codec: MessageCodec, msg: Message): unknown {
  return appendWith((w) => codec.encode(w, msg));
}

function frameWith(codec: MessageCodec, msg: Message, maxPayload: number): unknown {
  return appendWith((w) => codec.writeFrame(w, msg, maxPayload), true);
}

function decodeWith(codec: MessageCodec, payload: Uint8Array): unknown {
  return outcome(() => {
    const r = new ByteReader(payload, codec.entry.id);
    const msg = codec.decode(r);
    r.end();
    return msg;
  });
}

/** The in-place decoder's outcome on `payload`, placed inside a larger buffer: a message, or declined. */
function decodeInPlace(codec: MessageCodec, payload: Uint8Array): unknown {
  const decodeAt = inPlaceDecoders(codec.entry.direction)[codec.entry.id]!;
  const host = new Uint8Array(payload.length + 7);
  host.set(payload, 3);
  const msg = decodeAt(host, 3, 3 + payload.length);
  return msg === undefined ? 'declined' : { ok: msg };
}

/** What the in-place decoder must give: the layout's message, or 'declined' where the layout raises. */
function expectedInPlace(layout: MessageCodec, payload: Uint8Array): unknown {
  const r = decodeWith(layout, payload) as { ok?: unknown };
  return r.ok === undefined ? 'declined' : r;
}

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const u8 = fc.integer({ min: 0, max: 255 });
const bytes = fc.uint8Array({ maxLength: 64 });
// Mostly valid values, sometimes not, so refusals are compared too.
const anyInt = (valid: fc.Arbitrary<number>) => fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: fc.double() });
const anyBig = (valid: fc.Arbitrary<bigint>) => fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: fc.bigInt() });

const arbitraries: Partial<Record<MessageName, fc.Arbitrary<Message>>> = {
  SUBMIT_TX: fc.record({ fee: anyBig(i64), numOps: anyInt(u32), tx: bytes }).map((m) => ({ type: 'SUBMIT_TX', ...m })),
  SUBMIT_TX_CHECKED: fc.record({ requestId: anyBig(u64), tx: bytes }).map((m) => ({ type: 'SUBMIT_TX_CHECKED', ...m })),
  BROADCAST_SCP: fc.record({ envelope: bytes }).map((m) => ({ type: 'BROADCAST_SCP', ...m })),
  SCP_RECEIVED: fc.record({ envelope: bytes }).map((m) => ({ type: 'SCP_RECEIVED', ...m })),
  SUBMIT_TX_BATCH: fc
    .record({ requestId: anyBig(u64), txs: fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 6 }) })
    .map((m) => ({ type: 'SUBMIT_TX_BATCH', ...m })),
  TX_VERDICT: fc
    .record({
      requestId: anyBig(u64),
      verdict: fc.record({
        status: anyInt(u8),
        reason: anyInt(u8),
        hash: fc.oneof({ weight: 8, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) }, { weight: 1, arbitrary: bytes }),
      }),
    })
    .map((m) => ({ type: 'TX_VERDICT', ...m })),
  TX_VERDICT_BATCH: fc
    .record({
      requestId: anyBig(u64),
      verdicts: fc.array(
        fc.record({
          status: anyInt(u8),
          reason: anyInt(u8),
          hash: fc.oneof({ weight: 12, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) }, { weight: 1, arbitrary: bytes }),
        }),
        { maxLength: 5 },
      ),
    })
    .map((m) => ({ type: 'TX_VERDICT_BATCH', ...m })),
};

describe('straight-line message codecs', () => {
  it('exist for the per-transaction and SCP messages', () => {
    expect(LEAN_MESSAGES).to.have.members([
      'SUBMIT_TX',
      'SUBMIT_TX_CHECKED',
      'TX_VERDICT',
      'BROADCAST_SCP',
      'SCP_RECEIVED',
      'SUBMIT_TX_BATCH',
      'TX_VERDICT_BATCH',
    ]);
  });

  it('have in-place decoders in their direction only', () => {
    for (const direction of ['toOverlay', 'toCore'] as const) {
      const table = inPlaceDecoders(direction);
      const ids = table.flatMap((d, id) => (d === undefined ? [] : [id]));
      const expected = LEAN_MESSAGES.map(entryByName).filter((e) => e.direction === direction).map((e) => e.id);
      expect(ids).to.have.members(expected);
    }
  });

  for (const name of LEAN_MESSAGES) {
    describe(name, () => {
      const lean = codecByName(name)!;
      const layout = layoutCodec(entryByName(name));

      it('is the codec in use', () => {
        expect(lean.decode).to.not.equal(layout.decode);
      });

      it('encodes and decodes the samples exactly as the layout does, and refuses every truncation alike', () => {
        for (const fields of samples[name]) {
          const msg = { type: name, ...fields } as Message;
          const encoded = encodeWith(layout, msg) as { ok: Buffer };
          expect(encodeWith(lean, msg)).to.deep.equal(encoded);
          const payload = encoded.ok;
          // Whole frames, and FRAME_TOO_LARGE one byte under the payload's size.
          for (const max of [MAX_PAYLOAD, payload.length, payload.length - 1]) {
            expect(frameWith(lean, msg, max), `frame, limit ${max}`).to.deep.equal(frameWith(layout, msg, max));
          }
          expect(frameWith(lean, msg, payload.length - 1)).to.deep.equal({ error: 'FRAME_TOO_LARGE' });
          for (let n = 0; n <= payload.length; n++) {
            const part = payload.subarray(0, n);
            expect(decodeWith(lean, part), `first ${n} bytes`).to.deep.equal(decodeWith(layout, part));
            expect(decodeInPlace(lean, part), `first ${n} bytes in place`).to.deep.equal(expectedInPlace(layout, part));
          }
          // Trailing bytes: a fixed layout refuses them, a layout ending in `rest` takes them.
          const longer = Buffer.concat([payload, Buffer.from([7])]);
          expect(decodeInPlace(lean, longer)).to.deep.equal(expectedInPlace(layout, longer));
        }
      });

      it('agrees with the layout on random values, valid or not', () => {
        fc.assert(
          fc.property(arbitraries[name]!, fc.uint8Array({ maxLength: 80 }), (msg, junk) => {
            const encoded = encodeWith(layout, msg);
            expect(encodeWith(lean, msg)).to.deep.equal(encoded);
            expect(frameWith(lean, msg, MAX_PAYLOAD)).to.deep.equal(frameWith(layout, msg, MAX_PAYLOAD));
            const ok = (encoded as { ok?: Buffer }).ok;
            if (ok !== undefined) {
              const decoded = decodeWith(lean, ok) as { ok: Message };
              expect(decoded).to.deep.equal(decodeWith(layout, ok));
              expect(decodeInPlace(lean, ok)).to.deep.equal(decoded);
              expect(encodeWith(lean, decoded.ok)).to.deep.equal(encoded); // -0 travels as 0, hence not deep.equal(msg)
            }
            expect(decodeWith(lean, junk)).to.deep.equal(decodeWith(layout, junk));
            expect(decodeInPlace(lean, junk)).to.deep.equal(expectedInPlace(layout, junk));
          }),
          { numRuns: 1000 },
        );
      });
    });
  }
});
