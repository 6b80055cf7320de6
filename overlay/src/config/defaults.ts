// Defaults of every config key, with their source. Defaults run out of the box on loopback.

export const DEFAULTS = {
  /** Stellar's test network, so a bare V2 launch line never touches the public network. */
  networkPassphrase: 'Test SDF Network ; September 2015',
  /** Ours: per peer port, so two overlays started from one directory never share a node key. */
  dataDirRoot: '.overlay-data',
  logLevel: 'info',
  /** Overlay V2 / stellar-core PEER_PORT default. */
  peerPort: 11625,
  /** Overlay V2: QUIC listens on UDP peer_port + 1000. */
  quicPortOffset: 1000,
  /** stellar-core TARGET_PEER_CONNECTIONS. */
  targetOutbound: 8,
  /** stellar-core MAX_ADDITIONAL_PEER_CONNECTIONS (inbound limit 64). */
  maxInbound: 64,
  /**
   * Ours: inbound connections libp2p lets be mid-handshake at once (its default, 10, is counted before our gater:
   * ten silent connections from ten addresses kept everyone else out for the upgrade timeout; bench-dos).
   */
  maxPendingInbound: 64,
  /** Ours: inbound connections accepted per remote IP per minute before refusing. */
  inboundPerIpPerMinute: 30,
  /** Ours: redial backoff for known/preferred peers (doubles up to the max). */
  reconnectMinMs: 1000,
  reconnectMaxMs: 60_000,
  /** Ours: Kademlia routing table refresh. */
  dhtRefreshMs: 60_000,
  /** Ours: SCP envelopes remembered for dedup (several ledgers of a large network). */
  scpSeenCapacity: 100_000,
  /** stellar-core asks 2 random peers for SCP state (Herder NB_PEERS_TO_ASK… our reading). */
  scpStatePeers: 2,
  scpStateTimeoutMs: 5000,
  /** Ours: quorum sets kept to serve peers. */
  quorumSetCacheEntries: 1000,
  quorumSetFetchTimeoutMs: 5000,
  /** stellar-core's HTTP_PORT is PEER_PORT + 1 (11626); the admin endpoint sits beside it at PEER_PORT + 2. */
  adminPortOffset: 2,
  adminHost: '127.0.0.1',
  /** Overlay V2: max IPC payload. */
  ipcMaxPayload: 16 * 1024 * 1024,
  /** Ours: frames buffered towards a slow core before droppable frames are dropped. */
  ipcDroppableBacklogBytes: 64 * 1024 * 1024,

  /** stellar-core: max classic transaction size (100 KiB). */
  maxTxBytes: 100 * 1024,
  /** Stellar protocol base fee per operation (stroops). */
  baseFee: 100,
  /** Ours: signature checks per worker batch. */
  txVerifyBatch: 256,
  /** Ours: 0 = one worker per core less the main thread. Measured with sodium on 2 cores (bench-ipc, 5 runs): one
   * worker checked as fast as two or faster in every run, at less CPU per tx; it leaves core a core. */
  txVerifyThreads: 0,
  /** Ours: libsodium (what stellar-core verifies with, the faster by measurement) when it loads, else node:crypto. */
  txSignatureBackend: 'auto',
  /** Overlay V2: mempool of 100,000 transactions. */
  mempoolMaxTxs: 100_000,
  /** Ours: 100,000 txs of ~1 KiB. */
  mempoolMaxBytes: 128 * 1024 * 1024,
  /** stellar-core tx queue: pending depth 4 ledgers, ban depth 10 ledgers, replace-by-fee needs 10× the fee rate. */
  mempoolPendingLedgers: 4,
  mempoolBanLedgers: 10,
  mempoolRbfMultiplier: 10,
  /** Overlay V2: INV batch at most 1000 hashes or 100 ms. */
  invMaxHashes: 1000,
  invIntervalMs: 100,
  /** Overlay V2: GETDATA per-peer timeout 1 s (ours: the floor of the adaptive timeout), give up after 30 s. */
  getdataTimeoutMs: 1000,
  /** Ours: the adaptive per-peer GETDATA timeout (srtt + 4 × rttvar) stops at 3 s; equal to the floor: V2's fixed 1 s. */
  getdataTimeoutMaxMs: 3000,
  getdataGiveUpMs: 30_000,
  /** go-ethereum tx fetcher: at most 4096 outstanding announcements per peer. */
  maxAnnouncementsPerPeer: 4096,
  /** Bitcoin Core: at most 100 in-flight requests per peer; ours allows a full INV batch. */
  maxInflightPerPeer: 1000,
  /** stellar-core FLOOD_TX_PERIOD_MS: rebroadcast pending txs every 200 ms within a budget. */
  rebroadcastIntervalMs: 200,
  rebroadcastBudget: 1000,
  /** Overlay V2: tx-set cache keyed by ledger, 12-ledger window. */
  txSetCacheLedgers: 12,
  txSetCacheBytes: 256 * 1024 * 1024,
  /** stellar-core: 1.5 s per peer when fetching a tx set; ours: give up after 10 s. */
  txSetPeerTimeoutMs: 1500,
  txSetFetchDeadlineMs: 10_000,
  /** Ours: misbehaviour score at which a peer is banned; the score halves every minute; bans last 10 minutes. */
  scoreThreshold: 100,
  scoreHalfLifeMs: 60_000,
  scoreBanMs: 10 * 60_000,
  /** Ours: peers whose score (and GETDATA budget) is remembered. */
  scoreMaxPeers: 10_000,
  /** Ours: GETDATA hashes served per peer: 10,000/s with bursts of 20,000 (~10 MB/s of ~1 KiB txs). */
  getdataPerSec: 10_000,
  getdataBurst: 20_000,
  /**
   * Ours: tx bodies a peer may send unasked, in pull mode, per second and in a burst; beyond, they are dropped
   * unchecked. Honest pull peers send bodies only when asked (a reply after our request was withdrawn is the
   * exception), so this bounds what an attacker's TXS frame (up to ~10,000 bodies) costs in checks.
   */
  unsolicitedTxPerSec: 50,
  unsolicitedTxBurst: 250,
} as const;
