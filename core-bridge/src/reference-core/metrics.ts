// The reference core's metrics, on the registry it is given (the OverlayClient's go on the same one under their own
// prefix). Sizes of bounded structures are read at scrape time.
import { readGauge } from '../util/read-gauge.ts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { SKIP_REASONS } from './ledger.ts';

export const CORE_METRIC_PREFIX = 'reference_core_';

export interface CoreSizes {
  ledgerSeq(): number;
  round(): number;
  talliedSlots(): number;
  pendingNominations(): number;
  trackedSubmissions(): number;
  /** Tracked submissions forgotten unapplied at the bound. */
  trackedEvicted(): number;
  recentTxResults(): number;
  recentHeaders(): number;
  scpHistoryEnvelopes(): number;
  cachedTxSets(): number;
}

export function createCoreMetrics(registry: Registry, sizes: CoreSizes) {
  const p = CORE_METRIC_PREFIX;
  const gauge = (name: string, help: string, read: () => number) => readGauge(registry, p + name, help, read);
  gauge('ledger_seq', 'Sequence number of the last closed ledger', sizes.ledgerSeq);
  gauge('consensus_round', 'Round of the current slot', sizes.round);
  gauge('consensus_tallied_slots', 'Slots with votes being counted (current and buffered later ones)', sizes.talliedSlots);
  gauge('consensus_pending_nominations', 'Nominations buffered for later slots', sizes.pendingNominations);
  gauge('tracked_submissions', 'Submitted txs awaiting a ledger (latency tracking)', sizes.trackedSubmissions);
  gauge('tracked_submissions_evicted', 'Tracked submissions forgotten at the bound before they applied', sizes.trackedEvicted);
  gauge('recent_tx_results', 'Tx outcomes kept for GET /tx/:hash', sizes.recentTxResults);
  gauge('recent_headers', 'Ledger headers kept for GET /ledger/:seq', sizes.recentHeaders);
  gauge('scp_history_envelopes', 'EXTERNALIZE envelopes kept for SCP-state requests', sizes.scpHistoryEnvelopes);
  gauge('tx_sets_cached', 'Tx sets held locally (built, validated or applied recently)', sizes.cachedTxSets);
  const skipped = new Counter({ name: p + 'txs_skipped_total', help: 'Txs of closed ledgers skipped, by reason', labelNames: ['reason'], registers: [registry] });
  for (const r of SKIP_REASONS) skipped.labels(r);
  return {
    ledgersClosed: new Counter({ name: p + 'ledgers_closed_total', help: 'Ledgers closed', registers: [registry] }),
    txsApplied: new Counter({ name: p + 'txs_applied_total', help: 'Txs of closed ledgers that applied', registers: [registry] }),
    txsSkipped: skipped,
    txsReincluded: new Counter({
      name: p + 'txs_reincluded_total',
      help: 'Skipped txs that had already applied in an earlier ledger (a tx set carried a stale tx)',
      registers: [registry],
    }),
    roundChanges: new Counter({ name: p + 'round_changes_total', help: 'Round changes, by reason', labelNames: ['reason'], registers: [registry] }),
    envelopes: new Counter({
      name: p + 'scp_envelopes_total',
      help: 'SCP envelopes received from the overlay, by kind (nominate, externalize, other)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    consensusDropped: new Gauge({ name: p + 'consensus_dropped', help: 'Envelopes consensus dropped at a bound', registers: [registry] }),
    txSetFetches: new Counter({ name: p + 'tx_set_fetches_total', help: 'Tx-set fetches from the overlay, by outcome', labelNames: ['outcome'], registers: [registry] }),
    validations: new Counter({ name: p + 'validations_total', help: 'Nominated values checked, by outcome', labelNames: ['outcome'], registers: [registry] }),
    submissions: new Counter({ name: p + 'submissions_total', help: 'Txs submitted over HTTP, by verdict status', labelNames: ['status'], registers: [registry] }),
    latency: new Histogram({
      name: p + 'submission_latency_seconds',
      help: 'Submission to externalization of the txs this core submitted',
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
      registers: [registry],
    }),
    slotPhase: new Histogram({
      name: p + 'slot_phase_seconds',
      help: 'Time of each step of a slot, from the previous one (nominated: from the slot start; voted, decided, closed)',
      labelNames: ['phase'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    httpRequests: new Counter({ name: p + 'http_requests_total', help: 'HTTP requests, by route and status', labelNames: ['route', 'status'], registers: [registry] }),
  };
}

export type CoreMetrics = ReturnType<typeof createCoreMetrics>;
