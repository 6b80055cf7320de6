import { expect } from 'chai';
import type { PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { multiaddr } from '@multiformats/multiaddr';
import { recommendedMaxConnections } from '../../../overlay/src/peers/gater.ts';
import { gateAttached, metric, newIdentity, p2pConfig, startPeer, waitFor, type TestPeer, type TestPeerOptions } from './helpers.ts';

function listenAddr(p: TestPeer, transport: 'tcp' | 'quic'): Multiaddr {
  const ma = p.node.getMultiaddrs().find((m) => m.toString().includes(transport === 'quic' ? '/quic-v1' : '/tcp/'));
  if (!ma) throw new Error(`no ${transport} listen address`);
  return multiaddr(ma.toString().replace(/\/p2p\/.*$/, '')); // dial like the peer manager: by address only
}

/** Dials and returns the connection or the error; the outcome is judged on the connection tables, not the promise. */
async function tryDial(from: TestPeer, to: Multiaddr | PeerId): Promise<unknown> {
  return from.node.dial(to).then(
    (c) => c,
    (e: unknown) => e,
  );
}

function connected(a: TestPeer, b: TestPeer): boolean {
  return a.node.getConnections(b.node.peerId).some((c) => c.status === 'open');
}

const refusals = (p: TestPeer, reason: string) => metric(p.registry, `overlay_gater_refusals_total{reason=${reason}}`);

describe('peers/gater (real libp2p nodes)', function () {
  this.timeout(20_000);
  const running: TestPeer[] = [];
  const start = async (opts: TestPeerOptions = {}) => {
    const p = gateAttached(await startPeer(opts));
    running.push(p);
    return p;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });

  it('refuses a banned key inbound (TCP and QUIC) and outbound', async () => {
    const server = await start();
    const client = await start();
    await server.bans.ban(client.identity.publicKey, { reason: 'test' });

    for (const transport of ['tcp', 'quic'] as const) {
      await tryDial(client, listenAddr(server, transport));
      await waitFor(`${transport} refusal counted`, async () => (await refusals(server, 'banned')) >= (transport === 'tcp' ? 1 : 2));
      await waitFor(`${transport} connection gone on both sides`, () => !connected(server, client) && !connected(client, server));
    }

    const before = await refusals(server, 'banned');
    const err = await tryDial(server, listenAddr(client, 'tcp'));
    expect(err).to.be.instanceOf(Error);
    expect(await refusals(server, 'banned')).to.equal(before + 1);
    expect(connected(server, client)).to.equal(false);

    // Lifting the ban lets the peer in again.
    await server.bans.unban(client.identity.publicKey);
    await client.node.dial(listenAddr(server, 'tcp'));
    await waitFor('connected after unban', () => connected(server, client));
  });

  it('in preferred_peers_only mode admits preferred keys only (and does not dial others by peer id)', async () => {
    const goodId = await newIdentity();
    const server = await start({ p2p: { preferred_peers_only: true, preferred_peer_keys: [goodId.publicKey] } });
    const good = await start({ identity: goodId });
    const other = await start();

    await good.node.dial(listenAddr(server, 'tcp'));
    await waitFor('preferred peer admitted', () => connected(server, good));

    await tryDial(other, listenAddr(server, 'tcp'));
    await tryDial(other, listenAddr(server, 'quic'));
    await waitFor('two refusals', async () => (await refusals(server, 'not_preferred')) === 2);
    await waitFor('no connection from the other peer', () => !connected(server, other) && !connected(other, server));

    await server.node.peerStore.merge(other.node.peerId, { multiaddrs: [listenAddr(other, 'tcp')] });
    const err = await tryDial(server, other.node.peerId);
    expect((err as Error).name).to.equal('DialDeniedError');
    expect(await refusals(server, 'not_preferred')).to.equal(3);
  });

  it('enforces max_inbound (2 of 3 dialers) but always admits a preferred peer', async () => {
    const prefId = await newIdentity();
    const server = await start({ p2p: { max_inbound: 2, preferred_peer_keys: [prefId.publicKey] } });
    const dialers = [await start(), await start(), await start()];
    for (const [i, d] of dialers.slice(0, 2).entries()) {
      await d.node.dial(listenAddr(server, i === 0 ? 'tcp' : 'quic'));
      await waitFor(`dialer ${i} admitted`, () => connected(server, d));
    }
    await tryDial(dialers[2]!, listenAddr(server, 'tcp'));
    await waitFor('third refused', async () => (await refusals(server, 'inbound_full')) === 1);
    await waitFor('third has no connection', () => !connected(dialers[2]!, server) && !connected(server, dialers[2]!));
    expect(server.gate.inboundCount()).to.equal(2);

    const preferred = await start({ identity: prefId });
    await preferred.node.dial(listenAddr(server, 'quic'));
    await waitFor('preferred admitted over the limit', () => connected(server, preferred));
    expect(server.gate.inboundCount()).to.equal(3);
  });

  it('rate-limits inbound connections per IP (preferred QUIC peers exempt)', async () => {
    const prefId = await newIdentity();
    const server = await start({ p2p: { inbound_per_ip_per_minute: 2, preferred_peer_keys: [prefId.publicKey] } });
    const dialers = [await start(), await start(), await start()];
    for (const d of dialers.slice(0, 2)) {
      await d.node.dial(listenAddr(server, 'tcp'));
      await waitFor('admitted', () => connected(server, d));
    }
    await tryDial(dialers[2]!, listenAddr(server, 'tcp'));
    await waitFor('refused by the rate limit', async () => (await refusals(server, 'rate_limited')) === 1);
    await waitFor('no connection', () => !connected(dialers[2]!, server) && !connected(server, dialers[2]!));
    expect(server.gate.limiter.size).to.equal(1);

    const preferred = await start({ identity: prefId });
    await preferred.node.dial(listenAddr(server, 'quic'));
    await waitFor('preferred QUIC peer admitted past the rate limit', () => connected(server, preferred));
    expect(await refusals(server, 'rate_limited')).to.equal(1);
  });

  it('recommends a libp2p connection ceiling above our own limits', () => {
    const p2p = p2pConfig({ max_inbound: 10, target_outbound: 4, preferred_peers: ['a.example:11625'] });
    expect(recommendedMaxConnections(p2p)).to.be.greaterThan(10 + 4 + 1);
  });
});
