// core-bridge: the core side of the IPC in TypeScript. Imports only #ipc-protocol and npm packages, never overlay/.
export {
  OverlayClient,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_QUEUE_BYTES,
  DEFAULT_MAX_RETAINED_TXS,
  DEFAULT_RECONNECT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ClientLogger,
  type OverlayClientEvents,
  type OverlayClientOptions,
  type PeerConfig,
  type PeerDisconnected,
  type PeerInfo,
  type RequestOptions,
  type Stats,
  type TxVerdict,
} from './client/overlay-client.ts';
export { BackpressureError, OverlayClientError, type ClientErrorCode, type ClientOnlyCode } from './client/errors.ts';
export { CoreConnection, type ConnectOptions, type ConnectionEvents } from './client/connection.ts';
export { ScpSigner, quorumSetXdr } from './scp/envelopes.ts';
