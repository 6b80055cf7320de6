// OverlayClient against a scripted overlay on a real Unix socket: request matching, typed errors, the state it
// restores after a reconnect (and in which order), re-submission, in-flight re-sends, bounds and backpressure.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { on } from 'node:events';
import { Registry } from 'prom-client';
import { ErrorCode, TxStatus, type ToOverlayMessage } from '#ipc-protocol';
import { BackpressureError, OverlayClient, OverlayClientError, type OverlayClientOptions } from '../../../core-bridge/src/index.ts';
import { TESTNET } from '../../helpers/raw-core.ts';
import { waitFor } from '../../helpers/wait.ts';
import { ScriptedOverlay, txHash, type Script } from './scripted-overlay.ts';

const STATS = { uptimeSec: 1, lastLedgerSeq: 0, peersInbound: 0, peersOutbound: 0, mempoolTxs: 0, mempoolBytes: 0, txsReceived: 0, txsFlooded: 0, scpReceived: 0, scpBroadcast: 0 };

/** Answers stats and tx submissions like the overlay: every tx ACCEPTED unless `verdictOf` says otherwise. */
function standardScript(verdictOf: (tx: Uint8Array) => number = () => TxStatus.ACCEPTED): Script {
  return (msg, reply) => {
    const verdict = (tx: Uint8Array) => ({ status: verdictOf(tx), reason: 0, hash: txHash(tx) });
    if (msg.type === 'GET_STATS') reply({ type: 'STATS_REPLY', requestId: msg.requestId, stats: STATS });
    if (msg.type === 'SUBMIT_TX_CHECKED') reply({ type: 'TX_VERDICT', requestId: msg.requestId, verdict: verdict(msg.tx) });
    if (msg.type === 'SUBMIT_TX_BATCH') reply({ type: 'TX_VERDICT_BATCH', requestId: msg.requestId, verdicts: msg.txs.map(verdict) });
  };
}

async function rejection(p: Promise<unknown>): Promise<OverlayClientError> {
  try {
    await p;
  } catch (err) {
    return err as OverlayClientError;
  }
  throw new Error('expected a rejection');
}

const tx = (n: number) => Buffer.alloc(100 + n, n);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
function ofType<K extends ToOverlayMessage['type']>(m: ToOverlayMessage | undefined, type: K): Extract<ToOverlayMessage, { type: K }> {
  expect(m?.type).to.equal(type);
  return m as Extract<ToOverlayMessage, { type: K }>;
}
const without = (msgs: ToOverlayMessage[], ...types: string[]) => msgs.filter((m) => !types.includes(m.type));

describe('OverlayClient (scripted overlay)', function () {
  let overlay: ScriptedOverlay;
  let client: OverlayClient | undefined;
  let registry: Registry;

  const connect = async (opts: Partial<OverlayClientOptions> = {}) => {
    client = await OverlayClient.connect({
      socketPath: overlay.socketPath,
      networkPassphrase: TESTNET,
      reconnect: { minMs: 10, maxMs: 50 },
      registry,
      ...opts,
    });
    return client;
  };
  /** Drops the connection and waits until the client is back and restored. */
  const bounce = async (c: OverlayClient) => {
    const back = new Promise<void>((resolve) => c.once('connected', () => resolve()));
    const sessions = overlay.sessions.length;
    overlay.drop();
    await back;
    expect(overlay.sessions.length).to.equal(sessions + 1);
  };
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await registry.getSingleMetric(name)!.get();
    return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
  };

  beforeEach(async () => {
    registry = new Registry();
    overlay = new ScriptedOverlay();
    overlay.script = standardScript();
    await overlay.listen();
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await overlay.dispose();
  });

  it('matches replies to requests by id, whatever their order', async () => {
    const held: bigint[] = [];
    overlay.script = (m) => m.type === 'GET_STATS' && held.push(m.requestId);
    const c = await connect();
    const replies = [c.stats(), c.stats(), c.stats()];
    await waitFor('three requests', () => held.length === 3);
    expect(new Set(held).size).to.equal(3);
    held.reverse().forEach((requestId, i) => overlay.send({ type: 'STATS_REPLY', requestId, stats: { ...STATS, lastLedgerSeq: 100 + i } }));
    const got = (await Promise.all(replies)).map((s) => s.lastLedgerSeq);
    expect(got).to.deep.equal([102, 101, 100]);
  });

  it('rejects an ERROR reply with a typed remote error carrying the code', async () => {
    overlay.script = (m, reply) => {
      if (m.type === 'FETCH_QUORUM_SET') reply({ type: 'ERROR', requestId: m.requestId, error: { code: ErrorCode.NOT_FOUND, refType: 70, message: 'no such set' } });
    };
    const c = await connect();
    const err = await rejection(c.fetchQuorumSet(Buffer.alloc(32, 1)));
    expect(err).to.be.instanceOf(OverlayClientError);
    expect([err.code, err.remote, err.requestType]).to.deep.equal(['NOT_FOUND', true, 'FETCH_QUORUM_SET']);
    expect(await metric('core_bridge_client_requests_total', { type: 'FETCH_QUORUM_SET', outcome: 'error' })).to.equal(1);
  });

  it('refuses locally what the overlay did not negotiate', async () => {
    overlay.features = ['queries'];
    const c = await connect();
    expect((await rejection(c.stats())).code).to.equal('NOT_NEGOTIATED');
    expect(() => c.cacheQuorumSet(Buffer.alloc(32), Buffer.from([1]))).to.throw(OverlayClientError).with.property('code', 'NOT_NEGOTIATED');
  });

  it('emits overlay messages as typed events, also as an async iterator (node:events on)', async () => {
    const c = await connect();
    const ac = new AbortController();
    const iter = on(c, 'scp', { signal: ac.signal });
    const requests: { requestId: bigint; ledgerSeq: number }[] = [];
    c.on('scpStateRequest', (r) => requests.push(r));
    overlay.send({ type: 'SCP_RECEIVED', envelope: Buffer.from('env-1') });
    overlay.send({ type: 'PEER_REQUESTS_SCP_STATE', requestId: 77n, ledgerSeq: 5 });
    const first = (await iter.next()).value as [Uint8Array];
    expect(Buffer.from(first[0]).toString()).to.equal('env-1');
    ac.abort();
    await waitFor('state request event', () => requests.length === 1);
    expect(requests[0]).to.deep.equal({ requestId: 77n, ledgerSeq: 5 });
    c.requestScpState(4);
    const asked = await waitFor('REQUEST_SCP_STATE', () => overlay.current.find((m) => m.type === 'REQUEST_SCP_STATE'));
    expect(ofType(asked, 'REQUEST_SCP_STATE').ledgerSeq).to.equal(4);
    c.respondScpState(77n, [Buffer.from('a'), Buffer.from('b')]);
    const resp = await waitFor('SCP_STATE_RESPONSE', () => overlay.current.find((m) => m.type === 'SCP_STATE_RESPONSE'));
    expect(resp.type === 'SCP_STATE_RESPONSE' && resp.envelopes.map((e) => Buffer.from(e).toString())).to.deep.equal(['a', 'b']);
  });

  it('reports a throwing listener as an error event and keeps the connection', async () => {
    const c = await connect();
    c.on('scp', () => {
      throw new Error('listener bug');
    });
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    overlay.send({ type: 'SCP_RECEIVED', envelope: Buffer.from('env-1') });
    await waitFor('error event', () => errors.length === 1);
    expect(errors[0]!.message).to.equal(`'scp' listener threw: listener bug`);
    expect((await c.stats()).uptimeSec).to.equal(1);
  });

  it('restores a restarted overlay: peer config, last ledger, quorum and tx sets, then the unexternalized txs, in that order', async () => {
    const c = await connect();
    const cfg = { knownPeers: ['a:1'], preferredPeers: ['b:2'], listenPort: 11625 };
    c.setPeerConfig(cfg);
    const qset = Buffer.from('qset');
    const qsetHash = createHash('sha256').update(qset).digest();
    c.cacheQuorumSet(qsetHash, qset);
    c.cacheTxSet(Buffer.alloc(32, 0xa1), Buffer.from('old set'), 1);
    c.cacheTxSet(Buffer.alloc(32, 0xa2), Buffer.from('recent set'), 20);
    c.ledgerClosed(21, Buffer.alloc(32, 0x21));
    const verdicts = await c.submitTxBatch([tx(1), tx(2), tx(3)]);
    expect(verdicts.map((v) => v.status)).to.deep.equal(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    expect(hex(verdicts[0]!.hash)).to.equal(hex(txHash(tx(1))));
    c.txSetExternalized(Buffer.alloc(32, 0xee), [verdicts[1]!.hash]);
    await waitFor('externalized sent', () => overlay.current.some((m) => m.type === 'TX_SET_EXTERNALIZED'));

    await bounce(c);
    const restored = without(overlay.current, 'HELLO');
    expect(restored.map((m) => m.type)).to.deep.equal(['SET_PEER_CONFIG', 'LEDGER_CLOSED', 'CACHE_QUORUM_SET', 'CACHE_TX_SET', 'SUBMIT_TX_BATCH']);
    expect(ofType(restored[0], 'SET_PEER_CONFIG').config).to.deep.equal(cfg);
    expect(ofType(restored[1], 'LEDGER_CLOSED').ledgerSeq).to.equal(21);
    expect(Buffer.from(ofType(restored[2], 'CACHE_QUORUM_SET').quorumSet).equals(qset)).to.equal(true);
    // The set of ledger 1 is older than the last 12 ledgers: not re-cached.
    expect(Buffer.from(ofType(restored[3], 'CACHE_TX_SET').txSet).toString()).to.equal('recent set');
    expect(ofType(restored[4], 'SUBMIT_TX_BATCH').txs.map(hex)).to.deep.equal([hex(tx(1)), hex(tx(3))]);
    expect(await metric('core_bridge_client_resubmitted_txs_total', { outcome: 'ACCEPTED' })).to.equal(2);
  });

  it('re-submits one SUBMIT_TX_CHECKED per tx without tx-batch, and forgets txs the new overlay finds INVALID', async () => {
    overlay.features = ['tx-verdicts', 'queries', 'stats'];
    const c = await connect();
    expect((await c.submitTxBatch([tx(1), tx(2)])).map((v) => v.status)).to.deep.equal(['ACCEPTED', 'ACCEPTED']);
    expect(overlay.current.filter((m) => m.type === 'SUBMIT_TX_CHECKED')).to.have.length(2);
    overlay.script = standardScript((t) => (t[0] === 1 ? TxStatus.INVALID : TxStatus.ACCEPTED));
    await bounce(c);
    expect(without(overlay.current, 'HELLO').map((m) => m.type)).to.deep.equal(['SUBMIT_TX_CHECKED', 'SUBMIT_TX_CHECKED']);
    await bounce(c);
    const again = without(overlay.current, 'HELLO');
    expect(again.map((m) => m.type === 'SUBMIT_TX_CHECKED' && hex(m.tx))).to.deep.equal([hex(tx(2))]);
  });

  it('keeps at most maxRetainedTxs for re-submission, oldest dropped first and counted', async () => {
    const c = await connect({ maxRetainedTxs: 2 });
    for (const n of [1, 2, 3]) expect((await c.submitTx(tx(n))).status).to.equal('ACCEPTED');
    await bounce(c);
    const batch = ofType(without(overlay.current, 'HELLO')[0], 'SUBMIT_TX_BATCH');
    expect(batch.txs.map(hex)).to.deep.equal([hex(tx(2)), hex(tx(3))]);
    expect(await metric('core_bridge_client_retained_evicted_total', { kind: 'tx' })).to.equal(1);
  });

  it('does not retain txs the overlay refused', async () => {
    overlay.script = standardScript(() => TxStatus.TRY_AGAIN_LATER);
    const c = await connect();
    expect((await c.submitTx(tx(1))).status).to.equal('TRY_AGAIN_LATER');
    await bounce(c);
    expect(without(overlay.current, 'HELLO')).to.deep.equal([]);
  });

  it('re-sends a request in flight at a disconnect once back, and times out the one whose deadline passed', async () => {
    let answer = false;
    overlay.script = (m, reply) => {
      if (m.type === 'GET_STATS' && answer) reply({ type: 'STATS_REPLY', requestId: m.requestId, stats: STATS });
    };
    const c = await connect({ reconnect: { minMs: 300, maxMs: 300 } });
    const patient = c.stats({ timeoutMs: 20_000 });
    const hasty = c.stats({ timeoutMs: 100 });
    await waitFor('both sent', () => overlay.current.filter((m) => m.type === 'GET_STATS').length === 2);
    const firstId = overlay.current.find((m) => m.type === 'GET_STATS')!;
    answer = true;
    overlay.drop();
    expect((await rejection(hasty)).code).to.equal('TIMEOUT');
    expect((await patient).uptimeSec).to.equal(1);
    const resent = overlay.current.filter((m) => m.type === 'GET_STATS');
    expect(resent).to.have.length(1);
    expect(resent[0]!.type === 'GET_STATS' && firstId.type === 'GET_STATS' && resent[0]!.requestId).to.equal(firstId.requestId);
  });

  it('queues fire-and-forget calls while away, within maxQueueBytes, and delivers them in order once back', async () => {
    const c = await connect({ maxQueueBytes: 64 * 1024, reconnect: { minMs: 20, maxMs: 20 } });
    const disconnected = new Promise<void>((resolve) => c.once('disconnected', () => resolve()));
    await overlay.stop();
    await disconnected;
    expect(c.connected).to.equal(false);
    const env = (i: number) => Buffer.alloc(1000, i % 256);
    let sent = 0;
    let refused: unknown;
    try {
      for (; sent < 1000; sent++) c.broadcastScp(env(sent));
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(BackpressureError);
    expect((refused as BackpressureError).code).to.equal('BACKPRESSURE');
    expect(sent).to.equal(Math.floor((64 * 1024) / 1008)); // 64 KiB of 1,008-byte frames
    const err = await rejection(c.fetchQuorumSet(Buffer.alloc(32), { timeoutMs: 1000 })); // 48 bytes: more than is left
    expect([err.code, err instanceof BackpressureError]).to.deep.equal(['BACKPRESSURE', true]);
    c.respondScpState(1n, []); // nobody left to read it: dropped, not queued
    expect(await metric('core_bridge_client_dropped_frames_total', { reason: 'session_gone' })).to.equal(1);

    const back = new Promise<void>((resolve) => c.once('connected', () => resolve()));
    await overlay.listen();
    await back;
    await waitFor('queued envelopes', () => overlay.current.filter((m) => m.type === 'BROADCAST_SCP').length === sent);
    const got = overlay.current.flatMap((m) => (m.type === 'BROADCAST_SCP' ? [m.envelope[0]] : []));
    expect(got).to.deep.equal(Array.from({ length: sent }, (_, i) => i % 256));
    expect(await metric('core_bridge_client_outbox_bytes')).to.equal(0);
    expect((await c.stats()).uptimeSec).to.equal(1);
  });

  it('bounds pending requests with a clear error', async () => {
    overlay.script = () => {};
    const c = await connect({ maxPendingRequests: 2 });
    const a = c.stats({ timeoutMs: 200 });
    const b = c.stats({ timeoutMs: 200 });
    const err = await rejection(c.stats());
    expect(err.code).to.equal('TOO_MANY_PENDING');
    await Promise.allSettled([a, b]);
    expect(await metric('core_bridge_client_pending_requests')).to.equal(0);
  });

  it('without reconnect, fails pending requests and later calls once the overlay goes', async () => {
    overlay.script = () => {};
    const c = await connect({ reconnect: false });
    const failed = rejection(c.stats());
    await waitFor('sent', () => overlay.current.some((m) => m.type === 'GET_STATS'));
    await overlay.stop();
    expect((await failed).code).to.equal('CONNECTION_CLOSED');
    expect(() => c.broadcastScp(Buffer.from('x'))).to.throw(OverlayClientError).with.property('code', 'CONNECTION_CLOSED');
  });

  it('close() fails pending requests with CLIENT_CLOSED and refuses later calls', async () => {
    overlay.script = () => {};
    const c = await connect();
    const failed = rejection(c.stats());
    await c.close();
    expect((await failed).code).to.equal('CLIENT_CLOSED');
    expect((await rejection(c.stats())).code).to.equal('CLIENT_CLOSED');
  });

  it('fails a request whose reply cannot be decoded at once, not at its timeout', async () => {
    overlay.script = (m) => {
      if (m.type !== 'GET_STATS') return;
      const bad = Buffer.alloc(8 + 9);
      bad.writeUInt32LE(174, 0); // STATS_REPLY
      bad.writeUInt32LE(9, 4);
      bad.writeBigUInt64LE(m.requestId, 8); // request id, then one byte of garbage msgpack
      bad[16] = 0xc1;
      (overlay as unknown as { socket: import('node:net').Socket }).socket.write(bad);
    };
    const c = await connect();
    const err = await rejection(c.stats({ timeoutMs: 60_000 }));
    expect(err.code).to.equal('MALFORMED_PAYLOAD');
  });
});
