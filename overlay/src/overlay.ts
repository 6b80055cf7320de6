// The composition root: builds every module from the config, wires them together, owns start and stop order.
// Modules never reach for each other directly; what one needs of another is passed in here.
import { EventEmitter } from 'node:events';
import { ALL_FEATURES, MAX_TXS_PER_LIST, TxReason, TxStatus, localHello, networkIdOf } from '#ipc-protocol';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { ResolvedConfig } from './config/load.ts';
import { DEFAULTS } from './config/defaults.ts';
import { passphraseOf } from './config/networks.ts';
import { loadIdentity, stellarKeyOf, type NodeIdentity } from './identity/node-key.ts';
import { IpcServer } from './ipc/server.ts';
import { createRouter } from './ipc/router.ts';
import type { CoreSession } from './ipc/session.ts';
import { createRegistry, flatMetrics } from './metrics/registry.ts';
import { createOverlayNode, type OverlayNode } from './p2p/node.ts';
import { protocolIds } from './p2p/protocols.ts';
import { ConnectionTraffic } from './p2p/traffic.ts';
import { BanList } from './peers/ban-list.ts';
import { createGater, recommendedMaxConnections } from './peers/gater.ts';
import { PeerManager } from './peers/manager.ts';
import { PEER_FAULT_TX_REASONS, PeerRateLimiter, PeerScorer, type OffenceKind } from './peers/scoring.ts';
import { QuorumSets } from './qset/quorum-sets.ts';
import { EnvelopeChecker, type CheckedEnvelope } from './scp/envelope.ts';
import { ScpFlood } from './scp/flood.ts';
import { createScpMetrics } from './scp/metrics.ts';
import { ScpState } from './scp/state.ts';
import { TxChecker } from './tx/checker.ts';
import { TxFlood } from './tx/flood/flood.ts';
import { TxIntake, type Verdict } from './tx/intake.ts';
import { Mempool } from './tx/mempool.ts';
import { buildTxSet } from './txset/build.ts';
import { TxSetCache } from './txset/cache.ts';
import { TxSets } from './txset/tx-sets.ts';
import { startAdminServer, type AdminServer } from './admin/http-server.ts';
import { computeReadiness, metricsFromRegistry, type AdminInfo } from './admin/sources.ts';
import { createLogger, type Logger } from './util/log.ts';
import { toHex } from './util/bytes.ts';
import { runningNodeFlags } from './runtime-flags.ts';
import { SOFTWARE, SOFTWARE_VERSION, VERSION } from './version.ts';
import type { Registry } from 'prom-client';

export interface OverlayEvents {
  /** Core sent SHUTDOWN. */
  shutdown: [];
  /** The overlay cannot go on (the network a core named could not be started): the process should exit. */
  fatal: [err: Error];
}

/** Where the network the overlay serves was decided: config (file or --network), core's HELLO, or a V2 core. */
export type NetworkSource = NonNullable<AdminInfo['networkSource']>;

export class Overlay extends EventEmitter<OverlayEvents> {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly registry: Registry;
  /** The network served: null until decided (docs/configuration.md, `network_passphrase`). */
  networkId: Uint8Array | null = null;
  networkSource: NetworkSource | null = null;
  identity!: NodeIdentity;
  node!: OverlayNode;
  peers!: PeerManager;
  bans!: BanList;
  ipc!: IpcServer;
  scp!: ScpFlood;
  scpState!: ScpState;
  quorumSets!: QuorumSets;
  checker!: TxChecker;
  mempool!: Mempool;
  flood!: TxFlood;
  intake!: TxIntake;
  txSets!: TxSets;
  /** Misbehaviour scores of peers (null when scoring.enabled is false). */
  scorer: PeerScorer | null = null;
  admin: AdminServer | null = null;
  readonly startedAt = Date.now();
  readonly traffic = new ConnectionTraffic();
  lastLedger: { seq: number; hash: string } | null = null;
  private stopping: Promise<void> | null = null;
  private joining: Promise<void> | null = null;
  private joined = false;

  constructor(config: ResolvedConfig, log?: Logger) {
    super();
    this.config = config;
    this.log = log ?? createLogger('overlay', config.log_level);
    this.registry = createRegistry();
  }

  get session(): CoreSession | null {
    return this.ipc?.session ?? null;
  }

  /**
   * Starts the local half (identity, IPC, admin) and, when config names the network, the network half. Otherwise
   * the network half starts when the first core speaks: its HELLO names the network, a V2 core means the default.
   */
  async start(): Promise<void> {
    const { config, log, registry } = this;
    const overlay = this; // for the gate's getter
    this.identity = await loadIdentity({ seed: config.node_seed, seedFile: config.node_seed_file, dataDir: config.dataDir });
    this.bans = new BanList({ dataDir: config.dataDir, log: log.child('bans'), registry });
    this.ipc = new IpcServer({
      socketPath: config.socketPath,
      maxPayload: config.ipc.max_payload,
      droppableBacklogBytes: config.ipc.droppable_backlog_bytes,
      log: log.child('ipc'),
      registry,
      localHello: () => localHello(SOFTWARE_VERSION, this.networkId ?? new Uint8Array(32), ALL_FEATURES),
      network: { get ready() { return overlay.joined; }, decide: (id) => overlay.decideNetwork(id) },
      ackExtras: { peerId: this.identity.peerId.toString(), nodeKey: this.identity.publicKey },
      onMessage: createRouter(this.routes(), log.child('router')),
      onCoreReady: (s) => this.onCoreReady(s),
    });

    if (config.network_passphrase !== undefined) await this.joinNetwork(networkIdOf(config.network_passphrase), 'config');
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
      addresses: this.node?.getMultiaddrs().map(String) ?? [],
      network: this.networkName(),
      socket: config.socketPath,
      admin: this.admin?.url ?? null,
      version: VERSION,
      node: runningNodeFlags(),
    });
    if (!this.joined) log.info('waiting for core to name the network (HELLO); a V2 core means the test network');
  }

  /** The network core's first frame implies: the one its HELLO names, else (V2) the default. Started once. */
  decideNetwork(fromHello: Uint8Array | null): Promise<void> {
    this.joining ??= this.joinNetwork(
      fromHello ?? networkIdOf(DEFAULTS.networkPassphrase),
      fromHello ? 'core-hello' : 'v2-default',
    ).catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      this.log.error('could not start the network half', { err: e, detail: e.message });
      this.emit('fatal', e);
      throw e;
    });
    return this.joining;
  }

  /** The passphrase when we know it (config, or a well-known network id), else the network id in hex. */
  networkName(): string | null {
    if (this.networkId === null) return null;
    if (this.config.network_passphrase !== undefined) return this.config.network_passphrase;
    return passphraseOf(this.networkId) ?? toHex(this.networkId);
  }

  /** The network half: libp2p and every module that speaks to peers. */
  private async joinNetwork(networkId: Uint8Array, source: NetworkSource): Promise<void> {
    const { config, log, registry } = this;
    this.networkId = networkId;
    this.networkSource = source;
    const protocols = protocolIds(toHex(networkId));
    const p2p = config.p2p;
    const gate = createGater({ config: p2p, bans: this.bans, log: log.child('gater'), registry });
    this.node = await createOverlayNode({
      identity: this.identity,
      protocols,
      listenHost: p2p.listen_host,
      tcpPort: p2p.tcp ? p2p.peer_port : null,
      quicPort: p2p.quic ? (p2p.peer_port === 0 ? 0 : p2p.peer_port + p2p.quic_port_offset) : null,
      gater: gate.gater,
      maxConnections: recommendedMaxConnections(p2p),
      maxPendingInbound: p2p.max_pending_inbound,
      gossipIpWhitelist: p2p.gossip_ip_whitelist,
      dht: p2p.dht,
      dhtRefreshMs: p2p.dht_refresh_ms,
      traffic: this.traffic,
    });
    this.traffic.attach(() => this.node.getConnections());
    this.peers = new PeerManager({
      node: this.node,
      config: p2p,
      log: log.child('peers'),
      registry,
      bans: this.bans,
      gate,
      traffic: (addrs) => this.traffic.of(addrs),
    });
    this.scorer = this.buildScorer();
    this.peers.on('connected', (peer) => {
      this.flood.peerConnected(peer.peerId);
      this.session?.send({ type: 'PEER_CONNECTED', peer });
    });
    this.peers.on('disconnected', (peer) => {
      this.flood.peerDisconnected(peer.peerId);
      this.session?.send({ type: 'PEER_DISCONNECTED', peer });
    });

    const pubsub = this.node.services.pubsub;
    const scpMetrics = createScpMetrics(registry, {
      topicPeers: () => pubsub.getSubscribers(protocols.scpTopic).length,
      // The implementation has getMeshPeers; the exported GossipSub interface does not declare it.
      meshPeers: () => (pubsub as { getMeshPeers?(t: string): string[] }).getMeshPeers?.(protocols.scpTopic).length ?? 0,
    });
    const checker = new EnvelopeChecker(networkId, config.scp.verify_signatures, config.tx.signature_backend);
    this.quorumSets = new QuorumSets({
      node: this.node,
      protocol: protocols.quorumSet,
      cacheEntries: config.quorum_sets.cache_entries,
      fetchTimeoutMs: config.quorum_sets.fetch_timeout_ms,
      log: log.child('qset'),
      registry,
      onMisbehave: this.misbehaved,
    });
    this.buildTxModules(protocols, networkId);
    this.scp = new ScpFlood({
      node: this.node,
      topic: protocols.scpTopic,
      checker,
      seenCapacity: config.scp.seen_capacity,
      log: log.child('scp'),
      metrics: scpMetrics,
      deliver: (bytes, env, from) => this.deliverScp(bytes, env, from),
      onMisbehave: this.misbehaved,
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

    await this.node.start();
    await this.flood.start();
    await this.txSets.start();
    this.scp.start();
    await this.scpState.start();
    await this.quorumSets.start();
    await this.peers.start();
    this.joined = true;
    log.info('network started', { network: this.networkName(), source, addresses: this.node.getMultiaddrs().map(String) });
  }

  /** Stops everything in reverse order of start; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.log.info('stopping');
    await this.joining?.catch(() => {});
    await this.admin?.close().catch(() => {});
    await this.ipc?.stop().catch(() => {});
    await this.peers?.stop().catch(() => {});
    this.scp?.stop();
    await this.scpState?.stop().catch(() => {});
    await this.quorumSets?.stop().catch(() => {});
    await this.flood?.stop().catch(() => {});
    await this.txSets?.stop().catch(() => {});
    await this.node?.stop();
    await this.checker?.close().catch(() => {});
    this.log.info('stopped');
  }

  private onCoreReady(session: CoreSession): void {
    // A reconnecting core learns who is already connected (extension cores only; V2 has no peer events).
    if (!session.has('peer-events') || !this.joined) return;
    for (const peer of this.peers.peers()) session.send({ type: 'PEER_CONNECTED', peer });
  }

  /** Peer scoring: offences reported by the peer protocols add up to a ban of the node key (docs/security.md). */
  private buildScorer(): PeerScorer | null {
    const s = this.config.scoring;
    if (!s.enabled) return null;
    return new PeerScorer({
      threshold: s.threshold,
      halfLifeMs: s.half_life_ms,
      banMs: s.ban_ms,
      maxPeers: s.max_peers,
      keyOf: (peer) => stellarKeyOf(peerIdFromString(peer)),
      ban: (key, opts) => this.bans.ban(key, opts),
      isBanned: (key) => this.bans.isBanned(key),
      disconnect: (peer) => void this.node.hangUp(peerIdFromString(peer)).catch(() => {}),
      log: this.log.child('scoring'),
      registry: this.registry,
    });
  }

  /** What the peer protocols call when a peer misbehaves. */
  private readonly misbehaved = (peer: string, reason: string, kind: OffenceKind): void => {
    this.scorer?.report(peer, kind, reason);
  };

  /** Checker, mempool, flooding, intake and tx sets: the transaction half of the overlay. */
  private buildTxModules(protocols: ReturnType<typeof protocolIds>, networkId: Uint8Array): void {
    const { config, log, registry } = this;
    this.checker = new TxChecker({
      networkId,
      verifySignatures: config.tx.verify_signatures,
      baseFee: config.tx.base_fee,
      maxTxBytes: config.tx.max_tx_bytes,
      batchSize: config.tx.verify_batch,
      threads: config.tx.verify_threads,
      signatureBackend: config.tx.signature_backend,
      registry,
      log: log.child('checker'),
    });
    this.mempool = new Mempool({
      maxTxs: config.mempool.max_txs,
      maxBytes: config.mempool.max_bytes,
      pendingLedgers: config.mempool.pending_ledgers,
      banLedgers: config.mempool.ban_ledgers,
      rbfMultiplier: config.mempool.rbf_multiplier,
      registry,
      onRemove: (tx) => this.flood.forget(tx.key),
    });
    const getdata = new PeerRateLimiter({
      perSec: config.scoring.getdata_per_sec,
      burst: config.scoring.getdata_burst,
      maxPeers: config.scoring.max_peers,
      name: 'getdata',
      registry,
    });
    const unsolicited = new PeerRateLimiter({
      perSec: config.scoring.unsolicited_tx_per_sec,
      burst: config.scoring.unsolicited_tx_burst,
      maxPeers: config.scoring.max_peers,
      name: 'unsolicited_tx',
      registry,
    });
    this.flood = new TxFlood({
      node: this.node,
      protocol: protocols.txFlood,
      config: config.flood,
      maxTxBytes: config.tx.max_tx_bytes,
      mempool: this.mempool,
      accept: (bytes, from) => void this.intake.fromPeer(bytes, from),
      onMisbehave: this.misbehaved,
      allowGetData: (peer, n) => getdata.take(peer, n),
      allowUnsolicited: (peer) => unsolicited.take(peer, 1),
      log: log.child('flood'),
      registry,
    });
    this.intake = new TxIntake({
      check: (list) => this.checker.checkMany(list),
      add: (tx) => this.mempool.add(tx),
      onAccepted: (tx) => this.flood.announce(tx),
      onRejected: (key, from, reason) => {
        this.flood.rejected(key);
        if (from !== null && PEER_FAULT_TX_REASONS.has(reason)) this.misbehaved(from, `tx ${key.slice(0, 16)}…: ${reason}`, 'bad_tx');
      },
      registry,
    });
    this.txSets = new TxSets({
      node: this.node,
      protocol: protocols.txSet,
      cache: new TxSetCache({ ledgers: config.tx_sets.cache_ledgers, maxBytes: config.tx_sets.cache_bytes, registry }),
      peerTimeoutMs: config.tx_sets.peer_timeout_ms,
      fetchDeadlineMs: config.tx_sets.fetch_deadline_ms,
      log: log.child('txset'),
      registry,
      onMisbehave: this.misbehaved,
    });
  }

  /** The ledger tx sets are built and fetched for: the one after the last closed. */
  get nextLedger(): number {
    return (this.lastLedger?.seq ?? 0) + 1;
  }

  private deliverScp(bytes: Uint8Array, env: CheckedEnvelope, from: PeerId | null): void {
    if (from) {
      if (env.quorumSetHash) this.quorumSets.hint(env.quorumSetHash, from);
      for (const h of env.txSetHashes) this.txSets.hint(h, from);
    }
    const session = this.session;
    session?.send({ type: 'SCP_RECEIVED', envelope: bytes });
    if (session && env.quorumSetHash && !session.has('quorum-sets')) this.pushQuorumSet(session, env.quorumSetHash);
  }

  /**
   * A V2 core cannot ask for a quorum set: when an envelope names one we lack, fetch it and push it as
   * QUORUM_SET_AVAILABLE (once per hash: a fetched set is stored, and concurrent fetches share one attempt).
   */
  private pushQuorumSet(session: CoreSession, hash: Uint8Array): void {
    if (this.quorumSets.get(hash) !== undefined) return;
    this.quorumSets.fetch(hash).then(
      (quorumSet) => session.send({ type: 'QUORUM_SET_AVAILABLE', quorumSet }),
      (err) => this.log.debug('quorum set for a V2 core not found', { hash: toHex(hash), err }),
    );
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
        network: this.networkName(),
        networkId: this.networkId && toHex(this.networkId),
        networkSource: this.networkSource,
        addresses: this.node?.getMultiaddrs().map(String) ?? [],
      }),
      peers: () => this.peers?.peers() ?? [],
      metrics: metricsFromRegistry(this.registry),
      health: () => ({ ok: true }),
      readiness: () => computeReadiness({ coreConnected: this.session !== null, peers: this.node?.getPeers().length ?? 0 }),
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
      mempoolTxs: this.mempool.size,
      mempoolBytes: this.mempool.bytes,
      txsReceived: await sum('overlay_tx_intake_total', ['status', 'ACCEPTED']),
      txsFlooded: await sum('overlay_flood_announced_total'),
      scpReceived: await sum('overlay_scp_envelopes_received_total', ['outcome', 'delivered']),
      scpBroadcast: await sum('overlay_scp_envelopes_broadcast_total'),
    };
  }
}

/** A V2 hash list (count, then n × 32 bytes) as views of each hash. */
function* hashesOf(packed: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o + 32 <= packed.length; o += 32) yield packed.subarray(o, o + 32);
}

/** The best `count` txs, at most what one list on the wire may carry. */
function topTxs(o: Overlay, count: number): Uint8Array[] {
  return o.mempool.top(Math.min(count, MAX_TXS_PER_LIST)).map((t) => t.bytes);
}

function wireVerdict(v: Verdict) {
  return { status: TxStatus[v.status], reason: TxReason[v.reason], hash: v.hash };
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
      o.mempool.ledgerClosed(m.ledgerSeq);
      o.txSets.ledgerClosed(m.ledgerSeq);
    },
    // SUBMIT_TX in field form: MessageDecoder hands the tx without building a message (V2's fire-and-forget submission).
    submitTx: (tx) => void o.intake.fromCore([tx]),
    SUBMIT_TX_CHECKED: async (m, s) => {
      const [v] = await o.intake.fromCore([m.tx]);
      s.send({ type: 'TX_VERDICT', requestId: m.requestId, verdict: wireVerdict(v!) });
    },
    SUBMIT_TX_BATCH: async (m, s) => {
      const vs = await o.intake.fromCore(m.txs);
      s.send({ type: 'TX_VERDICT_BATCH', requestId: m.requestId, verdicts: vs.map(wireVerdict) });
    },
    GET_TOP_TXS: (m, s) => {
      s.send({ type: 'TOP_TXS_RESPONSE', txs: topTxs(o, m.count) });
    },
    GET_TOP_TXS_REQ: (m, s) => {
      s.send({ type: 'TOP_TXS_REPLY', requestId: m.requestId, txs: topTxs(o, m.count) });
    },
    TX_SET_EXTERNALIZED: (m) => {
      o.mempool.externalized(hashesOf(m.txHashes));
    },
    BUILD_TX_SET: (m, s) => {
      const built = buildTxSet({
        previousLedgerHash: m.previousLedgerHash,
        maxOps: m.maxOps,
        maxBytes: m.maxBytes,
        chains: o.mempool.chains(),
      });
      o.txSets.addBuilt(built.hash, built.xdr, m.ledgerSeq);
      s.send({ type: 'TX_SET_BUILT', requestId: m.requestId, hash: built.hash, txSet: built.xdr });
    },
    CACHE_TX_SET: (m) => o.txSets.add(m.hash, m.txSet, o.nextLedger),
    REQUEST_TX_SET: async (m, s) => {
      // Past the deadline the router answers ERROR (TIMEOUT) to an extension core; a V2 core has no error frame,
      // so there it is only logged and counted by the tx-set module.
      const txSet = await o.txSets.fetch(m.hash, o.nextLedger);
      s.send({ type: 'TX_SET_AVAILABLE', hash: m.hash, txSet });
    },
    FETCH_TX_SET: async (m, s) => {
      const txSet = await o.txSets.fetch(m.hash, o.nextLedger);
      s.send({ type: 'TX_SET_REPLY', requestId: m.requestId, hash: m.hash, txSet });
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

