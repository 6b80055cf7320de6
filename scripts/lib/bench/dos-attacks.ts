// The attacks of the DoS benchmark (scripts/bench-dos.ts) against one overlay, the victim. They run in a process
// of their own (dos-attacker-child.ts), so the bench's measurements do not share an event loop with them.
//
// Frame attacks keep `slots` hostile identities (RawPeer, tests/helpers/raw-peer.ts: a real libp2p node with a
// fresh node key) connected and sending at a set rate; when the victim bans and drops one, a fresh identity
// connects in its place, as far as the victim's per-IP connection rate lets it — the way an attacker with free
// node keys would go on. The connection flood opens raw TCP connections from 127.0.0.1 and holds them.
import { createConnection } from 'node:net';
import { randomBytes } from 'node:crypto';
import { peerIdFromString } from '@libp2p/peer-id';
import { FloodFrame, encodeIds, encodeInv, encodeTxs } from '../../../overlay/src/tx/flood/wire.ts';
import { corrupt } from '../../../tests/fixtures/txs.ts';
import { RawPeer, type PeerAddress } from '../../../tests/helpers/raw-peer.ts';
import { paymentSet, type PaymentShape } from './signed-payments.ts';

// ---- constants --------------------------------------------------------------------------------------------------
export const ATTACK_KINDS = ['inv-spam', 'getdata-flood', 'bad-signature-txs', 'connection-flood'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

/** Overlay V2 / our wire: at most 1000 hashes per INV or GETDATA frame. */
const HASHES_PER_FRAME = 1000;
/** Ours: bad txs per TXS frame (every body in a frame is checked). */
const BAD_TXS_PER_FRAME = 50;
/** Ours: a one-operation payment without memo (~200 B), as the honest load. */
const BAD_TX_SHAPE: PaymentShape = { ops: 1, memoBytes: null, muxed: false, bytes: 0 };
/** Ours: bad txs come from accounts far above the bench's honest ones, one account each (no key cached twice). */
const BAD_TX_FIRST_ACCOUNT = 50_000_000;
/** Ours: how often the send loops catch up with their rate; at most a second of frames is sent at once. */
const TICK_MS = 10;
/** Ours: pause after a refused connection before the next identity tries. */
const RETRY_MS = 100;
/** Connection flood, ours: connections held open at most this long (the victim's upgrade timeout is 5 s). */
const HOLD_MS = 2000;
/** Connection flood, ours: connections open at once (well under the attacker's file descriptor limit). */
const MAX_OPEN = 256;

export interface AttackParams {
  kind: AttackKind;
  victim: PeerAddress;
  passphrase: string;
  /** Frame attacks: hostile identities connected at once. */
  slots: number;
  /** Frames per second per identity; connections per second for the flood. */
  rate: number;
}

export interface AttackStats {
  kind: AttackKind;
  /** Identities that connected (frame attacks); TCP connections established (flood). */
  connected: number;
  /** Identities whose connection failed (refused by the victim's gater: banned key or per-IP rate). */
  refused: number;
  /** Flood: connections the victim closed before we did (refused by its gater, or failed its upgrade). */
  closedByVictim: number;
  frames: number;
  /** Hashes announced or asked for, bad txs sent. */
  items: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the attack until `signal` aborts; resolves with what it did. */
export async function runAttack(p: AttackParams, signal: AbortSignal): Promise<AttackStats> {
  const stats: AttackStats = { kind: p.kind, connected: 0, refused: 0, closedByVictim: 0, frames: 0, items: 0 };
  if (p.kind === 'connection-flood') {
    await connectionFlood(p, stats, signal);
  } else {
    const make = frameMaker(p);
    await Promise.all(Array.from({ length: p.slots }, () => frameSlot(p, stats, signal, make)));
  }
  return stats;
}

type MakeFrame = () => { type: number; payload: Uint8Array; items: number };

function frameMaker(p: AttackParams): MakeFrame {
  const randomHashes = () => {
    const bytes = randomBytes(32 * HASHES_PER_FRAME);
    return Array.from({ length: HASHES_PER_FRAME }, (_, i) => bytes.subarray(32 * i, 32 * (i + 1)));
  };
  switch (p.kind) {
    case 'inv-spam':
      // Hashes nobody has: the victim wants them, asks us (we never answer) until its caps hold.
      return () => ({ type: FloodFrame.INV, payload: encodeInv(randomHashes().map((id) => ({ id, feePerOp: 1000n }))), items: HASHES_PER_FRAME });
    case 'getdata-flood':
      return () => ({ type: FloodFrame.GETDATA, payload: encodeIds(randomHashes()), items: HASHES_PER_FRAME });
    case 'bad-signature-txs': {
      // Well-formed payments whose signature fails (the hint matches, so each costs the victim a verification).
      let next = BAD_TX_FIRST_ACCOUNT;
      return () => {
        const txs = paymentSet({ count: BAD_TXS_PER_FRAME, shape: BAD_TX_SHAPE, firstAccount: next, signed: true, networkPassphrase: p.passphrase });
        next += BAD_TXS_PER_FRAME;
        return { type: FloodFrame.TXS, payload: encodeTxs(txs.map((t) => corrupt(t, 'signature'))), items: BAD_TXS_PER_FRAME };
      };
    }
    case 'connection-flood':
      throw new Error('the connection flood sends no frames');
  }
}

/** One hostile identity after another: connect, send at the rate until dropped, start over with a fresh key. */
async function frameSlot(p: AttackParams, stats: AttackStats, signal: AbortSignal, make: MakeFrame): Promise<void> {
  const victim = peerIdFromString(p.victim.peerId);
  while (!signal.aborted) {
    const peer = await RawPeer.start(p.passphrase);
    try {
      await peer.connect(p.victim);
    } catch {
      stats.refused++;
      await peer.stop().catch(() => {});
      await sleep(RETRY_MS);
      continue;
    }
    stats.connected++;
    const t0 = performance.now();
    let sent = 0;
    try {
      while (!signal.aborted && peer.node.getConnections(victim).length > 0) {
        const due = Math.floor(((performance.now() - t0) / 1000) * p.rate);
        sent = Math.max(sent, due - p.rate);
        for (; sent < due; sent++) {
          const f = make();
          peer.send(f.type, f.payload);
          stats.frames++;
          stats.items += f.items;
        }
        await sleep(TICK_MS);
      }
    } catch {
      // The stream closed under us: the victim dropped this identity.
    }
    await peer.stop().catch(() => {});
  }
}

/** Raw TCP connections from one address at `rate` per second, each held HOLD_MS unless the victim closes it. */
async function connectionFlood(p: AttackParams, stats: AttackStats, signal: AbortSignal): Promise<void> {
  let open = 0;
  let sent = 0;
  const t0 = performance.now();
  const sockets = new Set<ReturnType<typeof createConnection>>();
  while (!signal.aborted) {
    const due = Math.floor(((performance.now() - t0) / 1000) * p.rate);
    sent = Math.max(sent, due - p.rate);
    for (; sent < due && open < MAX_OPEN; sent++) {
      open++;
      let ours = false;
      const s = createConnection({ host: '127.0.0.1', port: p.victim.peerPort });
      sockets.add(s);
      s.on('connect', () => stats.connected++);
      s.on('error', () => {});
      s.on('close', () => {
        if (!ours) stats.closedByVictim++;
        open--;
        sockets.delete(s);
      });
      setTimeout(() => {
        ours = true;
        s.destroy();
      }, HOLD_MS).unref();
    }
    if (sent < due) sent = due; // at MAX_OPEN: connections not opened are skipped, not owed
    await sleep(TICK_MS);
  }
  for (const s of sockets) s.destroy();
}
