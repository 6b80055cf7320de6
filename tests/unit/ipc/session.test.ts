// CoreSession's receive path (MessageDecoder): SUBMIT_TX as its fields, messages with their frame type, per-type
// counters, bad frames answered or dropped as docs/ipc-protocol.md §6 says, and core's first frames held, in order
// and with bytes of their own, while the network is decided. Real sockets; core is tests/helpers/raw-core.ts.
import { expect } from 'chai';
import { ErrorCode, MsgType, encodeFrame, networkIdOf, type ToOverlayMessage } from '#ipc-protocol';
import type { MessageSink, SubmitTxHandler } from '../../../overlay/src/ipc/router.ts';
import type { CoreSession } from '../../../overlay/src/ipc/session.ts';
import { RATE_LIMITED_LINES } from '../../../overlay/src/util/log.ts';
import { TESTNET } from '../../helpers/raw-core.ts';
import { hello, pendingNetwork, sessionWith, waitFor, type Harness } from './helpers.ts';

type Seen = { msg: ToOverlayMessage; type: number } | { tx: Buffer; numOps: number; fee: number | bigint };

/** A sink recording what it is given (bytes copied); with `fields`, SUBMIT_TX comes as fields. */
function recorder(fields: boolean): MessageSink & { seen: Seen[] } {
  const seen: Seen[] = [];
  const sink = (msg: ToOverlayMessage, _s: CoreSession, type: number) => void seen.push({ msg: structuredClone(msg), type });
  const submitTx: SubmitTxHandler = (tx, numOps, fee) => void seen.push({ tx: Buffer.from(tx), numOps, fee });
  return Object.assign(sink, fields ? { seen, submitTx } : { seen });
}

const tx = (n: number) => Buffer.alloc(40, n);
const IN = (type: string) => `overlay_ipc_frames_total{direction=in,type=${type}}`;

describe('ipc CoreSession', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('hands SUBMIT_TX to a sink that takes fields without a message object, counted per type', async () => {
    const sink = recorder(true);
    h = await sessionWith(sink);
    h.core.send({ type: 'SUBMIT_TX', fee: 100n, numOps: 1, tx: tx(1) });
    h.core.send({ type: 'SUBMIT_TX', fee: 2n ** 60n, numOps: 3, tx: tx(2) });
    h.core.send({ type: 'LEDGER_CLOSED', ledgerSeq: 7, ledgerHash: Buffer.alloc(32, 9) });
    await waitFor('three messages', () => sink.seen.length === 3);
    // The first frame decided the dialect (V2) and went the general way, as a message; the next took the fields path.
    expect(sink.seen[0]).to.deep.equal({ msg: { type: 'SUBMIT_TX', fee: 100n, numOps: 1, tx: new Uint8Array(tx(1)) }, type: MsgType.SUBMIT_TX });
    expect(sink.seen[1]).to.deep.equal({ tx: tx(2), numOps: 3, fee: 2n ** 60n });
    expect(sink.seen[2]).to.deep.include({ type: MsgType.LEDGER_CLOSED });
    expect(h.session.dialect).to.equal('v2');
    expect(await h.metric(IN('SUBMIT_TX'))).to.equal(2);
    expect(await h.metric(IN('LEDGER_CLOSED'))).to.equal(1);
  });

  it('hands SUBMIT_TX as a message (fee a bigint) to a sink without submitTx', async () => {
    const sink = recorder(false);
    h = await sessionWith(sink);
    h.core.send({ type: 'LEDGER_CLOSED', ledgerSeq: 7, ledgerHash: Buffer.alloc(32, 9) });
    h.core.send({ type: 'SUBMIT_TX', fee: 250n, numOps: 2, tx: tx(3) });
    await waitFor('two messages', () => sink.seen.length === 2);
    expect(sink.seen[1]).to.deep.equal({ msg: { type: 'SUBMIT_TX', fee: 250n, numOps: 2, tx: new Uint8Array(tx(3)) }, type: MsgType.SUBMIT_TX });
  });

  it("holds core's frames while the network is decided, then delivers them in order, bad ones answered in turn", async () => {
    const sink = recorder(true);
    const network = pendingNetwork();
    h = await sessionWith(sink, network);
    const unknown = Buffer.alloc(8);
    unknown.writeUInt32LE(99, 0);
    // One write: the frames behind the first arrive in the read being decoded when the hold begins.
    h.core.sendRaw(
      Buffer.concat([
        encodeFrame({ type: 'SUBMIT_TX', fee: 1n, numOps: 1, tx: tx(1) }),
        unknown,
        encodeFrame({ type: 'BROADCAST_SCP', envelope: tx(2) }),
        encodeFrame({ type: 'SUBMIT_TX', fee: 3n, numOps: 1, tx: tx(3) }),
      ]),
    );
    await waitFor('the network asked for', () => network.asked.length === 1);
    expect(network.asked).to.deep.equal([null]); // not a HELLO: V2, the default network
    expect(sink.seen).to.deep.equal([]);
    expect(await h.metric('overlay_ipc_errors_total{code=UNKNOWN_TYPE}')).to.equal(0);
    h.core.send({ type: 'SUBMIT_TX', fee: 4n, numOps: 1, tx: tx(4) }); // read once the socket resumes
    network.release();
    await waitFor('four messages', () => sink.seen.length === 4);
    const txs = sink.seen.map((s) => ('tx' in s ? s.tx : 'envelope' in s.msg ? s.msg.envelope : 'tx' in s.msg ? s.msg.tx : null));
    expect(txs.map((b) => Buffer.from(b!).toString('hex'))).to.deep.equal([1, 2, 3, 4].map((n) => tx(n).toString('hex')));
    expect(await h.metric('overlay_ipc_errors_total{code=UNKNOWN_TYPE}')).to.equal(1);
    expect(await h.metric(IN('SUBMIT_TX'))).to.equal(3);
    expect(h.session.dialect).to.equal('v2');
    expect(h.core.count('ERROR')).to.equal(0); // V2: no ERROR frames
  });

  it("lets a HELLO name the network, negotiates once it is decided, and replays what followed", async () => {
    const sink = recorder(true);
    const network = pendingNetwork();
    h = await sessionWith(sink, network);
    h.core.sendRaw(
      Buffer.concat([
        encodeFrame({ type: 'HELLO', hello: { protocolVersion: 1, features: ['queries'], software: 'c', networkId: networkIdOf(TESTNET) } }),
        encodeFrame({ type: 'GET_METRICS', requestId: 5n }),
      ]),
    );
    await waitFor('the network asked for', () => network.asked.length === 1);
    expect(network.asked[0]).to.deep.equal(Buffer.from(networkIdOf(TESTNET)));
    network.release();
    await h.core.next('HELLO_ACK');
    await waitFor('GET_METRICS', () => sink.seen.length === 1);
    expect(sink.seen[0]).to.deep.equal({ msg: { type: 'GET_METRICS', requestId: 5n }, type: MsgType.GET_METRICS });
    expect(h.session.dialect).to.equal('extended');
  });

  it('drops bad frames of a V2 core without an ERROR, counts every one and rate-limits their log lines', async () => {
    const sink = recorder(true);
    h = await sessionWith(sink);
    h.core.send({ type: 'LEDGER_CLOSED', ledgerSeq: 1, ledgerHash: Buffer.alloc(32) });
    const unknown = Buffer.alloc(8);
    unknown.writeUInt32LE(99, 0);
    h.core.sendRaw(Buffer.concat(Array.from({ length: 25 }, () => unknown)));
    h.core.send({ type: 'SUBMIT_TX', fee: 1n, numOps: 1, tx: tx(1) });
    await waitFor('the tx behind the bad frames', () => sink.seen.length === 2);
    expect(await h.metric('overlay_ipc_errors_total{code=UNKNOWN_TYPE}')).to.equal(25);
    expect(h.logs.filter((l) => l.includes('"bad frame from core"')).length).to.equal(RATE_LIMITED_LINES);
    expect(h.core.count('ERROR')).to.equal(0);
  });

  it('answers bad frames of an extension core with ERROR and the peeked request id, and carries on', async () => {
    const sink = recorder(true);
    h = await sessionWith(sink);
    await hello(h.core, ['queries']);
    const malformed = Buffer.alloc(8 + 9);
    malformed.writeUInt32LE(MsgType.GET_METRICS, 0);
    malformed.writeUInt32LE(9, 4);
    malformed.writeBigUInt64LE(77n, 8);
    h.core.sendRaw(malformed);
    expect((await h.core.next('ERROR', (e) => e.error.code === ErrorCode.MALFORMED_PAYLOAD)).requestId).to.equal(77n);
    h.core.send({ type: 'GET_STATS', requestId: 6n }); // feature 'stats' not negotiated
    const notNegotiated = await h.core.next('ERROR', (e) => e.error.code === ErrorCode.NOT_NEGOTIATED);
    expect([notNegotiated.requestId, notNegotiated.error.refType]).to.deep.equal([6n, MsgType.GET_STATS]);
    h.core.send({ type: 'HELLO', hello: { protocolVersion: 1, features: [], software: 'c', networkId: networkIdOf(TESTNET) } });
    expect((await h.core.next('ERROR', (e) => e.error.code === ErrorCode.PROTOCOL_STATE)).requestId).to.equal(0n);
    h.core.sendRaw(encodeFrame({ type: 'SCP_RECEIVED', envelope: tx(1) }));
    await h.core.next('ERROR', (e) => e.error.code === ErrorCode.WRONG_DIRECTION);
    h.core.send({ type: 'GET_METRICS', requestId: 8n });
    await waitFor('GET_METRICS', () => sink.seen.length === 1);
    expect(sink.seen[0]).to.deep.equal({ msg: { type: 'GET_METRICS', requestId: 8n }, type: MsgType.GET_METRICS });
    // Frames that decoded are counted in, refused or not; frames that did not, only as errors.
    expect(await h.metric(IN('GET_STATS'))).to.equal(1);
    expect(await h.metric(IN('HELLO'))).to.equal(2);
    expect(await h.metric(IN('GET_METRICS'))).to.equal(1);
    for (const code of ['MALFORMED_PAYLOAD', 'NOT_NEGOTIATED', 'PROTOCOL_STATE', 'WRONG_DIRECTION']) {
      expect(await h.metric(`overlay_ipc_errors_total{code=${code}}`), code).to.equal(1);
    }
  });

  it('answers INTERNAL with the request id when the sink throws, and survives', async () => {
    let calls = 0;
    const sink: MessageSink = () => {
      if (calls++ === 0) throw new Error('boom');
    };
    h = await sessionWith(sink);
    await hello(h.core);
    h.core.send({ type: 'GET_PEERS', requestId: 3n });
    const err = await h.core.next('ERROR');
    expect([err.requestId, err.error.code, err.error.refType]).to.deep.equal([3n, ErrorCode.INTERNAL, MsgType.GET_PEERS]);
    expect(h.logs.filter((l) => l.includes('"handler failed"'))).to.have.length(1);
    h.core.send({ type: 'GET_PEERS', requestId: 4n });
    await waitFor('the second request', () => calls === 2);
  });

  it('counts frames sent per type and holds messages for core until its dialect is known', async () => {
    h = await sessionWith(recorder(true));
    expect(h.session.send({ type: 'SCP_RECEIVED', envelope: tx(5) })).to.equal(true); // held: dialect pending
    expect(h.core.received).to.deep.equal([]);
    await hello(h.core);
    const scp = await h.core.next('SCP_RECEIVED');
    expect(Buffer.from(scp.envelope).equals(tx(5))).to.equal(true);
    expect(h.session.send({ type: 'PEER_CONNECTED', peer: { peerId: 'p', nodeKey: 'n', address: 'a', direction: 'inbound', transport: 'tcp', rttMs: -1, bytesIn: 0, bytesOut: 0, preferred: false } })).to.equal(true);
    await h.core.next('PEER_CONNECTED');
    expect(await h.metric('overlay_ipc_frames_total{direction=out,type=SCP_RECEIVED}')).to.equal(1);
    expect(await h.metric('overlay_ipc_frames_total{direction=out,type=HELLO_ACK}')).to.equal(1);
    expect(await h.metric('overlay_ipc_frames_total{direction=out,type=PEER_CONNECTED}')).to.equal(1);
  });
});
