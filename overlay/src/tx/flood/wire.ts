// The tx-flood peer protocol (v2): four frames on a long-lived stream per direction, framed like the IPC wire
// (`[type u32][len u32][payload]`). Lists are a u32 count then entries, little-endian like the IPC wire. Txs are
// named by short ids (short-id.ts: the first 8 bytes of the tx hash); the receiver of a body hashes it, so it knows
// the full hash and matches the body to the short id it asked for. Decoders check every count against the bytes
// present before allocating; malformed input is an OverlayError PEER_PROTOCOL (the caller scores the peer).
import { OverlayError } from '../../util/errors.ts';
import { SHORT_ID_BYTES } from './short-id.ts';

export const FloodFrame = {
  /** Announcements: count, then count × (short id 8 B ‖ fee per operation, unsigned LEB128 varint, 1–10 B). */
  INV: 1,
  /** Requests for bodies: count, then count × short id. */
  GETDATA: 2,
  /** Bodies: count, then count × (len u32 ‖ TransactionEnvelope XDR). */
  TXS: 3,
  /** Short ids asked for that the sender does not have: count, then count × short id. */
  NOTFOUND: 4,
} as const;

/** A u64 in LEB128: nine 7-bit groups, then a tenth holding bit 63 alone. */
export const MAX_VARINT_BYTES = 10;
/** The smallest INV entry: a short id and a one-byte fee (fees below 128 stroops per operation). */
export const MIN_INV_ENTRY_BYTES = SHORT_ID_BYTES + 1;
/** stellar-core: adverts and demands carry at most 1000 hashes. */
export const MAX_HASHES_PER_FRAME = 1000;
/** Ours: a TXS frame stays near 1 MiB (plus at most one max-size tx), so one reply never hogs a stream. */
export const TXS_FRAME_SOFT_BYTES = 1024 * 1024;
/** The largest frame a peer may send: a TXS frame at its soft limit plus one 100 KiB tx, with slack. */
export const MAX_FLOOD_FRAME = 2 * 1024 * 1024;

const U64_MAX = 2n ** 64n - 1n;
/** Groups read into a plain number before switching to bigint: 7 × 7 = 49 bits, exact in a double. */
const SMALL_GROUPS = 7;

export interface InvEntry {
  /** The tx's short id (or its full hash: only the first SHORT_ID_BYTES go on the wire). */
  id: Uint8Array;
  feePerOp: bigint;
}

function peerError(message: string): OverlayError {
  return new OverlayError('PEER_PROTOCOL', message);
}

function header(count: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(4 + size);
  b.writeUInt32LE(count, 0);
  return b;
}

function putId(b: Buffer, o: number, id: Uint8Array): void {
  if (id.length < SHORT_ID_BYTES) throw new RangeError(`a short id needs ${SHORT_ID_BYTES} bytes, got ${id.length}`);
  b.set(id.subarray(0, SHORT_ID_BYTES), o);
}

/** Bytes of `v` as an unsigned LEB128 varint; a RangeError if `v` is not a u64 (our own bug, never a peer's). */
export function varintLength(v: bigint): number {
  if (v < 0n || v > U64_MAX) throw new RangeError(`not a u64: ${v}`);
  let n = 1;
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) {
    for (let x = Number(v); x >= 0x80; x = Math.floor(x / 0x80)) n++;
  } else {
    for (let x = v; x >= 0x80n; x >>= 7n) n++;
  }
  return n;
}

/** Writes `v` (a u64, see varintLength) at `o`; returns the offset after it. */
export function writeVarint(b: Uint8Array, o: number, v: bigint): number {
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) {
    let x = Number(v);
    for (; x >= 0x80; x = Math.floor(x / 0x80)) b[o++] = (x % 0x80) | 0x80;
    b[o++] = x;
  } else {
    let x = v;
    for (; x >= 0x80n; x >>= 7n) b[o++] = Number(x & 0x7fn) | 0x80;
    b[o++] = Number(x);
  }
  return o;
}

/**
 * Reads the unsigned LEB128 varint at `o`: its value and the offset after it. Malformed: cut short, overlong (a
 * needless trailing zero group, so every value has one encoding), or beyond 2^64 − 1.
 */
export function readVarint(p: Uint8Array, o: number, what: string): [value: bigint, end: number] {
  let small = 0;
  let big = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const byte = p[o + i];
    if (byte === undefined) throw peerError(`${what}: truncated varint`);
    if (i < SMALL_GROUPS) small += (byte & 0x7f) * 2 ** (7 * i);
    else if (i === MAX_VARINT_BYTES - 1 && byte > 1) throw peerError(`${what}: varint beyond 2^64 - 1`);
    else big |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) {
      if (byte === 0 && i > 0) throw peerError(`${what}: overlong varint`);
      return [BigInt(small) | big, o + i + 1];
    }
  }
  // Unreachable: a tenth byte of 0 or 1 ends the varint, any other was refused.
  throw peerError(`${what}: varint beyond 2^64 - 1`);
}

export function encodeInv(entries: readonly InvEntry[]): Buffer {
  let size = 0;
  for (const e of entries) size += SHORT_ID_BYTES + varintLength(e.feePerOp);
  const b = header(entries.length, size);
  let o = 4;
  for (const e of entries) {
    putId(b, o, e.id);
    o = writeVarint(b, o + SHORT_ID_BYTES, e.feePerOp);
  }
  return b;
}

/** GETDATA / NOTFOUND: short ids (or full hashes: only their first SHORT_ID_BYTES go on the wire). */
export function encodeIds(ids: readonly Uint8Array[]): Buffer {
  const b = header(ids.length, ids.length * SHORT_ID_BYTES);
  for (let i = 0; i < ids.length; i++) putId(b, 4 + i * SHORT_ID_BYTES, ids[i]!);
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

function rawCount(p: Uint8Array): number {
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength).readUInt32LE(0);
}

/**
 * The count heading a list, checked before anything is allocated: at most `max`, and the bytes hold `count` entries
 * of at least `minEntryBytes` (exactly that size, if `exact`).
 */
function countOf(p: Uint8Array, what: string, max: number, minEntryBytes: number, exact: boolean): number {
  if (p.length < 4) throw peerError(`${what}: truncated`);
  const n = rawCount(p);
  if (n > max) throw peerError(`${what}: ${n} entries (max ${max})`);
  const room = p.length - 4;
  if (exact ? room !== n * minEntryBytes : room < n * minEntryBytes) throw peerError(`${what}: length mismatch`);
  return n;
}

/** The entries an INV announces at most, in constant time without decoding it: its count, bounded by its bytes. */
export function invEntriesAtMost(p: Uint8Array): number {
  if (p.length < 4) return 0;
  return Math.min(rawCount(p), Math.floor((p.length - 4) / MIN_INV_ENTRY_BYTES));
}

/** Decodes an INV; ids are views into `p` (copy what you keep). */
export function decodeInv(p: Uint8Array): InvEntry[] {
  const n = countOf(p, 'INV', MAX_HASHES_PER_FRAME, MIN_INV_ENTRY_BYTES, false);
  const out: InvEntry[] = new Array(n);
  let o = 4;
  for (let i = 0; i < n; i++) {
    if (o + SHORT_ID_BYTES > p.length) throw peerError('INV: truncated');
    const id = p.subarray(o, o + SHORT_ID_BYTES);
    const [feePerOp, end] = readVarint(p, o + SHORT_ID_BYTES, 'INV');
    out[i] = { id, feePerOp };
    o = end;
  }
  if (o !== p.length) throw peerError('INV: trailing bytes');
  return out;
}

/** Decodes GETDATA / NOTFOUND; ids are views into `p`. */
export function decodeIds(p: Uint8Array, what: string): Uint8Array[] {
  const n = countOf(p, what, MAX_HASHES_PER_FRAME, SHORT_ID_BYTES, true);
  const out: Uint8Array[] = new Array(n);
  for (let i = 0, o = 4; i < n; i++, o += SHORT_ID_BYTES) out[i] = p.subarray(o, o + SHORT_ID_BYTES);
  return out;
}

/** Decodes TXS; bodies are views into `p`. */
export function decodeTxs(p: Uint8Array, maxTxBytes: number): Uint8Array[] {
  // Each body needs at least its 4-byte length: a count beyond that cannot be honest.
  const n = countOf(p, 'TXS', Number.MAX_SAFE_INTEGER, 4, false);
  const b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const out: Uint8Array[] = new Array(n);
  let o = 4;
  for (let i = 0; i < n; i++) {
    if (o + 4 > p.length) throw peerError('TXS: truncated');
    const len = b.readUInt32LE(o);
    if (len > maxTxBytes) throw peerError(`TXS: body of ${len} bytes (max ${maxTxBytes})`);
    if (o + 4 + len > p.length) throw peerError('TXS: truncated');
    out[i] = p.subarray(o + 4, o + 4 + len);
    o += 4 + len;
  }
  if (o !== p.length) throw peerError('TXS: trailing bytes');
  return out;
}
