// core-bridge's OverlayClient against real overlay processes: HELLO and queries, typed events between two
// overlays (peer events, SCP from one client arriving at the other), reconnection after the overlay is killed and
// restarted on the same directory with its state restored, backpressure, request timeouts and aborts.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { on } from 'node:events';
import { Registry } from 'prom-client';
import { ALL_FEATURES, ProtocolError, networkIdOf } from '#ipc-protocol';
import { BackpressureError, OverlayClient, OverlayClientError, ScpSigner, quorumSetXdr, type OverlayClientOptions } from '../../core-bridge/src/index.ts';
import { makePayment, testKeypair } from '../fixtures/txs.ts';
import { startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { TESTNET } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
/** Restarts a killed overlay on the same directory, socket, port and key. */
const restart = (o: OverlayProcess) => startOverlay({ dir: o.dir, peerPort: o.peerPort, seed: o.seed });

async function rejection<E extends Error = OverlayClientError>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected a rejection');
}

function connect(o: OverlayProcess, opts: Partial<OverlayClientOptions> = {}): Promise<OverlayClient> {
  return OverlayClient.connect({
    socketPath: o.socketPath,
    networkPassphrase: TESTNET,
    software: 'overlay-client test',
    reconnect: { minMs: 50, maxMs: 500 },
    ...opts,
  });
}

const once = <T extends unknown[]>(c: OverlayClient, event: 'connected' | 'disconnected') =>
  new Promise<T>((resolve) => c.once(event, (...args: unknown[]) => resolve(args as T)));

describe('OverlayClient against a real overlay', function () {
  this.timeout(60_000);
  let overlay: OverlayProcess;
  let client: OverlayClient;
  let registry: Registry;
  let stopped = false;
  const pause = () => {
    overlay.proc.kill('SIGSTOP');
    stopped = true;
  };
  const resume = () => {
    overlay.proc.kill('SIGCONT');
    stopped = false;
  };

  before(async () => {
    overlay = await startOverlay();
    registry = new Registry();
    client = await connect(overlay, { registry });
  });
  afterEach(() => {
    if (stopped) resume();
  });
  after(async () => {
    await client?.close();
    await overlay?.stop();
  });

  it('negotiates every feature and answers queries', async () => {
    expect([...client.negotiatedFeatures].sort()).to.deep.equal([...ALL_FEATURES].sort());
    expect(client.connected).to.equal(true);
    expect(client.overlayIdentity?.nodeKey).to.equal(overlay.nodeKey);
    expect((await client.stats()).uptimeSec).to.be.greaterThan(0);
    expect(Object.keys(await client.metrics()).some((k) => k.startsWith('overlay_ipc_frames_total'))).to.equal(true);
    expect(await client.peers()).to.deep.equal([]);
    const qset = quorumSetXdr(1, [overlay.nodeKey]);
    client.cacheQuorumSet(sha256(qset), qset);
    expect(sameBytes(await client.fetchQuorumSet(sha256(qset)), qset)).to.equal(true);
  });

  it('fails to connect with the overlay\'s code: a second core, another network', async () => {
    const second = await rejection<ProtocolError>(connect(overlay));
    expect([second instanceof ProtocolError, second.code]).to.deep.equal([true, 'ALREADY_CONNECTED']);
    expect((await client.stats()).uptimeSec).to.be.greaterThan(0); // the connected client is undisturbed
    await client.close();
    const other = await rejection<ProtocolError>(connect(overlay, { networkPassphrase: 'Public Global Stellar Network ; September 2015' }));
    expect([other instanceof ProtocolError, other.code]).to.deep.equal([true, 'NETWORK_MISMATCH']);
    registry = new Registry();
    client = await connect(overlay, { registry });
  });

  it('rejects an ERROR reply with a typed error carrying its code', async () => {
    const err = await rejection(client.fetchQuorumSet(Buffer.alloc(32, 0xab)));
    expect(err).to.be.instanceOf(OverlayClientError);
    expect(err.remote).to.equal(true);
    expect(['NOT_FOUND', 'TIMEOUT']).to.include(err.code); // no peer to ask: not found, or not within the deadline
  });

  it('times out a request the overlay does not answer, and frees its slot', async () => {
    pause();
    const err = await rejection(client.stats({ timeoutMs: 300 }));
    expect([err.code, err.remote]).to.deep.equal(['TIMEOUT', false]);
    resume();
    // The reply to the timed-out request still comes; it is counted and dropped.
    await waitFor('late reply counted', async () => (await registry.getSingleMetric('core_bridge_client_late_replies_total')!.get()).values[0]?.value === 1);
    expect((await registry.getSingleMetric('core_bridge_client_pending_requests')!.get()).values[0]?.value).to.equal(0);
  });

  it('rejects an aborted request at once', async () => {
    pause();
    const ac = new AbortController();
    const p = rejection(client.peers({ signal: ac.signal, timeoutMs: 60_000 }));
    ac.abort(new Error('no longer needed'));
    const err = await p;
    expect(err.code).to.equal('ABORTED');
    expect((err.cause as Error).message).to.equal('no longer needed');
    resume();
    expect((await client.stats()).uptimeSec).to.be.greaterThan(0);
  });

  it('refuses calls with BackpressureError when the overlay stops reading, and delivers what it queued in order', async () => {
    const small = await (async () => {
      await client.close();
      registry = new Registry();
      client = await connect(overlay, { registry, maxQueueBytes: 256 * 1024 });
      return client;
    })();
    pause();
    // LEDGER_CLOSED frames (44 bytes) until the socket, then the bounded queue, are full.
    let seq = 0;
    const refused = await waitFor(
      'backpressure',
      () => {
        try {
          for (let i = 0; i < 2000; i++) {
            small.ledgerClosed(seq + 1, Buffer.alloc(32, 1));
            seq++;
          }
        } catch (err) {
          return err as Error;
        }
        return undefined;
      },
      30_000,
      5,
    );
    expect(refused).to.be.instanceOf(BackpressureError);
    expect((refused as BackpressureError).code).to.equal('BACKPRESSURE');
    // A request that does not fit in what is left (48 bytes > 44) is refused the same way.
    const err = await rejection(small.fetchQuorumSet(Buffer.alloc(32)));
    expect(err).to.be.instanceOf(BackpressureError);
    resume();
    // Queued frames go in call order, the stats request after every LEDGER_CLOSED accepted before it.
    expect((await small.stats({ timeoutMs: 30_000 })).lastLedgerSeq).to.equal(seq);
    await waitFor('queue drained', async () => (await registry.getSingleMetric('core_bridge_client_outbox_bytes')!.get()).values[0]?.value === 0);
  });
});

describe('OverlayClient between two overlays', function () {
  this.timeout(90_000);
  let a: OverlayProcess;
  let b: OverlayProcess;
  let ca: OverlayClient;
  let cb: OverlayClient;

  before(async () => {
    [a, b] = await Promise.all([startOverlay(), startOverlay()]);
    [ca, cb] = await Promise.all([connect(a), connect(b)]);
  });
  after(async () => {
    await Promise.all([ca?.close(), cb?.close()]);
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('reports peer events and delivers one client\'s SCP envelope as the other\'s scp event', async () => {
    const connectedAtA = new Promise<string>((resolve) => ca.on('peerConnected', (p) => p.nodeKey === b.nodeKey && resolve(p.nodeKey)));
    const connectedAtB = new Promise<string>((resolve) => cb.on('peerConnected', (p) => p.nodeKey === a.nodeKey && resolve(p.nodeKey)));
    ca.setPeerConfig({ knownPeers: [b.address], preferredPeers: [], listenPort: a.peerPort });
    await Promise.all([connectedAtA, connectedAtB]);
    expect((await ca.peers()).map((p) => p.nodeKey)).to.deep.equal([b.nodeKey]);

    const signer = new ScpSigner(a.seed, networkIdOf(TESTNET));
    const envelope = signer.externalize(42n, Buffer.alloc(32, 42), sha256(Buffer.from('qset')));
    const ac = new AbortController();
    const arriving = (async () => {
      for await (const [env] of on(cb, 'scp', { signal: ac.signal }) as AsyncIterable<[Uint8Array]>) {
        if (sameBytes(env, envelope)) return env;
      }
      return undefined;
    })();
    ca.broadcastScp(envelope);
    const timer = setTimeout(() => ac.abort(), 30_000);
    expect(sameBytes((await arriving)!, envelope)).to.equal(true);
    clearTimeout(timer);
    ac.abort();

    const gone = new Promise<string>((resolve) => ca.on('peerDisconnected', (p) => p.nodeKey === b.nodeKey && resolve(p.reason)));
    await cb.close();
    await b.stop();
    expect(await gone).to.be.a('string');
  });
});

describe('OverlayClient across an overlay restart', function () {
  this.timeout(120_000);
  let a: OverlayProcess;
  let b: OverlayProcess;
  let client: OverlayClient;
  const registry = new Registry();

  before(async () => {
    [a, b] = await Promise.all([startOverlay(), startOverlay()]);
    client = await connect(a, { registry });
  });
  after(async () => {
    await client?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('reconnects after SIGKILL and restart, restores peer config and quorum sets, and completes a request made meanwhile', async () => {
    client.setPeerConfig({ knownPeers: [], preferredPeers: [b.address], listenPort: a.peerPort });
    const qset = quorumSetXdr(1, [a.nodeKey, b.nodeKey]);
    client.cacheQuorumSet(sha256(qset), qset);
    await waitFor('B as preferred peer', async () => (await client.peers()).some((p) => p.nodeKey === b.nodeKey && p.preferred));

    const disconnected = once<[Error | undefined]>(client, 'disconnected');
    await a.stop('SIGKILL');
    await disconnected;
    expect(client.connected).to.equal(false);
    // Made while the overlay is down: queued, sent once it is back, answered by the new process.
    const stats = client.stats({ timeoutMs: 60_000 });
    const reconnected = once(client, 'connected');
    a = await restart(a);
    await reconnected;
    expect((await stats).peersInbound).to.be.a('number'); // answered: only the new process could
    // The new process learnt B only from the re-sent peer config (its config file names no peers).
    await waitFor('B preferred again', async () => (await client.peers()).some((p) => p.nodeKey === b.nodeKey && p.preferred), 30_000);
    expect(sameBytes(await client.fetchQuorumSet(sha256(qset)), qset)).to.equal(true);
  });

  it('re-submits accepted, not externalized txs to the restarted overlay', async () => {
    const source = testKeypair(7001);
    const kept = makePayment({ source, seq: 1n });
    const externalized = makePayment({ source: testKeypair(7002), seq: 1n });
    const verdicts = [await client.submitTx(kept), await client.submitTx(externalized)];
    expect(verdicts.map((v) => v.status)).to.deep.equal(['ACCEPTED', 'ACCEPTED']);
    client.txSetExternalized(Buffer.alloc(32, 9), [verdicts[1]!.hash]);
    await waitFor('externalized tx gone', async () => (await client.topTxs(10)).length === 1);

    const reconnected = once(client, 'connected');
    await a.stop('SIGKILL');
    a = await restart(a);
    await reconnected;
    const top = await client.topTxs(10);
    expect(top.map((t) => Buffer.from(t).toString('hex'))).to.deep.equal([Buffer.from(kept).toString('hex')]);
    // It is back because the client re-submitted it (and only it), not by some other path.
    const resubmitted = (await registry.getSingleMetric('core_bridge_client_resubmitted_txs_total')!.get()).values;
    expect(resubmitted.map((v) => [v.labels.outcome, v.value])).to.deep.equal([['ACCEPTED', 1]]);
  });
});
