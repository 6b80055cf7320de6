// Peer management on real overlay processes: inbound limit, preferred-only, bans, the V2 launch line.
import { expect } from 'chai';
import { networkIdOf } from '#ipc-protocol';
import { ScpSigner } from '../../core-bridge/src/scp/envelopes.ts';
import { getJson, metric, startOverlay, type OverlayProcess } from '../helpers/overlay-process.ts';
import { RawCore, TESTNET } from '../helpers/raw-core.ts';
import { waitFor } from '../helpers/wait.ts';
import type { PeerInfo } from '#ipc-protocol';

const peersOf = (o: OverlayProcess) => getJson<PeerInfo[]>(`${o.adminUrl}/peers`);

describe('peer management (real processes)', function () {
  this.timeout(90_000);
  const started: OverlayProcess[] = [];
  const start = async (...args: Parameters<typeof startOverlay>) => {
    const o = await startOverlay(...args);
    started.push(o);
    return o;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((o) => o.stop()));
  });

  it('enforces max_inbound: a second dialer is refused', async () => {
    const hub = await start({ p2p: { max_inbound: 1 } });
    const a = await start({ knownPeers: [hub.address] });
    await waitFor('a connected to hub', async () => (await peersOf(hub)).length === 1);
    const b = await start({ knownPeers: [hub.address] });
    await waitFor('hub to refuse b', async () => (await metric(hub, /^overlay_gater_refusals_total/)) > 0, 20_000);
    const peers = await peersOf(hub);
    expect(peers).to.have.length(1);
    expect(peers[0]!.nodeKey).to.equal(a.nodeKey);
    expect(peers[0]!.direction).to.equal('inbound');
    expect((await peersOf(b)).length).to.equal(0);
  });

  it('keeps at most target_outbound outbound connections', async () => {
    const targets = [await start(), await start(), await start()];
    const dialer = await start({ knownPeers: targets.map((t) => t.address), p2p: { target_outbound: 2 } });
    await waitFor('2 outbound', async () => (await peersOf(dialer)).filter((p) => p.direction === 'outbound').length === 2);
    // The dialer has had time to overshoot if it were going to: its dial counter stops moving at the target.
    const dials = await metric(dialer, /^overlay_peer_dials_total/);
    await waitFor('dial counter steady', async () => (await metric(dialer, /^overlay_peer_dials_total/)) === dials, 5000);
    expect((await peersOf(dialer)).filter((p) => p.direction === 'outbound')).to.have.length(2);
  });

  it('discovers a peer two hops away through Kademlia', async () => {
    const dht = { dht: true, dht_refresh_ms: 1000 };
    const a = await start({ p2p: dht });
    const b = await start({ knownPeers: [a.address], p2p: dht });
    await waitFor('b connected to a', async () => (await peersOf(a)).some((p) => p.nodeKey === b.nodeKey));
    const c = await start({ knownPeers: [b.address], p2p: dht }); // c is told of b only
    await waitFor('c found a', async () => (await peersOf(c)).some((p) => p.nodeKey === a.nodeKey), 30_000);
  });

  it('preferred_peers_only refuses a stranger and admits a preferred key', async () => {
    const friend = await start();
    const guarded = await start({ p2p: { preferred_peers_only: true, preferred_peer_keys: [friend.nodeKey] } });
    const stranger = await start({ knownPeers: [guarded.address] });
    await waitFor('stranger refused', async () => (await metric(guarded, /^overlay_gater_refusals_total/)) > 0, 20_000);
    expect(await peersOf(guarded)).to.have.length(0);
    const core = await RawCore.connect(friend.socketPath);
    core.send({ type: 'SET_PEER_CONFIG', config: { knownPeers: [guarded.address], preferredPeers: [], listenPort: friend.peerPort } });
    await waitFor('friend admitted', async () => (await peersOf(guarded)).some((p) => p.nodeKey === friend.nodeKey));
    expect((await peersOf(guarded)).some((p) => p.nodeKey === stranger.nodeKey)).to.equal(false);
    core.close();
  });

  it('a banned key is disconnected and cannot connect again; unbanning lets it back', async () => {
    const hub = await start();
    const peer = await start({ knownPeers: [hub.address] });
    await waitFor('peer connected', async () => (await peersOf(hub)).some((p) => p.nodeKey === peer.nodeKey));
    const res = await fetch(`${hub.adminUrl}/bans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: peer.nodeKey, reason: 'test' }),
    });
    expect(res.status).to.equal(201);
    await waitFor('peer dropped', async () => (await peersOf(hub)).length === 0);
    // The peer keeps redialling (it knows the hub); every attempt is refused.
    const refusalsBefore = await metric(hub, /^overlay_gater_refusals_total/);
    await waitFor('a redial refused', async () => (await metric(hub, /^overlay_gater_refusals_total/)) > refusalsBefore, 20_000);
    expect(await peersOf(hub)).to.have.length(0);
    const bans = await getJson<{ key: string }[]>(`${hub.adminUrl}/bans`);
    expect(bans.map((b) => b.key)).to.include(peer.nodeKey);
    expect((await fetch(`${hub.adminUrl}/bans/${peer.nodeKey}`, { method: 'DELETE' })).status).to.equal(200);
    await waitFor('peer back', async () => (await peersOf(hub)).some((p) => p.nodeKey === peer.nodeKey), 20_000);
  });

  it('two overlays launched with the V2 launch line talk to each other', async () => {
    const v2 = (o: { peerPort: number; socketPath: string }) => ['--listen', o.socketPath, '--peer-port', String(o.peerPort)];
    const a = await start({ args: v2 });
    const b = await start({ args: v2 });
    const coreA = await RawCore.connect(a.socketPath);
    const coreB = await RawCore.connect(b.socketPath);
    // stellar-core's C++ bridge first sends SET_PEER_CONFIG with hostnames.
    coreA.send({ type: 'SET_PEER_CONFIG', config: { knownPeers: [`localhost:${b.peerPort}`], preferredPeers: [], listenPort: a.peerPort } });
    coreB.send({ type: 'SET_PEER_CONFIG', config: { knownPeers: [], preferredPeers: [], listenPort: b.peerPort } });
    await waitFor('a and b connected', async () => (await peersOf(b)).some((p) => p.nodeKey === a.nodeKey));
    const transport = (await peersOf(a)).find((p) => p.nodeKey === b.nodeKey)!.transport;
    expect(transport).to.equal('quic'); // QUIC first, on UDP peer port + 1000
    const info = await getJson<{ nodeKey: string; network: string }>(`${a.adminUrl}/info`);
    expect(info.network).to.equal(TESTNET);
    const env = new ScpSigner(a.seed, networkIdOf(TESTNET)).externalize(3n, Buffer.alloc(32, 3), Buffer.alloc(32));
    // Broadcast once, straight after connecting: gossipsub may not have exchanged subscriptions yet, and the
    // envelope must still arrive (held until b subscribes), not be lost and then refused as a duplicate.
    coreA.send({ type: 'BROADCAST_SCP', envelope: env });
    await coreB.next('SCP_RECEIVED', (m) => Buffer.from(m.envelope).equals(env));
    coreA.close();
    coreB.close();
  });
});

describe('admin endpoint (real process)', function () {
  this.timeout(60_000);
  let a: OverlayProcess;
  let b: OverlayProcess;
  before(async () => {
    a = await startOverlay();
    b = await startOverlay({ knownPeers: [a.address] });
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it('serves /info, /peers, /healthz as JSON and /metrics as Prometheus text', async () => {
    const info = await getJson<Record<string, unknown>>(`${a.adminUrl}/info`);
    expect(info).to.include({ peerId: a.peerId, nodeKey: a.nodeKey, coreConnected: false });
    expect(info.uptimeSec).to.be.a('number');
    await waitFor('peer listed', async () => (await peersOf(a)).length === 1);
    const [peer] = await peersOf(a);
    expect(peer!.nodeKey).to.equal(b.nodeKey);
    expect(peer!.peerId).to.equal(b.peerId);
    expect(peer).to.include.keys('address', 'direction', 'transport', 'rttMs', 'bytesIn', 'bytesOut');
    // Wire bytes of the connection (handshake, identify, pings at least), whatever the transport.
    await waitFor('bytes counted both ways', async () => {
      const [p] = await peersOf(a);
      return p !== undefined && p.bytesIn > 0 && p.bytesOut > 0;
    });
    expect(await getJson(`${a.adminUrl}/healthz`)).to.deep.equal({ ok: true });
    const res = await fetch(`${a.adminUrl}/metrics`);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await res.text();
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).to.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEnaNInf]+$/, line);
    }
    expect(text).to.match(/^overlay_ipc_core_connected 0$/m);
  });

  it('/readyz is 503 without core and 200 with core and a peer', async () => {
    expect((await fetch(`${a.adminUrl}/readyz`)).status).to.equal(503);
    const core = await RawCore.hello(a.socketPath);
    await waitFor('ready', async () => (await fetch(`${a.adminUrl}/readyz`)).status === 200);
    core.close();
    await waitFor('not ready again', async () => (await fetch(`${a.adminUrl}/readyz`)).status === 503);
  });
});
