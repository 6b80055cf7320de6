// copyMessage: a decoded message that outlives its receive buffer. Every sample, decoded in place from a chunk that
// is then overwritten, must survive as its copy, with no byte shared with the chunk.
import { expect } from 'chai';
import { MESSAGE_NAMES, MessageDecoder, copyMessage, encodeFrame, entryByName, type Message, type MessageHandler } from '#ipc-protocol';
import { samples } from '../../fixtures/sample-messages.ts';

/** Every Uint8Array inside a value (binary fields, list elements, nested maps). */
function binaries(v: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (v instanceof Uint8Array) out.push(v);
  else if (Array.isArray(v)) for (const x of v) binaries(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) binaries(x, out);
  return out;
}

describe('ipc-protocol copyMessage', () => {
  for (const name of MESSAGE_NAMES) {
    it(`${name}: the copy equals the message and outlives its receive buffer`, () => {
      const { direction } = entryByName(name);
      for (const sample of samples[name]) {
        const msg = { type: name, ...sample } as Message;
        const chunk = Buffer.from(encodeFrame(msg));
        let copy: Message | undefined;
        const handler: MessageHandler<Message> = {
          onMessage: (m) => {
            copy = copyMessage(m);
            expect(copy).to.deep.equal(m);
          },
          onBadFrame: (err) => expect.fail(err.message),
        };
        new MessageDecoder({ direction }).push(chunk, handler);
        chunk.fill(0xee); // what a reused receive buffer would do
        expect(copy).to.deep.equal(msg);
        for (const b of binaries(copy)) {
          expect(b.constructor).to.equal(Uint8Array);
          expect(b.buffer).to.not.equal(chunk.buffer);
        }
      }
    });
  }

  it('copies Buffers (whose slice() is a view) as plain bytes of their own', () => {
    const backing = Buffer.from([1, 2, 3, 4]);
    const msg: Message = { type: 'BROADCAST_SCP', envelope: backing.subarray(1, 3) };
    const copy = copyMessage(msg);
    backing.fill(0);
    expect(copy).to.deep.equal({ type: 'BROADCAST_SCP', envelope: Uint8Array.from([2, 3]) });
  });
});
