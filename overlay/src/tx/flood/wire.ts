// The tx-flood peer protocol: four frames on a long-lived stream per direction, framed like the IPC wire
// (`[type u32][len u32][payload]`). Lists are a u32 count then fixed-size entries (or u32-length-prefixed txs),
// little-endian like the IPC wire. Decoders check every count against the bytes present before allocating.
import { OverlayError } from '../../util/errors.ts';

export const FloodFrame = {
  /** Announcements: count, then count × (hash 32 B ‖ fee per operation u64). */
  INV: 1,
  /** Requests for bodies: count, then count × hash. */
  GETDATA: 2,
  /** Bodies: count, then count × (len u32 ‖ TransactionEnvelope XDR). */
  TXS: 3,
  /** Hashes asked for that the sender does not have: count, then count × hash. */
  NOTFOUND: 4,
} as const;

export const HASH_BYTES = 32;
/** Overlay V2: an INV entry is a 32-byte hash and an 8-byte fee per operation. */
export const INV_ENTRY_BYTES = HASH_BYTES + 8;
/** stellar-core: adverts and demands carry at most 1000 hashes. */
export const MAX_HASHES_PER_FRAME = 1000;
/** Ours: a TXS frame stays near 1 MiB (plus at most one max-size tx), so one reply never hogs a stream. */
export const TXS_FRAME_SOFT_BYTES = 1024 * 1024;
/** The largest frame a peer may send: a TXS frame at its soft limit plus one 100 KiB tx, with slack. */
export const MAX_FLOOD_FRAME = 2 * 1024 * 1024;

export interface InvEntry {
  hash: Uint8Array;
  feePerOp: bigint;
}

function header(count: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(4 + size);
  b.writeUInt32LE(count, 0);
  return b;
}

export function encodeInv(entries: readonly InvEntry[]): Buffer {
  const b = header(entries.length, entries.length * INV_ENTRY_BYTES);
  let o = 4;
  for (const e of entries) {
    b.set(e.hash, o);
    b.writeBigUInt64LE(e.feePerOp, o + HASH_BYTES);
    o += INV_ENTRY_BYTES;
  }
  return b;
}

export function encodeHashes(hashes: readonly Uint8Array[]): Buffer {
  const b = header(hashes.length, hashes.length * HASH_BYTES);
  let o = 4;
  for (const h of hashes) {
    b.set(h, o);
    o += HASH_BYTES;
  }
  return b;
}

export function encodeTxs(txs: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const t of txs) size += 4 + t.length;
  const b = header(txs.length, size);
  let o = 4;
  for (const t of txs) {
    b.writeUInt32LE(t.length, o);
    b.set(t, o + 4);
    o += 4 + t.length;
  }
  return b;
}

function countOf(p: Uint8Array, entryBytes: number, max: number, what: string): number {
  if (p.length < 4) throw new OverlayError('PEER_PROTOCOL', `${what}: truncated`);
  const n = Buffer.from(p.buffer, p.byteOffset, p.byteLength).readUInt32LE(0);
  if (n > max) throw new OverlayError('PEER_PROTOCOL', `${what}: ${n} entries (max ${max})`);
  if (entryBytes > 0 && p.length !== 4 + n * entryBytes) throw new OverlayError('PEER_PROTOCOL', `${what}: length mismatch`);
  return n;
}

/** Decodes an INV; hashes are views into `p` (copy what you keep). */
export function decodeInv(p: Uint8Array): InvEntry[] {
  const n = countOf(p, INV_ENTRY_BYTES, MAX_HASHES_PER_FRAME, 'INV');
  const b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const out: InvEntry[] = new Array(n);
  for (let i = 0, o = 4; i < n; i++, o += INV_ENTRY_BYTES) {
    out[i] = { hash: p.subarray(o, o + HASH_BYTES), feePerOp: b.readBigUInt64LE(o + HASH_BYTES) };
  }
  return out;
}

/** Decodes GETDATA / NOTFOUND; hashes are views into `p`. */
export function decodeHashes(p: Uint8Array, what: string): Uint8Array[] {
  const n = countOf(p, HASH_BYTES, MAX_HASHES_PER_FRAME, what);
  const out: Uint8Array[] = new Array(n);
  for (let i = 0, o = 4; i < n; i++, o += HASH_BYTES) out[i] = p.subarray(o, o + HASH_BYTES);
  return out;
}

/** Decodes TXS; bodies are views into `p`. */
export function decodeTxs(p: Uint8Array, maxTxBytes: number): Uint8Array[] {
  // Each body needs at least its 4-byte length: a count beyond that cannot be honest.
  const n = countOf(p, 0, Math.floor((p.length - 4) / 4), 'TXS');
  const b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const out: Uint8Array[] = new Array(n);
  let o = 4;
  for (let i = 0; i < n; i++) {
    if (o + 4 > p.length) throw new OverlayError('PEER_PROTOCOL', 'TXS: truncated');
    const len = b.readUInt32LE(o);
    if (len > maxTxBytes) throw new OverlayError('PEER_PROTOCOL', `TXS: body of ${len} bytes (max ${maxTxBytes})`);
    if (o + 4 + len > p.length) throw new OverlayError('PEER_PROTOCOL', 'TXS: truncated');
    out[i] = p.subarray(o + 4, o + 4 + len);
    o += 4 + len;
  }
  if (o !== p.length) throw new OverlayError('PEER_PROTOCOL', 'TXS: trailing bytes');
  return out;
}
