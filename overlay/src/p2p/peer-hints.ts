// Which peers named a hash (a quorum set or tx set) in their SCP envelopes: they are the first to ask for it.
// Bounded: a few peers per hash (newest kept), a fixed number of hashes (least recently used evicted).
import type { PeerId } from '@libp2p/interface';
import { LruMap } from '../util/bounded.ts';
import { toHex } from '../util/bytes.ts';

/** Ours: up to 8 peers per hash, for 10,000 hashes (several ledgers of a large network). */
const HINT_PEERS = 8;
const HINT_ENTRIES = 10_000;

export class PeerHints {
  private readonly hints = new LruMap<string, string[]>(HINT_ENTRIES);

  add(hash: Uint8Array, peer: PeerId): void {
    const k = toHex(hash);
    const list = this.hints.get(k) ?? [];
    const id = peer.toString();
    if (list.includes(id)) return;
    list.push(id);
    if (list.length > HINT_PEERS) list.shift();
    this.hints.set(k, list);
  }

  /** Peers (PeerId strings) that named `hash`, oldest first. */
  peersFor(hash: Uint8Array | string): readonly string[] {
    return this.hints.peek(typeof hash === 'string' ? hash : toHex(hash)) ?? [];
  }
}
