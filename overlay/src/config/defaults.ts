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
} as const;
