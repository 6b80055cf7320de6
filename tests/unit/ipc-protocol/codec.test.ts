import { expect } from 'chai';
import {
  MESSAGE_NAMES,
  MsgType,
  ProtocolError,
  decodeMessage,
  encodeFrame,
  encodePayload,
  peekRequestId,
  FrameDecoder,
  type Message,
} from '#ipc-protocol';
import { samples } from '../../fixtures/sample-messages.ts';
import { readVectors } from '../../helpers/vectors.ts';

function decodeFrame(bytes: Uint8Array): Message[] {
  const out: Message[] = [];
  new FrameDecoder().push(bytes, (type, payload) => out.push(decodeMessage(type, payload)));
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('ipc-protocol codec', () => {
  describe('round trip of every message type', () => {
    for (const name of MESSAGE_NAMES) {
      it(name, () => {
        expect(samples[name].length).to.be.greaterThan(0);
        for (const fields of samples[name]) {
          const msg = { type: name, ...fields } as Message;
          const frame = encodeFrame(msg);
          expect(frame.readUInt32LE(0)).to.equal(MsgType[name]);
          expect(frame.readUInt32LE(4)).to.equal(frame.length - 8);
          const [decoded] = decodeFrame(frame);
          expect(decoded).to.deep.equal(msg);
          expect(encodeFrame(decoded!)).to.deep.equal(frame);
        }
      });
    }
  });

  describe('golden vectors', () => {
    const vectors = readVectors();

    it('cover every message type with a valid frame', () => {
      const covered = new Set(vectors.filter((v) => v.expect === 'ok').map((v) => v.bytes.readUInt32LE(0)));
      for (const name of MESSAGE_NAMES) expect(covered.has(MsgType[name]), name).to.equal(true);
    });

    for (const v of vectors) {
      it(`${v.name} → ${v.expect}`, () => {
        const code = codeOf(() => {
          const msgs = decodeFrame(v.bytes);
          expect(msgs).to.have.length(1);
          expect(encodeFrame(msgs[0]!)).to.deep.equal(v.bytes);
        });
        expect(code).to.equal(v.expect);
      });
    }
  });

  describe('V2 layouts, byte-exact with stellar-core Overlay V2', () => {
    it('SUBMIT_TX is fee i64 LE, num_ops u32 LE, then the envelope', () => {
      const payload = encodePayload({ type: 'SUBMIT_TX', fee: 300n, numOps: 3, tx: Uint8Array.of(0xde, 0xad) });
      expect(payload.toString('hex')).to.equal('2c01000000000000' + '03000000' + 'dead');
    });

    it('TX_SET_EXTERNALIZED is hash, n u32 LE, n hashes, kept as one contiguous run', () => {
      const hashes = Buffer.alloc(64, 7);
      const payload = encodePayload({ type: 'TX_SET_EXTERNALIZED', txSetHash: Buffer.alloc(32, 1), txHashes: hashes });
      expect(payload.length).to.equal(32 + 4 + 64);
      expect(payload.readUInt32LE(32)).to.equal(2);
      const msg = decodeMessage(MsgType.TX_SET_EXTERNALIZED, payload);
      if (msg.type !== 'TX_SET_EXTERNALIZED') throw new Error('wrong type');
      expect(msg.txHashes).to.be.instanceOf(Uint8Array).with.length(64);
      expect(msg.txHashes.buffer).to.equal(payload.buffer); // a view, not a copy
    });

    it('SCP_STATE_RESPONSE and PEER_REQUESTS_SCP_STATE carry a u64 LE request id first', () => {
      const p = encodePayload({ type: 'PEER_REQUESTS_SCP_STATE', requestId: 0x0102030405060708n, ledgerSeq: 9 });
      expect(p.toString('hex')).to.equal('0807060504030201' + '09000000');
      const s = encodePayload({ type: 'SCP_STATE_RESPONSE', requestId: 1n, envelopes: [Uint8Array.of(5)] });
      expect(s.toString('hex')).to.equal('0100000000000000' + '01000000' + '01000000' + '05');
    });

    it('SET_PEER_CONFIG is the JSON stellar-core writes', () => {
      const json = '{"known_peers":["a.example:11625"],"preferred_peers":[],"listen_port":11625}';
      const msg = decodeMessage(MsgType.SET_PEER_CONFIG, Buffer.from(json));
      expect(msg).to.deep.equal({
        type: 'SET_PEER_CONFIG',
        config: { knownPeers: ['a.example:11625'], preferredPeers: [], listenPort: 11625 },
      });
      expect(encodePayload(msg).toString()).to.equal(json);
    });
  });

  describe('errors', () => {
    it('an unknown type is UNKNOWN_TYPE carrying the type', () => {
      try {
        decodeMessage(9, new Uint8Array(0));
        expect.fail('decoded');
      } catch (err) {
        expect(err).to.be.instanceOf(ProtocolError);
        expect((err as ProtocolError).code).to.equal('UNKNOWN_TYPE');
        expect((err as ProtocolError).frameType).to.equal(9);
      }
    });

    it('a frame travelling the wrong way is WRONG_DIRECTION when the receiver says which way it expects', () => {
      const payload = encodePayload({ type: 'SCP_RECEIVED', envelope: Uint8Array.of(1) });
      expect(codeOf(() => decodeMessage(MsgType.SCP_RECEIVED, payload, { direction: 'toOverlay' }))).to.equal(
        'WRONG_DIRECTION',
      );
      expect(codeOf(() => decodeMessage(MsgType.SCP_RECEIVED, payload, { direction: 'toCore' }))).to.equal('ok');
    });

    it('a malformed payload names the frame type', () => {
      try {
        decodeMessage(MsgType.LEDGER_CLOSED, Uint8Array.of(1, 2, 3));
        expect.fail('decoded');
      } catch (err) {
        expect((err as ProtocolError).code).to.equal('MALFORMED_PAYLOAD');
        expect((err as ProtocolError).frameType).to.equal(MsgType.LEDGER_CLOSED);
        expect((err as ProtocolError).fatal).to.equal(false);
      }
    });

    it('encoding refuses a bad hash length rather than writing a wrong frame', () => {
      expect(codeOf(() => encodeFrame({ type: 'REQUEST_TX_SET', hash: new Uint8Array(31) }))).to.equal(
        'MALFORMED_PAYLOAD',
      );
    });

    it('encoding refuses JSON the decoder would reject', () => {
      expect(codeOf(() => encodeFrame({ type: 'OVERLAY_METRICS_RESPONSE', metrics: { a: Number.NaN } }))).to.equal(
        'MALFORMED_PAYLOAD',
      );
      const config = { knownPeers: [''], preferredPeers: [], listenPort: 70000 };
      expect(codeOf(() => encodeFrame({ type: 'SET_PEER_CONFIG', config }))).to.equal('MALFORMED_PAYLOAD');
    });

    it('encoding refuses a payload over the limit', () => {
      expect(
        codeOf(() => encodeFrame({ type: 'BROADCAST_SCP', envelope: new Uint8Array(1025) }, 1024)),
      ).to.equal('FRAME_TOO_LARGE');
    });
  });

  describe('peekRequestId', () => {
    it('reads the request id of an extension query without decoding the rest', () => {
      const payload = Buffer.concat([encodePayload({ type: 'GET_METRICS', requestId: 77n }), Buffer.from('junk')]);
      expect(peekRequestId(MsgType.GET_METRICS, payload)).to.equal(77n);
    });

    it('is 0 for messages without a request id and for short payloads', () => {
      expect(peekRequestId(MsgType.GET_TOP_TXS, Buffer.alloc(8, 1))).to.equal(0n);
      expect(peekRequestId(MsgType.CACHE_QUORUM_SET, Buffer.alloc(40, 1))).to.equal(0n);
      expect(peekRequestId(MsgType.PEER_CONNECTED, Buffer.alloc(40, 1))).to.equal(0n);
      expect(peekRequestId(MsgType.GET_METRICS, Buffer.alloc(7, 1))).to.equal(0n);
    });
  });
});
