import { expect } from 'chai';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerDisconnected } from '#ipc-protocol';
import {
  PeerManager,
  multiaddrsFor,
  parseHostPort,
  formatHostPort,
  socketAddressOf,
  type PeerManagerTuning,
} from '../../../overlay/src/peers/manager.ts';
import type { PeerView } from '../../../overlay/src/peers/types.ts';
import { OverlayError } from '../../../overlay/src/util/errors.ts';
import {
  holdsFor,
  metric,
  p2pConfig,
  quietLog,
  startPeer,
  startPeerOnPeerPort,
  waitFor,
  type TestPeer,
  type TestPeerOptions,
} from './helpers.ts';

const FAST: Partial<PeerManagerTuning> = { tickMs: 100, pingIntervalMs: 200, outboundPruneGraceMs: 300, stableConnectionMs: 60_000 };

interface Managed {
  peer: TestPeer;
  manager: PeerManager;
  connected: PeerView[];
  disconnected: PeerDisconnected[];
}

describe('peers/manager', () => {
  describe('addresses', () => {
    it('parses host:port and builds QUIC-first multiaddrs honouring the transport switches', () => {
      expect(parseHostPort('core1.example.org:11625')).to.deep.equal({ host: 'core1.example.org', port: 11625 });
      expect(parseHostPort('[2001:db8::1]:11625')).to.deep.equal({ host: '2001:db8::1', port: 11625 });
      expect(parseHostPort('core1.example.org', 11625), 'a core address without a port').to.deep.equal({ host: 'core1.example.org', port: 11625 });
      expect(parseHostPort('[::1]', 11625)).to.deep.equal({ host: '::1', port: 11625 });
      expect(formatHostPort({ host: '::1', port: 5 })).to.equal('[::1]:5');
      for (const bad of ['nohost', 'h:0', 'h:70000', ':1', 'a b:1', '[zz]:1', '[:::]:1']) {
        expect(() => parseHostPort(bad), bad).to.throw(OverlayError).with.property('code', 'PEER_ADDRESS_INVALID');
      }
      const both = { quic: true, tcp: true, quic_port_offset: 1000 };
      expect(multiaddrsFor('10.1.2.3', 11625, both).map(String)).to.deep.equal([
        '/ip4/10.1.2.3/udp/12625/quic-v1',
        '/ip4/10.1.2.3/tcp/11625',
      ]);
      expect(multiaddrsFor('2001:db8::1', 11625, { ...both, quic: false }).map(String)).to.deep.equal(['/ip6/2001:db8::1/tcp/11625']);
      expect(multiaddrsFor('10.1.2.3', 65000, both).map(String), 'QUIC port out of range').to.deep.equal(['/ip4/10.1.2.3/tcp/65000']);
      expect(socketAddressOf(multiaddr('/ip4/1.2.3.4/udp/5/quic-v1'))).to.equal('1.2.3.4:5');
      expect(socketAddressOf(multiaddr('/ip6/::1/tcp/7'))).to.equal('[::1]:7');
    });
  });

  describe('with real libp2p nodes', function () {
    this.timeout(20_000);
    const peers: TestPeer[] = [];
    const managers: PeerManager[] = [];

    async function peer(opts: TestPeerOptions & { onPeerPort?: boolean } = {}): Promise<TestPeer> {
      const p = opts.onPeerPort ? await startPeerOnPeerPort(opts) : await startPeer(opts);
      peers.push(p);
      return p;
    }

    async function managed(opts: TestPeerOptions): Promise<Managed> {
      return manage(await peer(opts));
    }

    async function manage(p: TestPeer, start = true): Promise<Managed> {
      const manager = new PeerManager({
        node: p.node,
        config: p.config,
        log: quietLog,
        registry: p.registry,
        bans: p.bans,
        gate: p.gate,
        identity: p.identity,
        tuning: FAST,
      });
      managers.push(manager);
      const m: Managed = { peer: p, manager, connected: [], disconnected: [] };
      manager.on('connected', (v) => m.connected.push(v));
      manager.on('disconnected', (d) => m.disconnected.push(d));
      if (start) await manager.start();
      return m;
    }

    afterEach(async () => {
      await Promise.all(managers.splice(0).map((m) => m.stop()));
      await Promise.all(peers.splice(0).map((p) => p.stop()));
    });

    it('keeps target_outbound connections to known peers (5 known, target 2), QUIC first, one event per peer', async () => {
      const known = await Promise.all([1, 2, 3, 4, 5].map(() => peer({ onPeerPort: true })));
      const keys = new Set(known.map((k) => k.identity.publicKey));
      const a = await managed({ p2p: { known_peers: known.map((k) => `127.0.0.1:${k.tcpPort}`), target_outbound: 2 } });

      await waitFor('2 outbound peers', () => a.manager.counts().outbound === 2);
      await holdsFor('exactly 2 outbound, no inbound', () => {
        const c = a.manager.counts();
        return c.outbound === 2 && c.inbound === 0;
      }, 800);
      expect(await metric(a.peer.registry, 'overlay_peer_dials_total{kind=known}')).to.equal(2);
      expect(await metric(a.peer.registry, 'overlay_peers{direction=outbound}')).to.equal(2);

      const views = await waitFor('round trip times measured', () => {
        const v = a.manager.peers();
        return v.length === 2 && v.every((p) => p.rttMs >= 0) ? v : null;
      });
      for (const v of views) {
        expect(keys.has(v.nodeKey)).to.equal(true);
        expect(v).to.include({ direction: 'outbound', transport: 'quic', preferred: false, bytesIn: 0, bytesOut: 0 });
        const k = known.find((p) => p.identity.publicKey === v.nodeKey)!;
        expect(v.address).to.equal(`127.0.0.1:${k.quicPort}`);
        expect(v.peerId).to.equal(k.node.peerId.toString());
      }
      expect(a.connected.map((v) => v.nodeKey).sort()).to.deep.equal(views.map((v) => v.nodeKey).sort());

      // One of them goes away: it is announced gone once, and another known peer takes its place.
      const gone = known.find((k) => k.identity.publicKey === views[0]!.nodeKey)!;
      await gone.node.stop();
      await waitFor('disconnect announced', () => a.disconnected.length === 1);
      expect(a.disconnected[0]).to.include({ nodeKey: gone.identity.publicKey, peerId: gone.node.peerId.toString() });
      await waitFor('back to 2 outbound peers', () => a.manager.counts().outbound === 2 && a.connected.length === 3);
      expect(a.manager.peers().map((v) => v.nodeKey)).to.not.include(gone.identity.publicKey);
    });

    it('prunes outbound peers above target + slack down to the target, never a preferred one', async () => {
      const others = await Promise.all([1, 2, 3, 4, 5].map(() => peer()));
      const keep = others[0]!;
      const a = await managed({ p2p: { target_outbound: 1, preferred_peer_keys: [keep.identity.publicKey] } });
      // Outbound connections the manager did not make (as the DHT would).
      for (const o of others) await a.peer.node.dial(o.node.getMultiaddrs()[0]!);
      expect(a.manager.counts().outbound).to.equal(5);
      await waitFor('pruned to the target', () => a.manager.counts().outbound === 1, 5_000);
      expect(a.manager.peers().map((v) => v.nodeKey)).to.deep.equal([keep.identity.publicKey]);
      expect(a.manager.peers()[0]!.preferred).to.equal(true);
      expect(await metric(a.peer.registry, 'overlay_peer_closes_total{reason=outbound_excess}')).to.equal(4);
      await waitFor('4 disconnects announced', () => a.disconnected.length === 4);
      expect(new Set(a.disconnected.map((d) => d.reason))).to.deep.equal(new Set(['too many outbound connections']));
    });

    it('redials a preferred peer after it restarts, and treats its key as preferred', async () => {
      const b = await peer({ onPeerPort: true });
      // TCP only: a QUIC dial cannot be cancelled in @chainsafe/libp2p-quic (its handshake runs on for up to 5 s
      // after the dial is aborted), which can leave a stray connection on the restarted peer that holds up its
      // shutdown for the QUIC idle timeout (10 s). QUIC-first dialling is covered by the target_outbound test.
      const a = await managed({
        p2p: { preferred_peers: [`127.0.0.1:${b.tcpPort}`], quic: false, target_outbound: 0, reconnect_min_ms: 100, reconnect_max_ms: 800 },
      });
      const bKey = b.identity.publicKey;
      await waitFor('preferred peer connected', () => a.connected.length === 1);
      expect(a.connected[0]).to.include({ nodeKey: bKey, preferred: true, direction: 'outbound', transport: 'tcp' });
      expect(a.peer.gate.preferred.has(bKey)).to.equal(true);

      await b.node.stop();
      await waitFor('disconnect announced', () => a.disconnected.length === 1);
      // While it is down, redials fail (connection refused) and back off.
      await waitFor('a failed redial', async () => (await metric(a.peer.registry, 'overlay_peer_dial_failures_total{kind=preferred}')) >= 1, 10_000);
      // Same identity, same ports: a restarted validator.
      const b2 = await peer({ identity: b.identity, tcpPort: b.tcpPort, quicPort: b.quicPort });
      await waitFor('redialled', () => a.connected.length === 2);
      expect(a.connected[1]).to.include({ nodeKey: bKey, preferred: true, direction: 'outbound' });
      await waitFor('the restarted peer sees the connection', () => b2.node.getConnections(a.peer.node.peerId).length > 0);
      expect(await metric(a.peer.registry, 'overlay_peer_dials_total{kind=preferred}')).to.be.at.least(2);
    });

    it('trims inbound over max_inbound (newest non-preferred first) and hangs up on a banned peer', async () => {
      // No manager yet, so the gater is not attached and admits everyone: the race the double-check covers.
      const node = await peer({ p2p: { max_inbound: 2, target_outbound: 0 } });
      const dialers = [await peer(), await peer(), await peer()];
      for (const d of dialers) {
        await d.node.dial(node.node.getMultiaddrs()[0]!);
        await waitFor('inbound open', () => node.node.getConnections(d.node.peerId).length === 1);
      }
      const a = await manage(node);
      await waitFor('newest inbound closed', () => a.peer.node.getConnections(dialers[2]!.node.peerId).length === 0);
      expect(a.manager.counts()).to.deep.equal({ inbound: 2, outbound: 0 });
      expect(a.connected.map((v) => v.nodeKey).sort()).to.deep.equal(dialers.slice(0, 2).map((d) => d.identity.publicKey).sort());
      expect(a.disconnected, 'a refused peer is never announced').to.deep.equal([]);
      expect(await metric(a.peer.registry, 'overlay_gater_refusals_total{reason=inbound_full}')).to.equal(1);

      const banned = dialers[0]!;
      await a.peer.bans.ban(banned.identity.publicKey, { reason: 'misbehaving', durationMs: 60_000 });
      await waitFor('banned peer hung up on', () => a.disconnected.length === 1);
      expect(a.disconnected[0]).to.deep.equal({
        peerId: banned.node.peerId.toString(),
        nodeKey: banned.identity.publicKey,
        reason: 'banned: misbehaving',
      });
      expect(a.peer.node.getConnections(banned.node.peerId)).to.have.length(0);
    });

    it("setPeerConfig adds core's lists to the config's (TCP only when QUIC is off) and forgets removed ones", async () => {
      const b = await peer({ onPeerPort: true });
      const a = await managed({ p2p: { quic: false, target_outbound: 0 } });
      const bKey = b.identity.publicKey;
      a.manager.setPeerConfig({ knownPeers: ['not an address'], preferredPeers: [`127.0.0.1:${b.tcpPort}`], listenPort: 11625 });
      await waitFor('preferred peer from core connected', () => a.connected.length === 1);
      expect(a.connected[0]).to.include({ nodeKey: bKey, transport: 'tcp', preferred: true, address: `127.0.0.1:${b.tcpPort}` });

      a.manager.setPeerConfig({ knownPeers: [], preferredPeers: [], listenPort: 11625 });
      expect(a.peer.gate.preferred.has(bKey)).to.equal(false);
      expect(a.manager.peers()[0]!.preferred).to.equal(false);
    });
  });
});
