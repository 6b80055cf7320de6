// IPC fuzzer: `node scripts/fuzz-ipc.ts [--frames 1000000] [--seed N] [--socket PATH [--pid PID] [--admin URL]]`.
//
// Sends random frames and mutations of the golden vectors (tests/vectors/ipc-frames.txt: bit flips, truncation,
// extension, length-field lies, type swaps, splices, huge counts) to a live overlay over many connections, in both
// dialects (HELLO first, or not), and checks what docs/ipc-protocol.md §6 promises:
//  - every frame that does not decode gets exactly one ERROR with the right code, request id and refType in an
//    extension session, and nothing at all in a V2 session (where the overlay never sends an extension frame);
//  - an oversized length closes the connection (after ERROR{FRAME_TOO_LARGE} in an extension session);
//  - every bad frame is counted (overlay_ipc_errors_total moves by exactly the number of bad frames sent);
//  - the process stays alive, /healthz answers, no uncaught exception is logged, no handler fails (INTERNAL);
//  - its memory stays bounded (RSS from /proc/<pid>/status: end ≤ 2 × the value after warm-up, peak under a cap).
// The oracle is a model of the byte stream: this script frames what it sends exactly as the overlay will (so a
// length lie that swallows the next frames is predicted, not guessed) and decodes each frame with ipc-protocol.
// Frames that would decode to SHUTDOWN or SET_PEER_CONFIG are never sent (they would stop the overlay or make it
// dial the world); everything else valid is sent and served as usual.
//
// Seeded (mulberry32): the same seed sends the same bytes on the same connections. Without --socket it starts its
// own overlay. Prints frames/s and a summary; writes bench-results/fuzz-ipc.json. Exit code 1 on any failure.
// The library entry point, fuzzIpc(), is what tests/integration/fuzz-ipc.test.ts runs.
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Keypair } from '@stellar/stellar-base';
import {
  ALL_FEATURES,
  ErrorCode,
  FrameDecoder,
  HEADER_SIZE,
  MAX_PAYLOAD,
  MESSAGE_NAMES,
  MsgType,
  PROTOCOL_VERSION,
  ProtocolError,
  decodeMessage,
  encodeFrame,
  entryById,
  errorCodeName,
  isV2,
  localHello,
  negotiate,
  networkIdOf,
  peekRequestId,
  type ErrorCodeName,
  type FeatureName,
  type Hello,
} from '#ipc-protocol';
import { readVectors } from '../tests/helpers/vectors.ts';
import { launchOverlay } from './lib/overlay-launch.ts';
import { DEFAULT_NETWORK_PASSPHRASE } from './lib/overlay-net.ts';
import { freePeerPort } from './lib/ports.ts';

// ---- constants --------------------------------------------------------------------------------------------------
const TESTNET = DEFAULT_NETWORK_PASSPHRASE;
/** Ours: frames a connection carries at most (log-uniform in 1..this), so there are many short connections. */
const MAX_FRAMES_PER_CONNECTION = 2000;
/** Ours: RSS sampling period and health-check period. */
const RSS_SAMPLE_MS = 250;
const HEALTH_EVERY_MS = 2000;
const HEALTH_TIMEOUT_MS = 5000;
/** Ours: the first 10 % of frames are warm-up; RSS at its end is the baseline. */
const WARMUP_FRACTION = 0.1;
/** Ours: end RSS may be at most this multiple of the baseline. */
const RSS_GROWTH_LIMIT = 2;
/** Ours: an overlay above 1 GiB under this load is leaking (it idles near 200 MiB). */
const DEFAULT_RSS_CAP_BYTES = 1024 * 1024 * 1024;
/** Ours: how long the overlay gets to answer a barrier or to close after a fatal frame (it may be busy). */
const REPLY_TIMEOUT_MS = 20_000;
/** Ours: bytes or frames queued before one socket write. */
const WRITE_BATCH_BYTES = 64 * 1024;
const WRITE_BATCH_FRAMES = 256;
/**
 * Ours: share of units whose header lies about the length. Each desynchronises the stream, which then almost
 * surely hits an oversized "length" and ends the connection, so these are kept rare enough for connections to
 * carry a few hundred frames on average.
 */
const FRAMING_ATTACK_RATE = 0.004;
/** Ours: a legal length lie is at most this big (so filling it in costs little). */
const BIG_LIE_MAX = 1024 * 1024;
/** Ours: extension mutations append up to this many bytes (rarely; usually ≤ 64). */
const BIG_EXTENSION = 64 * 1024;
/** Ours: retries when the overlay still holds our previous connection (ALREADY_CONNECTED). */
const CONNECT_ATTEMPTS = 200;
const CONNECT_RETRY_MS = 10;
/** Ours: examples of each failure kept in the report. */
const MAX_EXAMPLES = 10;
/** Never sent when they would decode: they stop the overlay or make it dial out. */
const NEVER_VALID: ReadonlySet<string> = new Set(['SHUTDOWN', 'SET_PEER_CONFIG']);
/** Codes a handler may answer a well-formed request with (docs/ipc-protocol.md §6); INTERNAL is a bug. */
const HANDLER_CODES: ReadonlySet<string> = new Set(['TIMEOUT', 'NOT_FOUND', 'BUSY', 'INVALID_REQUEST', 'SHUTTING_DOWN']);
/** Type ids beyond the catalogue worth trying: unassigned, gaps, edges. */
const ODD_TYPES = [0, 9, 14, 63, 75, 99, 106, 163, 177, 199, 200, 255, 256, 0x7fffffff, 0xffffffff];
/** Values written over u32 fields by the "huge count" mutation. */
const HUGE_COUNTS = [0xffffffff, 0x7fffffff, 0x80000000, 100_001, 1_000_000, 65_536, 0x01000000];
const BARRIER = MsgType.REQUEST_OVERLAY_METRICS;

type Mode = 'extended' | 'v2' | 'undecided' | 'bad-hello';

export interface FuzzOptions {
  socketPath: string;
  /** Frames to send in all (the barrier frames closing each connection not included). */
  frames: number;
  seed: number;
  /** The overlay's process id, for RSS sampling; without it memory is not checked. */
  pid?: number;
  /** The overlay's admin URL, for /healthz and the error counter; without it those are not checked. */
  adminUrl?: string;
  /** Default: the test network. */
  networkPassphrase?: string;
  /** The overlay's ipc.max_payload. Default 16 MiB. */
  maxPayload?: number;
  rssCapBytes?: number;
  /** Lines of the overlay's log matching `re` (uncaught exceptions, failed handlers); optional. */
  countLogged?: (re: RegExp) => number;
  /** Progress lines (frames/s); default none. */
  progress?: (line: string) => void;
}

export interface FuzzReport {
  ok: boolean;
  failures: string[];
  seed: number;
  frames: number;
  bytes: number;
  durationMs: number;
  framesPerSec: number;
  connections: Record<Mode, number>;
  closedByOverlay: { frameTooLarge: number; helloRefused: number };
  alreadyConnectedRetries: number;
  /** Frames the overlay saw, by how they should fare: 'valid' or the error code. */
  outcomes: Record<string, number>;
  errorsReceived: Record<string, number>;
  handlerErrors: number;
  countedErrors: { expected: number; counted: number | null };
  rss: { startBytes: number; peakBytes: number; endBytes: number; capBytes: number; samples: number } | null;
  health: { checks: number; failures: number };
  alive: boolean;
  logged: { uncaughtExceptions: number; handlerFailures: number } | null;
  violations: Record<string, { count: number; examples: string[] }>;
}

// ---- seeded randomness ------------------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough to pick mutations; the same seed replays the same run. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  u32(): number {
    return this.int(0x1_0000_0000);
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

// ---- frame generation -------------------------------------------------------------------------------------------

function frameOf(type: number, payload: Uint8Array, length = payload.length): Buffer {
  const b = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  b.writeUInt32LE(type >>> 0, 0);
  b.writeUInt32LE(length >>> 0, 4);
  b.set(payload, HEADER_SIZE);
  return b;
}

const payloadOf = (f: Buffer) => f.subarray(HEADER_SIZE);
/** Sets the length field to `n`, or (`fix`) to the payload's true length. */
const withLength = (f: Buffer, n: number, fix = false) => (f.writeUInt32LE(fix ? f.length - HEADER_SIZE : n >>> 0, 4), f);

/** Builds the bytes of one fuzz unit: usually one (mutated) frame, sometimes with a lying header. */
export class FrameGenerator {
  private readonly rng: Rng;
  /** Vectors whose header is true (mutated freely). */
  private readonly corpus: Buffer[];
  /** Vectors whose header announces more than they hold (the oversized ones): framing attacks only. */
  private readonly lying: Buffer[];
  private readonly maxPayload: number;
  private readonly types: number[];

  constructor(rng: Rng, maxPayload: number) {
    this.rng = rng;
    this.maxPayload = maxPayload;
    const all = readVectors().map((v) => v.bytes);
    const honest = (b: Buffer) => b.readUInt32LE(4) === b.length - HEADER_SIZE;
    this.corpus = all.filter(honest);
    this.lying = all.filter((b) => !honest(b));
    this.types = [...MESSAGE_NAMES.map((n) => MsgType[n] as number), ...ODD_TYPES];
  }

  unit(): Buffer {
    const r = this.rng;
    let f = r.chance(0.1) ? this.randomFrame() : Buffer.from(r.pick(this.corpus));
    if (r.chance(0.1)) return f; // the vector as it is: valid frames and known-bad ones
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) f = this.mutate(f);
    // Rarely, an attack on the framing itself. Any of these desynchronises the stream, and the next "header" is
    // then random bytes whose length is almost surely over the limit: the connection ends there.
    if (r.chance(FRAMING_ATTACK_RATE)) f = this.framingAttack(f);
    return f;
  }

  /** A frame some valid-looking type with random bytes, length consistent. */
  randomFrame(): Buffer {
    const r = this.rng;
    const len = r.chance(0.9) ? r.int(128) : r.int(4096);
    return frameOf(r.pick(this.types), r.bytes(len));
  }

  /** Mutations that keep the header's length true (the payload and type are fair game). */
  private mutate(f: Buffer): Buffer {
    const r = this.rng;
    switch (r.int(7)) {
      case 0: // bit flips in the type or the payload
        return this.bitFlips(f);
      case 1: // truncation
        return withLength(this.truncate(f), 0, true);
      case 2: // extension
        return withLength(this.extend(f), 0, true);
      case 3: // type swap
        f.writeUInt32LE(r.chance(0.7) ? r.pick(this.types) : r.u32(), 0);
        return f;
      case 4:
        return this.splice(f);
      case 5:
        return this.hugeCount(f);
      default: // a byte run overwritten with one value (0x00, 0xff, random)
        return this.smear(f);
    }
  }

  /** A header that lies: a length that is not the payload's, by design or by a flipped bit, or a cut frame. */
  private framingAttack(f: Buffer): Buffer {
    const r = this.rng;
    switch (r.int(5)) {
      case 4: // an oversized vector as it is
        return this.lying.length > 0 ? Buffer.from(r.pick(this.lying)) : this.lengthLie(f);
      case 0: // bit flips in the length field
        for (let i = 1 + r.int(3); i > 0; i--) f[4 + r.int(4)]! ^= 1 << r.int(8);
        return f;
      case 1: // truncated, header left as it was
        return this.truncate(f);
      case 2: // extended, header left as it was
        return this.extend(f);
      default:
        return this.lengthLie(f);
    }
  }

  private bitFlips(f: Buffer): Buffer {
    const r = this.rng;
    const n = 1 + r.int(8);
    for (let i = 0; i < n; i++) {
      const at = f.length > HEADER_SIZE && r.chance(0.9) ? HEADER_SIZE + r.int(f.length - HEADER_SIZE) : r.int(4);
      f[at]! ^= 1 << r.int(8);
    }
    return f;
  }

  /** Cuts the payload short; the header still announces the old length. */
  private truncate(f: Buffer): Buffer {
    const p = payloadOf(f);
    if (p.length === 0) return f;
    return Buffer.from(f.subarray(0, HEADER_SIZE + this.rng.int(p.length)));
  }

  /** Appends bytes; the header still announces the old length. */
  private extend(f: Buffer): Buffer {
    const r = this.rng;
    const n = r.chance(0.02) ? 1 + r.int(BIG_EXTENSION) : 1 + r.int(64);
    const extra = r.chance(0.5) ? r.bytes(n) : Buffer.alloc(n, r.chance(0.5) ? 0 : 0xff);
    return Buffer.concat([f, extra]);
  }

  private lengthLie(f: Buffer): Buffer {
    const r = this.rng;
    const actual = f.length - HEADER_SIZE;
    const over = this.maxPayload + 1;
    const choices = [
      () => Math.max(0, actual + r.int(33) - 16),
      () => 0,
      () => r.int(4096),
      () => over,
      () => over + r.int(0xffffffff - over),
      () => 0xffffffff,
      () => (r.chance(0.2) ? r.int(Math.min(BIG_LIE_MAX, this.maxPayload) + 1) : Math.max(0, actual - 1)),
    ];
    return withLength(f, r.pick(choices)());
  }

  private splice(f: Buffer): Buffer {
    const r = this.rng;
    const other = r.pick(this.corpus);
    if (r.chance(0.5)) {
      // this header, that payload (length fixed)
      const p = payloadOf(other);
      return frameOf(f.readUInt32LE(0), p);
    }
    // the head of this payload, the tail of that one
    const a = payloadOf(f);
    const b = payloadOf(other);
    const p = Buffer.concat([a.subarray(0, r.int(a.length + 1)), b.subarray(r.int(b.length + 1))]);
    return frameOf(f.readUInt32LE(0), p);
  }

  private hugeCount(f: Buffer): Buffer {
    const r = this.rng;
    const p = payloadOf(f);
    if (p.length < 4) return f;
    // Counts live at 0 (lists), 8 (after a request id), 32/36/40 (after hashes) in our layouts; else anywhere.
    const spots = [0, 8, 12, 32, 36, 40].filter((o) => o + 4 <= p.length);
    const at = spots.length > 0 && r.chance(0.7) ? r.pick(spots) : r.int(p.length - 3);
    p.writeUInt32LE(r.pick(HUGE_COUNTS), at);
    return f;
  }

  private smear(f: Buffer): Buffer {
    const r = this.rng;
    const p = payloadOf(f);
    if (p.length === 0) return f;
    const at = r.int(p.length);
    const n = 1 + r.int(Math.min(64, p.length - at));
    p.fill(r.pick([0, 0xff, r.int(256)]), at, at + n);
    return f;
  }
}

// ---- the oracle: the stream as the overlay frames it ------------------------------------------------------------

export interface ModelFrame {
  type: number;
  payload: Uint8Array;
}

export interface FeedResult {
  frames: ModelFrame[];
  /** Set when a header announces more than the limit: the overlay's framing is lost there. */
  fatal: { type: number; length: number } | null;
}

/** Frames bytes exactly as ipc-protocol's FrameDecoder does (written independently, as a cross-check). */
export class StreamModel {
  private readonly maxPayload: number;
  private chunks: Buffer[] = [];
  private total = 0;
  /** Announced payload length of the frame in progress, once its header is complete. */
  private length = -1;
  dead = false;

  constructor(maxPayload: number) {
    this.maxPayload = maxPayload;
  }

  /** Bytes still needed to finish the frame in progress (0 at a frame boundary). */
  needed(): number {
    if (this.total === 0) return 0;
    if (this.total < HEADER_SIZE) return HEADER_SIZE - this.total;
    return HEADER_SIZE + this.length - this.total;
  }

  /** What appending `bytes` would produce; applied only when `commit`. */
  feed(bytes: Buffer, commit: boolean): FeedResult {
    // Inside a frame this does not finish: nothing happens yet (the common case for big lies).
    if (this.length >= 0 && bytes.length < this.needed()) {
      if (commit) {
        this.chunks.push(bytes);
        this.total += bytes.length;
      }
      return { frames: [], fatal: null };
    }
    const buf = this.total > 0 ? Buffer.concat([...this.chunks, bytes]) : bytes;
    const frames: ModelFrame[] = [];
    let off = 0;
    let fatal: FeedResult['fatal'] = null;
    while (buf.length - off >= HEADER_SIZE) {
      const type = buf.readUInt32LE(off);
      const length = buf.readUInt32LE(off + 4);
      if (length > this.maxPayload) {
        fatal = { type, length };
        break;
      }
      if (buf.length - off - HEADER_SIZE < length) break;
      frames.push({ type, payload: buf.subarray(off + HEADER_SIZE, off + HEADER_SIZE + length) });
      off += HEADER_SIZE + length;
    }
    if (commit) {
      if (fatal) this.dead = true;
      const rest = buf.subarray(off);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.total = rest.length;
      this.length = rest.length >= HEADER_SIZE ? rest.readUInt32LE(4) : -1;
    }
    return { frames, fatal };
  }
}

/** How a frame fares in an established session: 'valid' (handled) or the code of the ERROR/drop it earns. */
export function classify(
  f: ModelFrame,
  session: { extended: boolean; features: ReadonlySet<string> },
): { outcome: 'valid'; name: string } | { outcome: ErrorCodeName; requestId: bigint } {
  let name: string;
  try {
    name = decodeMessage(f.type, f.payload, { direction: 'toOverlay' }).type;
  } catch (err) {
    const code = err instanceof ProtocolError ? err.code : 'MALFORMED_PAYLOAD';
    return { outcome: code, requestId: peekRequestId(f.type, f.payload) };
  }
  const entry = entryById(f.type)!;
  if (name === 'HELLO') return { outcome: 'PROTOCOL_STATE', requestId: peekRequestId(f.type, f.payload) };
  if (entry.feature !== null && !(session.extended && session.features.has(entry.feature))) {
    return { outcome: 'NOT_NEGOTIATED', requestId: peekRequestId(f.type, f.payload) };
  }
  return { outcome: 'valid', name };
}

function decodes(f: ModelFrame): boolean {
  try {
    decodeMessage(f.type, f.payload, { direction: 'toOverlay' });
    return true;
  } catch {
    return false;
  }
}

function isDangerous(f: ModelFrame): boolean {
  const entry = entryById(f.type);
  return entry !== undefined && NEVER_VALID.has(entry.name) && decodes(f);
}

// ---- the run ----------------------------------------------------------------------------------------------------

interface Reply {
  type: number;
  name: string;
  error?: { code: number; refType: number; requestId: bigint };
}

class Failures {
  readonly byKind: FuzzReport['violations'] = {};
  add(kind: string, example: string): void {
    const v = (this.byKind[kind] ??= { count: 0, examples: [] });
    v.count++;
    if (v.examples.length < MAX_EXAMPLES) v.examples.push(example.slice(0, 300));
  }
  get count(): number {
    return Object.values(this.byKind).reduce((a, v) => a + v.count, 0);
  }
}

class OverlayGone extends Error {}

/** One connection to the overlay, with its replies decoded as they come. */
class Conn {
  readonly socket: Socket;
  readonly replies: Reply[] = [];
  closed = false;
  private wake: (() => void) | null = null;
  private readonly failures: Failures;
  /** Set once we know the dialect, to check what the overlay may send. */
  v2 = false;

  private constructor(socket: Socket, failures: Failures) {
    this.socket = socket;
    this.failures = failures;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (type, payload) => this.onReply(type, payload));
      } catch (err) {
        this.failures.add('overlay sent a frame we cannot frame', String(err));
        socket.destroy();
      }
      this.poke();
    });
    socket.on('drain', () => this.poke());
    socket.on('close', () => {
      this.closed = true;
      this.poke();
    });
    socket.on('error', () => {});
  }

  static open(path: string, failures: Failures): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => resolve(new Conn(s, failures)));
      s.once('error', (err) => reject(new OverlayGone(`cannot connect to ${path}: ${err.message}`)));
    });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private onReply(type: number, payload: Uint8Array): void {
    let msg;
    try {
      msg = decodeMessage(type, payload, { direction: 'toCore' });
    } catch (err) {
      this.failures.add('overlay sent an undecodable frame', `type ${type}: ${(err as Error).message}`);
      return;
    }
    const entry = entryById(type)!;
    if (this.v2 && !isV2(entry)) this.failures.add('extension frame sent to a V2 core', msg.type);
    const r: Reply = { type, name: msg.type };
    if (msg.type === 'ERROR') r.error = { code: msg.error.code, refType: msg.error.refType, requestId: msg.requestId };
    this.replies.push(r);
  }

  /** Waits until `done()` holds or the socket closes; false on timeout. */
  async until(done: () => boolean, timeoutMs = REPLY_TIMEOUT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.closed) return done();
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return true;
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.closed) return;
    if (!this.socket.write(bytes)) {
      await this.until(() => this.socket.writableLength === 0 || this.closed);
    }
  }

  async end(): Promise<void> {
    this.socket.end();
    await this.until(() => this.closed, 5000);
    this.socket.destroy();
  }
}

export async function fuzzIpc(opts: FuzzOptions): Promise<FuzzReport> {
  return new Fuzzer(opts).run();
}

class Fuzzer {
  private readonly opts: FuzzOptions;
  private readonly rng: Rng;
  private readonly gen: FrameGenerator;
  private readonly maxPayload: number;
  private readonly networkId: Uint8Array;
  private readonly localHello: Hello;
  private readonly failures = new Failures();
  private framesSent = 0;
  private bytesSent = 0;
  private expectedCounted = 0;
  private handlerErrors = 0;
  private retries = 0;
  private readonly connections: Record<Mode, number> = { extended: 0, v2: 0, undecided: 0, 'bad-hello': 0 };
  private readonly closedByOverlay = { frameTooLarge: 0, helloRefused: 0 };
  private readonly outcomes: Record<string, number> = {};
  private readonly errorsReceived: Record<string, number> = {};
  private rss = { start: 0, peak: 0, end: 0, samples: 0 };
  private readonly health = { checks: 0, failures: 0 };

  constructor(opts: FuzzOptions) {
    this.opts = opts;
    this.rng = new Rng(opts.seed);
    this.maxPayload = opts.maxPayload ?? MAX_PAYLOAD;
    this.gen = new FrameGenerator(this.rng, this.maxPayload);
    this.networkId = networkIdOf(opts.networkPassphrase ?? TESTNET);
    this.localHello = localHello('fuzz-ipc', this.networkId, ALL_FEATURES);
  }

  async run(): Promise<FuzzReport> {
    const { opts } = this;
    const counted0 = await this.countedErrors();
    const warmup = Math.floor(opts.frames * WARMUP_FRACTION);
    const sampler = opts.pid === undefined ? null : setInterval(() => this.sampleRss(), RSS_SAMPLE_MS);
    const checker = opts.adminUrl === undefined ? null : setInterval(() => void this.checkHealth(), HEALTH_EVERY_MS);
    const t0 = Date.now();
    let lastProgress = t0;
    let lastFrames = 0;
    try {
      while (this.framesSent < opts.frames) {
        if (this.rss.start === 0 && opts.pid !== undefined && this.framesSent >= warmup) this.rss.start = this.readRss();
        const budget = Math.min(opts.frames - this.framesSent, Math.ceil(Math.exp(this.rng.next() * Math.log(MAX_FRAMES_PER_CONNECTION))));
        await this.connection(this.pickMode(), budget);
        const now = Date.now();
        if (opts.progress && now - lastProgress >= 5000) {
          opts.progress(`${this.framesSent} frames, ${Math.round(((this.framesSent - lastFrames) * 1000) / (now - lastProgress))} frames/s`);
          lastProgress = now;
          lastFrames = this.framesSent;
        }
      }
    } catch (err) {
      if (!(err instanceof OverlayGone)) throw err;
      this.failures.add('overlay unreachable', err.message);
    } finally {
      if (sampler) clearInterval(sampler);
      if (checker) clearInterval(checker);
    }
    const durationMs = Date.now() - t0;
    if (opts.pid !== undefined) {
      if (this.rss.start === 0) this.rss.start = this.readRss();
      this.rss.end = this.readRss();
      this.rss.peak = Math.max(this.rss.peak, this.rss.end);
    }
    const alive = this.alive();
    if (opts.adminUrl !== undefined) await this.checkHealth(true);
    const counted1 = await this.countedErrors();
    return this.report(durationMs, alive, counted0 === null || counted1 === null ? null : counted1 - counted0);
  }

  private pickMode(): Mode {
    const x = this.rng.next();
    return x < 0.45 ? 'extended' : x < 0.85 ? 'v2' : x < 0.95 ? 'undecided' : 'bad-hello';
  }

  /** Connects, retrying while the overlay still holds our previous connection; `probe` decides that. */
  private async connect(probe: (c: Conn) => Promise<'ok' | 'busy'>): Promise<Conn> {
    for (let attempt = 0; attempt < CONNECT_ATTEMPTS; attempt++) {
      if (!this.alive()) throw new OverlayGone('overlay process is gone');
      const c = await Conn.open(this.opts.socketPath, this.failures);
      if ((await probe(c)) === 'ok') return c;
      this.retries++;
      await c.end();
      await new Promise((r) => setTimeout(r, CONNECT_RETRY_MS));
    }
    throw new OverlayGone(`overlay refused ${CONNECT_ATTEMPTS} connections in a row as ALREADY_CONNECTED`);
  }

  private static busy(c: Conn): boolean {
    return c.replies.some((r) => r.error?.code === ErrorCode.ALREADY_CONNECTED);
  }

  private async connection(mode: Mode, budget: number): Promise<void> {
    this.connections[mode]++;
    if (mode === 'bad-hello') return this.badHello();
    const model = new StreamModel(this.maxPayload);
    let features: ReadonlySet<FeatureName> = new Set();
    // Drawn before connecting, so a retried connection sends the same bytes (the run stays reproducible).
    const junk = mode === 'undecided' ? this.undecidedJunk() : [];
    const offer = this.rng.chance(0.7) ? [...ALL_FEATURES] : ALL_FEATURES.filter(() => this.rng.chance(0.5));
    const conn = await this.connect(async (c) => {
      if (mode === 'v2') {
        await c.write(encodeFrame({ type: 'REQUEST_OVERLAY_METRICS' }));
        await c.until(() => Fuzzer.busy(c) || c.replies.some((r) => r.name === 'OVERLAY_METRICS_RESPONSE'));
        if (Fuzzer.busy(c)) return 'busy';
        c.v2 = true; // from here on, the overlay must never send an extension frame (not even ERROR)
        c.replies.length = 0;
        return 'ok';
      }
      // Undecided first: frames that do not decode are dropped and counted, and the session stays undecided.
      if (junk.length > 0) await c.write(Buffer.concat(junk));
      await c.write(encodeFrame({ type: 'HELLO', hello: { ...this.localHello, features: offer } }));
      await c.until(() => Fuzzer.busy(c) || c.replies.some((r) => r.name === 'HELLO_ACK' || r.name === 'ERROR'));
      if (Fuzzer.busy(c)) return 'busy';
      const before = c.replies.findIndex((r) => r.name === 'HELLO_ACK');
      if (before < 0) {
        this.failures.add('no HELLO_ACK to a good HELLO', `replies: ${c.replies.map((r) => r.name).join(',')}`);
        return 'ok';
      }
      if (before > 0) this.failures.add('frames before HELLO_ACK in an undecided session', c.replies.slice(0, before).map((r) => r.name).join(','));
      features = negotiate(this.localHello, { ...this.localHello, features: offer }).features;
      this.expectedCounted += junk.length;
      this.bump('undecided-drop', junk.length);
      this.framesSent += junk.length;
      c.replies.length = 0;
      return 'ok';
    });
    await this.fuzzSession(conn, model, { extended: mode !== 'v2', features }, budget);
  }

  /** 1–20 whole frames that do not decode: any other frame (HELLO included) would decide the dialect. */
  private undecidedJunk(): Buffer[] {
    const junk: Buffer[] = [];
    for (let n = 1 + this.rng.int(20); junk.length < n; ) {
      const f = this.gen.unit();
      if (f.length < HEADER_SIZE || f.readUInt32LE(4) !== f.length - HEADER_SIZE || f.length - HEADER_SIZE > this.maxPayload) continue;
      if (decodes({ type: f.readUInt32LE(0), payload: payloadOf(f) })) continue;
      junk.push(f);
    }
    return junk;
  }

  /** A HELLO with the wrong version or network: ERROR with that code, then the overlay closes. */
  private async badHello(): Promise<void> {
    const version = this.rng.chance(0.5);
    const hello: Hello = version
      ? { ...this.localHello, protocolVersion: PROTOCOL_VERSION + 1 + this.rng.int(100) }
      : { ...this.localHello, networkId: networkIdOf(`not the network ${this.rng.u32()}`) };
    const want = version ? ErrorCode.VERSION_MISMATCH : ErrorCode.NETWORK_MISMATCH;
    const c = await this.connect(async (c) => {
      await c.write(encodeFrame({ type: 'HELLO', hello }));
      await c.until(() => c.closed || c.replies.some((r) => r.name === 'ERROR'));
      return Fuzzer.busy(c) ? 'busy' : 'ok';
    });
    if (!(await c.until(() => c.closed))) this.failures.add('connection kept after a refused HELLO', `code ${want}`);
    const e = c.replies.find((r) => r.error)?.error;
    if (e?.code !== want || e.refType !== MsgType.HELLO || e.requestId !== 0n) {
      this.failures.add('wrong answer to a refused HELLO', `want code ${want}, got ${JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
    this.expectedCounted++;
    this.framesSent++;
    this.closedByOverlay.helloRefused++;
    this.bump(version ? 'VERSION_MISMATCH' : 'NETWORK_MISMATCH');
    this.countErrors(c);
    await c.end();
  }

  private async fuzzSession(
    conn: Conn,
    model: StreamModel,
    session: { extended: boolean; features: ReadonlySet<string> },
    budget: number,
  ): Promise<void> {
    const expected = new Map<string, number>();
    const validTypes = new Set<number>();
    let barriersOwed = 0;
    let fatal: FeedResult['fatal'] = null;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const bytes = Buffer.concat(batch);
      batch = [];
      batchBytes = 0;
      this.bytesSent += bytes.length;
      if (this.rng.chance(0.1) && bytes.length > 1) {
        // A split at a random byte, with a pause: the overlay sees a frame (or a header) in two reads.
        const at = 1 + this.rng.int(bytes.length - 1);
        await conn.write(bytes.subarray(0, at));
        await new Promise((r) => setTimeout(r, 1));
        await conn.write(bytes.subarray(at));
      } else {
        await conn.write(bytes);
      }
    };
    const account = (r: FeedResult) => {
      for (const f of r.frames) {
        const c = classify(f, session);
        this.bump(c.outcome);
        if (c.outcome === 'valid') {
          validTypes.add(f.type);
          if (f.type === BARRIER) barriersOwed++;
          continue;
        }
        this.expectedCounted++;
        if (session.extended) {
          const k = errorKey(ErrorCode[c.outcome], f.type, c.requestId);
          expected.set(k, (expected.get(k) ?? 0) + 1);
        }
      }
      if (r.fatal) {
        fatal = r.fatal;
        this.expectedCounted++;
        this.bump('FRAME_TOO_LARGE');
      }
    };
    /** The bytes to send for one unit, never a frame that would decode as SHUTDOWN or SET_PEER_CONFIG. */
    const safeUnit = (): Buffer | null => {
      for (let i = 0; i < 20; i++) {
        const u = this.gen.unit();
        if (!model.feed(u, false).frames.some(isDangerous)) return u;
      }
      return null;
    };

    for (let sent = 0; sent < budget && !conn.closed; sent++) {
      const u = safeUnit();
      if (u === null) continue;
      account(model.feed(u, true));
      this.framesSent++;
      batch.push(u);
      batchBytes += u.length;
      if (fatal) break;
      if (batchBytes >= WRITE_BATCH_BYTES || batch.length >= WRITE_BATCH_FRAMES) await flush();
    }

    // Finish any frame a lie left open (so the barrier is read as a frame), then the barrier.
    while (!fatal && model.needed() > 0) {
      let pad = Buffer.alloc(model.needed());
      if (model.feed(pad, false).frames.some(isDangerous)) pad = Buffer.alloc(pad.length, 0xff);
      account(model.feed(pad, true));
      batch.push(pad);
    }
    if (!fatal) {
      const b = encodeFrame({ type: 'REQUEST_OVERLAY_METRICS' });
      account(model.feed(b, true));
      batch.push(b);
    }
    await flush();

    if (fatal) {
      const { type } = fatal as { type: number; length: number };
      this.closedByOverlay.frameTooLarge++;
      if (!(await conn.until(() => conn.closed))) this.failures.add('connection kept after an oversized frame', `type ${type}`);
      if (session.extended) {
        const k = errorKey(ErrorCode.FRAME_TOO_LARGE, type, 0n);
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
    } else {
      const ok = await conn.until(() => conn.replies.filter((r) => r.name === 'OVERLAY_METRICS_RESPONSE').length >= barriersOwed);
      if (!ok) this.failures.add(conn.closed ? 'connection closed by the overlay without cause' : 'no answer to the barrier', `after ${budget} frames`);
    }

    // Every ERROR is expected (one per bad frame) or a handler's answer to a well-formed request.
    for (const r of conn.replies) {
      if (!r.error) continue;
      const k = errorKey(r.error.code, r.error.refType, r.error.requestId);
      const left = expected.get(k) ?? 0;
      if (left > 0) {
        expected.set(k, left - 1);
        continue;
      }
      const name = errorCodeName(r.error.code) ?? String(r.error.code);
      if (HANDLER_CODES.has(name) && validTypes.has(r.error.refType)) {
        this.handlerErrors++;
        continue;
      }
      this.failures.add(name === 'INTERNAL' ? 'INTERNAL error (a handler failed)' : 'unexpected ERROR', k);
    }
    for (const [k, left] of expected) if (left > 0) this.failures.add('missing ERROR for a bad frame', `${k} ×${left}`);
    this.countErrors(conn);
    await conn.end();
  }

  private countErrors(c: Conn): void {
    for (const r of c.replies) {
      if (!r.error) continue;
      const name = errorCodeName(r.error.code) ?? String(r.error.code);
      this.errorsReceived[name] = (this.errorsReceived[name] ?? 0) + 1;
    }
  }

  private bump(outcome: string, n = 1): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + n;
  }

  // ---- process checks -------------------------------------------------------------------------------------------

  private alive(): boolean {
    if (this.opts.pid === undefined) return true;
    try {
      process.kill(this.opts.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  private readRss(): number {
    try {
      const status = readFileSync(`/proc/${this.opts.pid}/status`, 'utf8');
      const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
      return kb * 1024;
    } catch {
      return 0;
    }
  }

  private sampleRss(): void {
    const v = this.readRss();
    this.rss.samples++;
    if (v > this.rss.peak) this.rss.peak = v;
  }

  private async checkHealth(final = false): Promise<void> {
    this.health.checks++;
    try {
      const res = await fetch(`${this.opts.adminUrl}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      this.health.failures++;
      this.failures.add(final ? '/healthz does not answer at the end' : '/healthz failed during the run', String(err));
    }
  }

  private async countedErrors(): Promise<number | null> {
    if (this.opts.adminUrl === undefined) return null;
    try {
      const text = await (await fetch(`${this.opts.adminUrl}/metrics`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('overlay_ipc_errors_total'))
        .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    } catch {
      return null;
    }
  }

  private report(durationMs: number, alive: boolean, counted: number | null): FuzzReport {
    const { opts } = this;
    const failures: string[] = [];
    if (!alive) failures.push('the overlay process died');
    for (const [kind, v] of Object.entries(this.failures.byKind)) failures.push(`${kind}: ${v.count} (e.g. ${v.examples[0]})`);
    if (counted !== null && counted !== this.expectedCounted) {
      failures.push(`overlay_ipc_errors_total moved by ${counted}, expected ${this.expectedCounted} (one per bad frame)`);
    }
    const cap = opts.rssCapBytes ?? DEFAULT_RSS_CAP_BYTES;
    if (opts.pid !== undefined) {
      if (this.rss.end > RSS_GROWTH_LIMIT * this.rss.start) {
        failures.push(`RSS grew from ${mib(this.rss.start)} after warm-up to ${mib(this.rss.end)} (limit ×${RSS_GROWTH_LIMIT})`);
      }
      if (this.rss.peak > cap) failures.push(`RSS peaked at ${mib(this.rss.peak)}, above the cap of ${mib(cap)}`);
    }
    let logged: FuzzReport['logged'] = null;
    if (opts.countLogged) {
      logged = {
        uncaughtExceptions: opts.countLogged(/"msg":"(uncaught exception|unhandled rejection)"/),
        handlerFailures: opts.countLogged(/"msg":"handler failed"/),
      };
      if (logged.uncaughtExceptions > 0) failures.push(`${logged.uncaughtExceptions} uncaught exception(s) logged`);
      if (logged.handlerFailures > 0) failures.push(`${logged.handlerFailures} handler failure(s) logged`);
    }
    return {
      ok: failures.length === 0,
      failures,
      seed: opts.seed,
      frames: this.framesSent,
      bytes: this.bytesSent,
      durationMs,
      framesPerSec: Math.round((this.framesSent * 1000) / Math.max(1, durationMs)),
      connections: this.connections,
      closedByOverlay: this.closedByOverlay,
      alreadyConnectedRetries: this.retries,
      outcomes: this.outcomes,
      errorsReceived: this.errorsReceived,
      handlerErrors: this.handlerErrors,
      countedErrors: { expected: this.expectedCounted, counted },
      rss: opts.pid === undefined ? null : { startBytes: this.rss.start, peakBytes: this.rss.peak, endBytes: this.rss.end, capBytes: cap, samples: this.rss.samples },
      health: this.health,
      alive,
      logged,
      violations: this.failures.byKind,
    };
  }
}

function errorKey(code: number, refType: number, requestId: bigint): string {
  return `${errorCodeName(code) ?? code}/ref ${refType}/id ${requestId}`;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

// ---- command line -----------------------------------------------------------------------------------------------

/** Starts an overlay of our own (default config, no peers) and keeps the log lines that matter to the checks. */
async function ownOverlay(logFile?: string) {
  const root = mkdtempSync(join(tmpdir(), 'fuzz-ipc-'));
  const port = await freePeerPort();
  const socketPath = join(root, 'ipc', 'overlay.sock');
  const config = [
    `network_passphrase = ${JSON.stringify(TESTNET)}`, // named here: fuzzed first frames must not pick the network
    `data_dir = ${JSON.stringify(join(root, 'data'))}`,
    `node_seed = "${Keypair.random().secret()}"`,
    `[ipc]`,
    `socket = ${JSON.stringify(socketPath)}`,
    `[p2p]`,
    `peer_port = ${port}`,
    `dht = false`,
  ].join('\n');
  writeFileSync(join(root, 'overlay.toml'), config + '\n');
  const kept: string[] = [];
  const logStream = logFile === undefined ? null : createWriteStream(logFile);
  const launched = launchOverlay(['--config', join(root, 'overlay.toml')], {
    onLine: (l) => {
      logStream?.write(l + '\n');
      if (/"level":"error"/.test(l) && !/does not verify/.test(l)) kept.push(l);
    },
  });
  const ready = await launched.ready;
  return {
    socketPath,
    pid: launched.proc.pid!,
    adminUrl: ready.admin ?? undefined,
    countLogged: (re: RegExp) => kept.filter((l) => re.test(l)).length,
    stop: async () => {
      if (launched.proc.exitCode === null && launched.proc.signalCode === null) launched.proc.kill('SIGTERM');
      await launched.exit;
      logStream?.end();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      frames: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      socket: { type: 'string' },
      pid: { type: 'string' },
      admin: { type: 'string' },
      'max-payload': { type: 'string' },
      'rss-cap-mb': { type: 'string' },
      /** Own overlay only: every log line of it to this file. */
      log: { type: 'string' },
    },
  });
  const frames = Number(values.frames);
  const seed = Number(values.seed);
  const own = values.socket === undefined ? await ownOverlay(values.log) : null;
  const target = own ?? {
    socketPath: values.socket!,
    pid: values.pid === undefined ? undefined : Number(values.pid),
    adminUrl: values.admin,
    countLogged: undefined,
  };
  console.log(`fuzzing ${target.socketPath} with ${frames} frames, seed ${seed}${own ? ` (own overlay, pid ${own.pid})` : ''}`);
  let report: FuzzReport;
  try {
    report = await fuzzIpc({
      ...target,
      frames,
      seed,
      maxPayload: values['max-payload'] === undefined ? undefined : Number(values['max-payload']),
      rssCapBytes: values['rss-cap-mb'] === undefined ? undefined : Number(values['rss-cap-mb']) * 1024 * 1024,
      progress: (l) => console.log(l),
    });
  } finally {
    await own?.stop();
  }
  console.log(`\n${report.frames} frames (${mib(report.bytes)}) in ${(report.durationMs / 1000).toFixed(1)} s: ${report.framesPerSec} frames/s`);
  console.log(`connections: ${JSON.stringify(report.connections)}; closed by the overlay: ${JSON.stringify(report.closedByOverlay)}`);
  console.log(`outcomes: ${JSON.stringify(report.outcomes)}`);
  console.log(`ERRORs received: ${JSON.stringify(report.errorsReceived)} (handler answers: ${report.handlerErrors})`);
  console.log(`bad frames counted by the overlay: ${report.countedErrors.counted ?? 'n/a'} of ${report.countedErrors.expected}`);
  if (report.rss) console.log(`RSS: start ${mib(report.rss.startBytes)}, peak ${mib(report.rss.peakBytes)}, end ${mib(report.rss.endBytes)} (cap ${mib(report.rss.capBytes)})`);
  console.log(`health checks: ${report.health.checks}, failed: ${report.health.failures}; alive: ${report.alive}`);
  console.log(report.ok ? 'OK' : `FAILED:\n  ${report.failures.join('\n  ')}`);
  mkdirSync('bench-results', { recursive: true });
  const out = { date: new Date().toISOString(), command: `node scripts/fuzz-ipc.ts ${process.argv.slice(2).join(' ')}`.trim(), ...report };
  writeFileSync(join('bench-results', 'fuzz-ipc.json'), JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2) + '\n');
  console.log('wrote bench-results/fuzz-ipc.json');
  return report.ok ? 0 : 1;
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
