// OverlayClient metrics, on the registry the client is given (one client per registry: names are fixed). Sizes of
// the client's bounded structures are read when scraped, so nothing has to remember to update them.
import { readGauge } from '../util/read-gauge.ts';
import { Counter, Gauge, type Registry } from 'prom-client';

export const CLIENT_METRIC_PREFIX = 'core_bridge_client_';

export interface ClientSizes {
  pendingRequests(): number;
  outboxBytes(): number;
  outboxFrames(): number;
  inFlightBytes(): number;
  retainedTxs(): number;
  retainedTxBytes(): number;
  retainedTxSets(): number;
  retainedTxSetBytes(): number;
  retainedQuorumSets(): number;
  connected(): boolean;
}

export function createClientMetrics(registry: Registry, sizes: ClientSizes) {
  const p = CLIENT_METRIC_PREFIX;
  const gauge = (name: string, help: string, read: () => number) => readGauge(registry, p + name, help, read);
  return {
    requests: new Counter({
      name: p + 'requests_total',
      help: 'Requests to the overlay by message type and outcome (reply, error, timeout, aborted, backpressure, closed)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    lateReplies: new Counter({
      name: p + 'late_replies_total',
      help: 'Replies that arrived after their request had timed out or been aborted',
      registers: [registry],
    }),
    badFrames: new Counter({
      name: p + 'bad_frames_total',
      help: 'Frames from the overlay that could not be decoded (skipped)',
      registers: [registry],
    }),
    backpressure: new Counter({
      name: p + 'backpressure_total',
      help: 'Calls refused because the outgoing queue was full, by message type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    dropped: new Counter({
      name: p + 'dropped_frames_total',
      help: 'Queued frames dropped at a disconnect (meaningless to the next connection, or restored anew), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    reconnects: new Counter({
      name: p + 'reconnects_total',
      help: 'Reconnection attempts by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    evicted: new Counter({
      name: p + 'retained_evicted_total',
      help: 'Entries dropped from the restore state to stay within its bounds (oldest first), by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    resubmitted: new Counter({
      name: p + 'resubmitted_txs_total',
      help: 'Transactions re-submitted to a restarted overlay, by verdict status (or error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    pending: gauge('pending_requests', 'Requests awaiting a reply', sizes.pendingRequests),
    outboxBytes: gauge('outbox_bytes', 'Bytes of frames queued while disconnected or congested', sizes.outboxBytes),
    outboxFrames: gauge('outbox_frames', 'Frames queued while disconnected or congested', sizes.outboxFrames),
    inFlightBytes: gauge('inflight_bytes', 'Bytes of written requests kept to be re-sent after a reconnect', sizes.inFlightBytes),
    retainedTxs: gauge('retained_txs', 'Accepted transactions kept for re-submission, not yet externalized', sizes.retainedTxs),
    retainedTxBytes: gauge('retained_tx_bytes', 'Bytes of transactions kept for re-submission', sizes.retainedTxBytes),
    retainedTxSets: gauge('retained_tx_sets', 'Tx sets kept to re-cache in a restarted overlay', sizes.retainedTxSets),
    retainedTxSetBytes: gauge('retained_tx_set_bytes', 'Bytes of tx sets kept to re-cache', sizes.retainedTxSetBytes),
    retainedQuorumSets: gauge('retained_quorum_sets', 'Quorum sets kept to re-cache in a restarted overlay', sizes.retainedQuorumSets),
    connected: gauge('connected', '1 while connected to the overlay and its state restored', () => (sizes.connected() ? 1 : 0)),
  };
}

export type ClientMetrics = ReturnType<typeof createClientMetrics>;
