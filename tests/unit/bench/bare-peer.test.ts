// The bare-socket baseline: frame boundaries whatever the chunking, and the three exchange patterns against the real
// forked peer on a real Unix socket.
import { expect } from 'chai';
import fc from 'fast-check';
import { BareScanner, bareFrame } from '../../../scripts/lib/bench/bare-frames.ts';
import { BarePeer } from '../../../scripts/lib/bench/bare-peer.ts';

describe('bench bare frames', () => {
  it('finds every frame and its reply word however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ len: fc.integer({ min: 4, max: 300 }), reply: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames.map((f) => bareFrame(f.len, f.reply)));
          const seen: { len: number; reply: number }[] = [];
          const scanner = new BareScanner();
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            scanner.push(stream.subarray(at, at + n), (len, reply) => seen.push({ len, reply }));
            at += n;
          }
          expect(seen).to.deep.equal(frames);
        },
      ),
    );
  });

  it('refuses a payload too short to carry the reply word', () => {
    expect(() => bareFrame(3)).to.throw(RangeError);
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(2, 0);
    expect(() => new BareScanner().push(bad, () => {})).to.throw(RangeError);
  });
});

describe('bench bare peer (forked process, Unix socket)', function () {
  this.timeout(30_000);
  let peer: BarePeer;
  before(async () => {
    peer = await BarePeer.start();
  });
  after(async () => {
    await peer.close();
  });

  it('answers every pipelined request', async () => {
    const ms = await peer.pipelined({ requestBytes: 70_000, replyBytes: 10_000, count: 200, window: 16 });
    expect(ms).to.be.greaterThan(0);
  });

  it('times each round trip', async () => {
    const us = await peer.roundTrips({ requestBytes: 12, replyBytes: 260_000, count: 20 });
    expect(us).to.have.length(20);
    for (const x of us) expect(x).to.be.greaterThan(0);
  });

  it('streams frames one way until the peer has read the last', async () => {
    const ms = await peer.stream({ frameBytes: 192, count: 50_000 });
    expect(ms).to.be.greaterThan(0);
  });
});
