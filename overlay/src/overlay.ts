// The composition root: builds every module from the config, wires them together, owns start and stop order.
// Modules never reach for each other directly; what one needs of another is passed in here.
import { EventEmitter } from 'node:events';
import { ALL_FEATURES, localHello, networkIdOf } from '#ipc-protocol';
import type { PeerId } from '@libp2p/interface';
import type { ResolvedConfig } from './config/load.ts';
import { loadIdentity, type NodeIdentity } from './identity/node-key.ts';
import { IpcServer } from './ipc/server.ts';
import { createRouter } from './ipc/router.ts';
import type { CoreSession } from './ipc/session.ts';
import { createRegistry, flatMetrics } from './metrics/registry.ts';
import { createOverlayNode, type OverlayNode } from './p2p/node.ts';
import { protocolIds } from './p2p/protocols.ts';
import { BanList } from './peers/ban-list.ts';
import { createGater, recommendedMaxConnections } from './peers/gater.ts';
import { PeerManager } from './peers/manager.ts';
import { QuorumSets } from './qset/quorum-sets.ts';
import { EnvelopeChecker } from './scp/envelope.ts';
import { ScpFlood } from './scp/flood.ts';
import { createScpMetrics } from './scp/metrics.ts';
import { ScpState } from './scp/state.ts';
import { startAdminServer, type AdminServer } from './admin/http-server.ts';
import { computeReadiness, metricsFromRegistry } from './admin/sources.ts';
import { createLogger, type Logger } from './util/log.ts';
import { toHex } from './util/bytes.ts';
import { SOFTWARE, SOFTWARE_VERSION, VERSION } from './version.ts';
import type { Registry } from 'prom-client';

export interface OverlayEvents {
  /** Core sent SHUTDOWN. */
  shutdown: [];
}

export class Overlay extends EventEmitter<OverlayEvents> {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly registry: Registry;
  readonly networkId: Uint8Array;
  identity!: NodeIdentity;
  node!: OverlayNode;
  peers!: PeerManager;
  bans!: BanList;
  ipc!: IpcServer;
  scp!: ScpFlood;
  scpState!: ScpState;
  quorumSets!: QuorumSets;
  admin: AdminServer | null = null;
  readonly startedAt = Date.now();
  lastLedger: { seq: number; hash: string } | null = null;
  private stopping: Promise<void> | null = null;

  constructor(config: ResolvedConfig, log?: Logger) {
    super();
    this.config = config;
    this.log = log ?? createLogger('overlay', config.log_level);
    this.registry = createRegistry();
    this.networkId = networkIdOf(config.network_passphrase);
  }

  get session(): CoreSession | null {
    return this.ipc?.session ?? null;
  }

  async start(): Promise<void> {
    const { config, log, registry } = this;
    this.identity = await loadIdentity({ seed: config.node_seed, seedFile: config.node_seed_file, dataDir: config.dataDir });
    const protocols = protocolIds(Buffer.from(this.networkId).toString('hex'));
    const p2p = config.p2p;

    this.bans = new BanList({ dataDir: config.dataDir, log: log.child('bans'), registry });
    const gate = createGater({ config: p2p, bans: this.bans, log: log.child('gater'), registry });
    this.node = await createOverlayNode({
      identity: this.identity,
      protocols,
      listenHost: p2p.listen_host,
      tcpPort: p2p.tcp ? p2p.peer_port : null,
      quicPort: p2p.quic ? (p2p.peer_port === 0 ? 0 : p2p.peer_port + p2p.quic_port_offset) : null,
      gater: gate.gater,
      maxConnections: recommendedMaxConnections(p2p),
      dht: p2p.dht,
      dhtRefreshMs: p2p.dht_refresh_ms,
    });
    this.peers = new PeerManager({
      node: this.node,
      config: p2p,
      log: log.child('peers'),
      registry,
      bans: this.bans,
      gate,
    });
    this.peers.on('connected', (peer) => this.session?.send({ type: 'PEER_CONNECTED', peer }));
    this.peers.on('disconnected', (peer) => this.session?.send({ type: 'PEER_DISCONNECTED', peer }));

    const pubsub = this.node.services.pubsub;
    const scpMetrics = createScpMetrics(registry, {
      topicPeers: () => pubsub.getSubscribers(protocols.scpTopic).length,
      // The implementation has getMeshPeers; the exported GossipSub interface does not declare it.
      meshPeers: () => (pubsub as { getMeshPeers?(t: string): string[] }).getMeshPeers?.(protocols.scpTopic).length ?? 0,
    });
    const checker = new EnvelopeChecker(this.networkId, config.scp.verify_signatures);
    this.quorumSets = new QuorumSets({
      node: this.node,
      protocol: protocols.quorumSet,
      cacheEntries: config.quorum_sets.cache_entries,
      fetchTimeoutMs: config.quorum_sets.fetch_timeout_ms,
      log: log.child('qset'),
      registry,
    });
    this.scp = new ScpFlood({
      node: this.node,
      topic: protocols.scpTopic,
      checker,
      seenCapacity: config.scp.seen_capacity,
      log: log.child('scp'),
      metrics: scpMetrics,
      deliver: (bytes, env, from) => this.deliverScp(bytes, env.quorumSetHash, from),
    });
    this.scpState = new ScpState({
      node: this.node,
      protocol: protocols.scpState,
      peersToAsk: config.scp.state_peers,
      timeoutMs: config.scp.state_timeout_ms,
      log: log.child('scp-state'),
      metrics: scpMetrics,
      askCore: (requestId, ledgerSeq) =>
        this.session?.send({ type: 'PEER_REQUESTS_SCP_STATE', requestId, ledgerSeq }) ?? false,
      receive: (bytes, from) => void this.scp.receive(bytes, from),
    });

    this.ipc = new IpcServer({
      socketPath: config.socketPath,
      maxPayload: config.ipc.max_payload,
      droppableBacklogBytes: config.ipc.droppable_backlog_bytes,
      log: log.child('ipc'),
      registry,
      localHello: localHello(SOFTWARE_VERSION, this.networkId, ALL_FEATURES),
      ackExtras: { peerId: this.identity.peerId.toString(), nodeKey: this.identity.publicKey },
      onMessage: createRouter(this.routes(), log.child('router')),
      onCoreConnected: (s) => this.onCoreConnected(s),
    });

    await this.node.start();
    this.scp.start();
    await this.scpState.start();
    await this.quorumSets.start();
    await this.peers.start();
    await this.ipc.start();
    if (config.admin.enabled) {
      this.admin = await startAdminServer({
        host: config.admin.host,
        port: config.adminPort,
        token: config.admin.token,
        log: log.child('admin'),
        registry,
        sources: this.adminSources(),
      });
    }
    log.info('ready', {
      peerId: this.identity.peerId.toString(),
      nodeKey: this.identity.publicKey,
      addresses: this.node.getMultiaddrs().map(String),
      socket: config.socketPath,
      admin: this.admin?.url ?? null,
      version: VERSION,
    });
  }

  /** Stops everything in reverse order of start; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.log.info('stopping');
    await this.admin?.close().catch(() => {});
    await this.ipc?.stop().catch(() => {});
    await this.peers?.stop().catch(() => {});
    this.scp?.stop();
    await this.scpState?.stop().catch(() => {});
    await this.quorumSets?.stop().catch(() => {});
    await this.node?.stop();
    this.log.info('stopped');
  }

  private onCoreConnected(session: CoreSession): void {
    // A reconnecting core learns who is already connected (extension cores only; V2 has no peer events).
    setImmediate(() => {
      if (!session.has('peer-events')) return;
      for (const peer of this.peers.peers()) session.send({ type: 'PEER_CONNECTED', peer });
    });
  }

  private deliverScp(bytes: Uint8Array, quorumSetHash: Uint8Array | null, from: PeerId | null): void {
    if (quorumSetHash && from) this.quorumSets.hint(quorumSetHash, from);
    this.session?.send({ type: 'SCP_RECEIVED', envelope: bytes });
  }

  private routes() {
    return createRoutes(this);
  }

  private adminSources() {
    return {
      info: () => ({
        software: SOFTWARE,
        version: VERSION,
        peerId: this.identity.peerId.toString(),
        nodeKey: this.identity.publicKey,
        uptimeSec: (Date.now() - this.startedAt) / 1000,
        coreConnected: this.session !== null,
        lastLedger: this.lastLedger,
        network: this.config.network_passphrase,
        addresses: this.node.getMultiaddrs().map(String),
      }),
      peers: () => this.peers.peers(),
      metrics: metricsFromRegistry(this.registry),
      health: () => ({ ok: true }),
      readiness: () => computeReadiness({ coreConnected: this.session !== null, peers: this.node.getPeers().length }),
      bans: {
        list: () => this.bans.list(),
        ban: (key: string, opts: { durationMs?: number; reason: string }) => this.bans.ban(key, opts),
        unban: (key: string) => this.bans.unban(key),
      },
    };
  }

  async stats() {
    const counts = this.peers.counts();
    const sum = async (name: string, label?: [string, string]) => {
      const m = this.registry.getSingleMetric(name);
      if (!m) return 0;
      const v = await m.get();
      return v.values.filter((x) => !label || x.labels[label[0]] === label[1]).reduce((a, x) => a + x.value, 0);
    };
    return {
      uptimeSec: (Date.now() - this.startedAt) / 1000,
      lastLedgerSeq: this.lastLedger?.seq ?? 0,
      peersInbound: counts.inbound,
      peersOutbound: counts.outbound,
      mempoolTxs: 0,
      mempoolBytes: 0,
      txsReceived: 0,
      txsFlooded: 0,
      scpReceived: await sum('overlay_scp_envelopes_received_total', ['outcome', 'delivered']),
      scpBroadcast: await sum('overlay_scp_envelopes_broadcast_total'),
    };
  }
}

/** Core's messages and what the overlay does with each. */
function createRoutes(o: Overlay) {
  return {
    SHUTDOWN: () => {
      o.log.info('core asked for shutdown');
      o.emit('shutdown');
    },
    SET_PEER_CONFIG: (m) => o.peers.setPeerConfig(m.config),
    BROADCAST_SCP: (m) => o.scp.broadcast(m.envelope),
    REQUEST_SCP_STATE: (m) => o.scpState.requestFromPeers(m.ledgerSeq),
    SCP_STATE_RESPONSE: (m) => o.scpState.respond(m.requestId, m.envelopes),
    LEDGER_CLOSED: (m) => {
      o.lastLedger = { seq: m.ledgerSeq, hash: toHex(m.ledgerHash) };
    },
    REQUEST_OVERLAY_METRICS: async (_m, s) => {
      s.send({ type: 'OVERLAY_METRICS_RESPONSE', metrics: await flatMetrics(o.registry) });
    },
    GET_METRICS: async (m, s) => {
      s.send({ type: 'METRICS_REPLY', requestId: m.requestId, metrics: await flatMetrics(o.registry) });
    },
    GET_PEERS: (m, s) => {
      s.send({ type: 'PEERS_REPLY', requestId: m.requestId, peers: o.peers.peers() });
    },
    GET_STATS: async (m, s) => {
      s.send({ type: 'STATS_REPLY', requestId: m.requestId, stats: await o.stats() });
    },
    CACHE_QUORUM_SET: (m) => o.quorumSets.add(m.hash, m.quorumSet),
    FETCH_QUORUM_SET: async (m, s) => {
      const quorumSet = await o.quorumSets.fetch(m.hash);
      s.send({ type: 'QUORUM_SET_REPLY', requestId: m.requestId, hash: m.hash, quorumSet });
    },
  } satisfies import('./ipc/router.ts').Routes;
}

