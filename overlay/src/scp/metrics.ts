import { Counter, Gauge, type Registry } from 'prom-client';

/** Live gossipsub state read at scrape time. */
export interface ScpProbe {
  topicPeers(): number;
  meshPeers(): number;
}

export function createScpMetrics(registry: Registry, probe: ScpProbe) {
  return {
    topicPeers: new Gauge({
      name: 'overlay_scp_topic_peers',
      help: 'Peers subscribed to the SCP topic',
      registers: [registry],
      collect() {
        this.set(probe.topicPeers());
      },
    }),
    meshPeers: new Gauge({
      name: 'overlay_scp_mesh_peers',
      help: 'Peers in our gossipsub mesh for the SCP topic (those we relay to at once)',
      registers: [registry],
      collect() {
        this.set(probe.meshPeers());
      },
    }),
    received: new Counter({
      name: 'overlay_scp_envelopes_received_total',
      help: 'SCP envelopes from peers, by outcome (delivered, duplicate, malformed, bad_signature)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    broadcast: new Counter({
      name: 'overlay_scp_envelopes_broadcast_total',
      help: 'SCP envelopes from our core flooded to the network',
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'overlay_scp_pending_envelopes',
      help: 'Envelopes from core held until a peer subscribes to the SCP topic',
      registers: [registry],
    }),
    pendingDropped: new Counter({
      name: 'overlay_scp_pending_dropped_total',
      help: 'Held envelopes dropped (queue full or older than 30 s; SCP state sync covers them)',
      registers: [registry],
    }),
    rebroadcastDuplicates: new Counter({
      name: 'overlay_scp_rebroadcast_duplicates_total',
      help: 'Envelopes core broadcast again that the network already had',
      registers: [registry],
    }),
    seen: new Gauge({ name: 'overlay_scp_seen_entries', help: 'Envelope hashes remembered for dedup', registers: [registry] }),
    stateRequests: new Counter({
      name: 'overlay_scp_state_requests_total',
      help: 'SCP state requests, by direction (sent to peers, served to peers) and outcome',
      labelNames: ['direction', 'outcome'] as const,
      registers: [registry],
    }),
    pendingState: new Gauge({
      name: 'overlay_scp_state_pending',
      help: 'Peer SCP state requests waiting for our core',
      registers: [registry],
    }),
  };
}

export type ScpMetrics = ReturnType<typeof createScpMetrics>;
