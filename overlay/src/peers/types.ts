// What the rest of the overlay knows about a connected peer.
import type { PeerInfo } from '#ipc-protocol';

export type PeerView = PeerInfo;

export interface BanEntry {
  /** Stellar public key, G... */
  key: string;
  /** Unix ms; 0 = forever. */
  until: number;
  reason: string;
}
