// SCP envelope flooding over gossipsub (one topic per network). Each envelope is decoded and its signature checked
// once, in the topic validator; a valid new one is delivered to core exactly once and relayed by gossipsub; an
// invalid one is rejected and reported as the sender's misbehaviour (onMisbehave → PeerScorer), and its gossipsub
// score drops (SCP_TOPIC_SCORE). Dedup by envelope hash in bounded memory also covers envelopes that arrive through
// SCP state responses. Gossipsub has its own stream per peer, so SCP never queues behind tx traffic.
import type { PeerId } from '@libp2p/interface';
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { createTopicScoreParams, validateTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score';
import type { OverlayNode } from '../p2p/node.ts';
import { RecentSet } from '../util/bounded.ts';
import { rateLimited, type Logger } from '../util/log.ts';
import type { CheckedEnvelope, EnvelopeChecker } from './envelope.ts';
import type { ScpMetrics } from './metrics.ts';

/**
 * Ours: envelopes from core held while no peer subscribes to the topic (just after start or a partition), flushed
 * when one does. Older ones are left to SCP state sync, as stellar-core does on connect.
 */
const PENDING_MAX = 1000;
/** Ours: and at most this many bytes of them (an SCP envelope is a few hundred bytes; core could send 16 MiB ones). */
const PENDING_MAX_BYTES = 4 * 1024 * 1024;
const PENDING_MAX_AGE_MS = 30_000;
/**
 * Ours: envelope hashes are remembered for 5–10 minutes (and at most scp.seen_capacity of them): core acts only on
 * the last few slots, so a replay older than that is harmless to deliver again, while remembering every envelope
 * until the bound kept the heap growing for over an hour at 1 s ledgers.
 */
const SEEN_MS = 5 * 60_000;
/** Ours: how often held envelopes look for a reachable subscriber (no event marks an outbound stream opening). */
const PENDING_RETRY_MS = 100;
/** gossipsub's default decayInterval: its counters decay once a second. */
const GOSSIP_DECAY_INTERVAL_MS = 1000;
/** Ours, as scoring.half_life_ms's default: gossipsub's count of a peer's invalid envelopes halves every minute. */
const GOSSIP_INVALID_HALF_LIFE_MS = 60_000;

/**
 * Gossipsub's own peer score on the SCP topic. Without parameters for a topic gossipsub scores nothing on it, and a
 * Reject from our validator would not touch the sender's score. Only P4, invalid messages, counts (its count squared
 * × −4): SCP is a few envelopes per validator per ledger, so the delivery-rate terms (P1–P3b) would mark honest,
 * quiet peers down. With gossipsub's default thresholds, one invalid envelope (−4) takes the sender out of our mesh
 * at the next heartbeat, two (−16) stop gossip with it, four (−64) stop publishing to it, five (−100) ignore
 * everything it sends — a step after PeerScorer bans it at the fourth (bad_envelope, 30 each), and a defence even
 * with [scoring] disabled.
 */
export const SCP_TOPIC_SCORE: TopicScoreParams = createTopicScoreParams({
  topicWeight: 1,
  timeInMeshWeight: 0,
  firstMessageDeliveriesWeight: 0,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -4,
  invalidMessageDeliveriesDecay: 0.5 ** (GOSSIP_DECAY_INTERVAL_MS / GOSSIP_INVALID_HALF_LIFE_MS),
});
validateTopicScoreParams(SCP_TOPIC_SCORE);

export interface ScpFloodOptions {
  node: OverlayNode;
  topic: string;
  checker: EnvelopeChecker;
  seenCapacity: number;
  log: Logger;
  metrics: ScpMetrics;
  /** A new, valid envelope for core. */
  deliver: (bytes: Uint8Array, envelope: CheckedEnvelope, from: PeerId | null) => void;
  /** A peer sent an envelope that does not decode or verify (duplicates and old envelopes are no offence). */
  onMisbehave?(peer: string, reason: string, kind: 'bad_envelope'): void;
}

/** The implementation's score parameters; the exported GossipSub interface has no setter for a topic's. */
type ScoredPubsub = { score?: { params?: { topics?: Record<string, TopicScoreParams> } } };

function key(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64');
}

export class ScpFlood {
  private readonly opts: ScpFloodOptions;
  private readonly seen: RecentSet<string>;
  private pending: { bytes: Uint8Array; at: number }[] = [];
  private pendingBytes = 0;
  /** Core's unverifiable envelopes are logged at error, rate-limited: a core in a loop must not flood the log. */
  private readonly coreErrors: Logger;
  private readonly onSubscriptionChange = () => void this.flushPending();
  private retry: NodeJS.Timeout | null = null;

  constructor(opts: ScpFloodOptions) {
    this.opts = opts;
    this.seen = new RecentSet(opts.seenCapacity, SEEN_MS);
    this.coreErrors = rateLimited(opts.log);
  }

  start(): void {
    const { node, topic } = this.opts;
    node.services.pubsub.topicValidators.set(topic, (peer, msg) => this.validate(msg.data, peer));
    const scoreTopics = (node.services.pubsub as ScoredPubsub).score?.params?.topics;
    if (scoreTopics) scoreTopics[topic] = SCP_TOPIC_SCORE;
    else this.opts.log.warn('gossipsub exposes no topic score parameters: rejected envelopes will not lower gossip scores');
    node.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange);
    node.services.pubsub.subscribe(topic);
  }

  stop(): void {
    const { node, topic } = this.opts;
    node.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange);
    node.services.pubsub.unsubscribe(topic);
    node.services.pubsub.topicValidators.delete(topic);
    delete (node.services.pubsub as ScoredPubsub).score?.params?.topics?.[topic];
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Floods an envelope from our core. It is remembered so it never comes back to core. */
  async broadcast(bytes: Uint8Array): Promise<void> {
    const verdict = this.opts.checker.check(bytes);
    if (verdict.ok) {
      this.seen.add(key(verdict.envelope.hash));
      this.opts.metrics.seen.set(this.seen.size);
    } else {
      // Core's own envelope failing our check means a config mismatch (network passphrase): say so loudly.
      this.coreErrors.error('core broadcast an SCP envelope that does not verify; flooding it anyway', {
        reason: verdict.reason,
      });
    }
    this.opts.metrics.broadcast.inc();
    // Copy: the bytes are a view into the IPC receive buffer and gossipsub keeps messages for gossip.
    const copy = Uint8Array.prototype.slice.call(bytes);
    if (this.reachable() === 0) {
      // Published now it would reach nobody and then be refused as a duplicate on re-broadcast: hold it.
      this.pending.push({ bytes: copy, at: Date.now() });
      this.pendingBytes += copy.length;
      while (this.pending.length > PENDING_MAX || this.pendingBytes > PENDING_MAX_BYTES) {
        this.pendingBytes -= this.pending.shift()!.bytes.length;
        this.opts.metrics.pendingDropped.inc();
      }
      this.opts.metrics.pending.set(this.pending.length);
      this.scheduleRetry();
      return;
    }
    await this.publish(copy);
  }

  /**
   * Subscribers gossipsub can send to now. A peer's subscription arrives on its stream to us; ours to it may open
   * a moment later, and a message published in between never reaches it (a mesh peer gets no gossip to repair it).
   */
  private reachable(): number {
    const pubsub = this.opts.node.services.pubsub;
    const subscribers = pubsub.getSubscribers(this.opts.topic);
    // The implementation has streamsOutbound; the exported GossipSub interface does not declare it.
    const outbound = (pubsub as { streamsOutbound?: Map<string, unknown> }).streamsOutbound;
    return outbound === undefined ? subscribers.length : subscribers.filter((p) => outbound.has(p.toString())).length;
  }

  /** No event says an outbound stream opened: while envelopes are held, look again shortly. */
  private scheduleRetry(): void {
    if (this.retry !== null || this.pending.length === 0) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.flushPending();
    }, PENDING_RETRY_MS);
    this.retry.unref();
  }

  private async publish(bytes: Uint8Array): Promise<void> {
    try {
      await this.opts.node.services.pubsub.publish(this.opts.topic, bytes);
    } catch (err) {
      // Core re-broadcasting an envelope gossipsub has already sent is normal: the network has it.
      if ((err as Error).message?.includes('Duplicate')) this.opts.metrics.rebroadcastDuplicates.inc();
      else throw err;
    }
  }

  private async flushPending(): Promise<void> {
    if (this.pending.length === 0) return;
    if (this.reachable() === 0) return this.scheduleRetry();
    const cutoff = Date.now() - PENDING_MAX_AGE_MS;
    const batch = this.pending.filter((p) => p.at >= cutoff);
    this.opts.metrics.pendingDropped.inc(this.pending.length - batch.length);
    this.pending = [];
    this.pendingBytes = 0;
    this.opts.metrics.pending.set(0);
    for (const p of batch) {
      await this.publish(p.bytes).catch((err) => this.opts.log.warn('publishing a held envelope failed', { err }));
    }
  }

  /** An envelope from a peer by any path (gossip or SCP state). */
  receive(bytes: Uint8Array, from: PeerId | null): TopicValidatorResult {
    return this.validate(bytes, from);
  }

  private validate(bytes: Uint8Array, from: PeerId | null): TopicValidatorResult {
    const { metrics } = this.opts;
    const verdict = this.opts.checker.check(bytes);
    if (!verdict.ok) {
      metrics.received.labels(verdict.reason).inc();
      this.opts.log.debug('rejecting SCP envelope', { reason: verdict.reason, from: from?.toString() });
      // An honest overlay verifies every envelope before it relays or serves it: a bad one is the sender's doing.
      if (from !== null) this.opts.onMisbehave?.(from.toString(), `SCP envelope: ${verdict.reason}`, 'bad_envelope');
      return TopicValidatorResult.Reject;
    }
    if (!this.seen.add(key(verdict.envelope.hash))) {
      metrics.received.labels('duplicate').inc();
      return TopicValidatorResult.Ignore;
    }
    metrics.seen.set(this.seen.size);
    metrics.received.labels('delivered').inc();
    this.opts.deliver(bytes, verdict.envelope, from);
    return TopicValidatorResult.Accept;
  }
}
