// Codec benchmark: `npm run bench:codec`.
//
// 1. In-process: encode, decode and encode+decode rates of three data-plane messages (SUBMIT_TX with a 250-byte tx,
//    TX_SET_EXTERNALIZED with 1000 hashes, SUBMIT_TX_BATCH of 100 × 250 B); then the send and receive code of part 2
//    without the socket, ours against bare, in CPU ns per message (steadier than part 2 on a shared machine).
// 2. Over a real Unix-domain socket between two processes: this process sends, a forked child receives. "ours" is the
//    codec as the overlay uses it (FrameWriter on the sender; MessageDecoder, direction-checked, on the receiver);
//    "bare" is `[len u32 LE][payload]` frames carrying the very same payload bytes, sent with the same number of
//    frames per socket write and parsed by a minimal incremental decoder of the same design (views for whole frames,
//    made as cheaply as ours are; one assembly buffer for a frame spanning reads). Runs alternate ours/bare so drift
//    hits both alike.
//
// Warm-up first, then the median of RUNS timed runs. Prints a table and writes bench-results/codec.json. It asserts
// nothing about timings. Children inherit execArgv, so `node --cpu-prof scripts/bench-codec.ts` profiles both sides.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  ByteWriter,
  FrameWriter,
  HEADER_SIZE,
  MAX_PAYLOAD,
  MessageDecoder,
  MsgType,
  decodeMessage,
  encodePayload,
  writeFrame,
  type DecodeOptions,
  type FrameSink,
  type Message,
  type MessageHandler,
  type MessageOf,
  type ToOverlayMessage,
} from '#ipc-protocol';

const RUNS = 5;
/**
 * Untimed full-length runs of each variant before the timed ones. Ours: with a quarter-length warm-up, both variants
 * kept speeding up over the timed runs (JIT tiers, the young generation growing to the allocation rate), the first
 * timed runs ~30 % slower than the last; two full-length runs each reach the steady state.
 */
const SOCKET_WARM_RUNS = 2;
/** `--only=SUBMIT_TX,...` restricts the cases (for profiling one of them). */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
/** `--socket-only` skips the in-process part (for profiling the two processes). */
const SOCKET_ONLY = process.argv.includes('--socket-only');
/** `--in-process-only` skips the socket part (quick checks of encode/decode changes). */
const IN_PROCESS_ONLY = process.argv.includes('--in-process-only');
const TX_SIZE = 250;
const HASHES = 1000;
const BATCH = 100;
/** Bytes the sender queues per event-loop turn (both variants): FrameWriter's default slab, a typical socket write. */
const BYTES_PER_TICK = 64 * 1024;
/** Spare slabs the bare sender keeps for reuse, as FrameWriter does. */
const SPARE_SLABS = 4;
const RUN_TIMEOUT_MS = 60_000;

type CaseName = 'SUBMIT_TX' | 'TX_SET_EXTERNALIZED' | 'SUBMIT_TX_BATCH';

interface Case {
  name: CaseName;
  label: string;
  msg: Message;
  /** Messages per timed in-process run and per timed socket run. */
  inProcess: number;
  socket: number;
  /**
   * Whether the 0.8 goal applies: issue 2 sets it for SUBMIT_TX and a 1000-hash batch. SUBMIT_TX_BATCH is ours, for
   * information: bare frames carry the batch as one opaque payload, ours delimit its 100 txs (a view each).
   */
  goal: boolean;
}

/** Issue 2: over the socket, our codec at least this fraction of bare frames' rate. */
const GOAL_RATIO = 0.8;

/** Deterministic filler so runs are comparable (xorshift32). */
function filled(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function makeCases(): Case[] {
  const submit: MessageOf<'SUBMIT_TX'> = { type: 'SUBMIT_TX', fee: 100n, numOps: 1, tx: filled(TX_SIZE, 1) };
  const externalized: MessageOf<'TX_SET_EXTERNALIZED'> = {
    type: 'TX_SET_EXTERNALIZED',
    txSetHash: filled(32, 2),
    txHashes: filled(32 * HASHES, 3),
  };
  const batch: MessageOf<'SUBMIT_TX_BATCH'> = {
    type: 'SUBMIT_TX_BATCH',
    requestId: 42n,
    txs: Array.from({ length: BATCH }, (_, i) => filled(TX_SIZE, 100 + i)),
  };
  return [
    { name: 'SUBMIT_TX', label: `SUBMIT_TX (${TX_SIZE} B tx)`, msg: submit, inProcess: 500_000, socket: 1_000_000, goal: true },
    {
      name: 'TX_SET_EXTERNALIZED',
      label: `TX_SET_EXTERNALIZED (${HASHES} hashes)`,
      msg: externalized,
      inProcess: 60_000,
      socket: 30_000,
      goal: true,
    },
    {
      name: 'SUBMIT_TX_BATCH',
      label: `SUBMIT_TX_BATCH (${BATCH} × ${TX_SIZE} B)`,
      msg: batch,
      inProcess: 30_000,
      socket: 30_000,
      goal: false,
    },
  ];
}

const TO_OVERLAY: DecodeOptions = { direction: 'toOverlay' };

/** A cheap use of every decoded message, so no variant can skip work the others do. */
function consume(m: Message): number {
  switch (m.type) {
    case 'SUBMIT_TX':
      return m.tx.length;
    case 'TX_SET_EXTERNALIZED':
      return m.txHashes.length;
    case 'SUBMIT_TX_BATCH':
      return m.txs.length;
    default:
      return 1;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// ── Bare framing: [len u32 LE][payload] ──────────────────────────────────────────────────────────────────────────

const BARE_HEADER = 4;

/**
 * The baseline receiver: same strategy as FrameDecoder, minus the type field and the codec. Payload views are made
 * as ours are (`new Uint8Array(buffer, offset, length)`, ~10 ns less than `subarray`), so that saving is not
 * counted as the codec's.
 */
class BareDecoder {
  private readonly header = Buffer.alloc(BARE_HEADER);
  private headerFilled = 0;
  private partial: Buffer | null = null;
  private partialFilled = 0;

  push(chunk: Buffer, onFrame: (payload: Uint8Array) => void): void {
    let off = 0;
    const end = chunk.length;
    if (this.headerFilled > 0 || this.partial !== null) {
      if (this.partial === null) {
        const take = Math.min(BARE_HEADER - this.headerFilled, end);
        this.header.set(chunk.subarray(0, take), this.headerFilled);
        this.headerFilled += take;
        off = take;
        if (this.headerFilled < BARE_HEADER) return;
        this.begin(onFrame);
      }
      const p = this.partial as Buffer | null; // begin() may have set it
      if (p !== null) {
        const take = Math.min(p.length - this.partialFilled, end - off);
        p.set(chunk.subarray(off, off + take), this.partialFilled);
        this.partialFilled += take;
        off += take;
        if (this.partialFilled < p.length) return;
        this.partial = null;
        onFrame(p);
      }
    }
    while (end - off >= BARE_HEADER) {
      const len = chunk.readUInt32LE(off);
      if (len > MAX_PAYLOAD) throw new Error(`bare frame of ${len} bytes`);
      if (end - off - BARE_HEADER < len) break;
      const start = off + BARE_HEADER;
      off = start + len;
      onFrame(new Uint8Array(chunk.buffer, chunk.byteOffset + start, len));
    }
    if (off < end) {
      const take = Math.min(BARE_HEADER, end - off);
      this.header.set(chunk.subarray(off, off + take), 0);
      this.headerFilled = take;
      off += take;
      if (take === BARE_HEADER) this.begin(onFrame);
      const p = this.partial as Buffer | null; // begin() may have set it
      if (off < end && p !== null) {
        p.set(chunk.subarray(off), 0);
        this.partialFilled = end - off;
      }
    }
  }

  private begin(onFrame: (payload: Uint8Array) => void): void {
    const len = this.header.readUInt32LE(0);
    if (len > MAX_PAYLOAD) throw new Error(`bare frame of ${len} bytes`);
    this.headerFilled = 0;
    if (len === 0) {
      onFrame(new Uint8Array(0));
      return;
    }
    this.partial = Buffer.allocUnsafe(len);
    this.partialFilled = 0;
  }
}

/**
 * The baseline sender: `[len u32][payload]` frames written into a slab per step, with the same buffer policy as
 * FrameWriter (64 KiB slabs, reused once the sink is done with them, up to 4 spare).
 */
class BareSender {
  private readonly sink: FrameSink;
  private readonly payload: Uint8Array;
  private readonly spare: Buffer[] = [];
  private slab: Buffer = Buffer.allocUnsafe(0);
  private slabBytes = 0;
  writes = 0;

  constructor(sink: FrameSink, payload: Uint8Array) {
    this.sink = sink;
    this.payload = payload;
  }

  /** Writes `n` frames into this step's slab. */
  queue(n: number): void {
    const payload = this.payload;
    const frameBytes = BARE_HEADER + payload.length;
    const bytes = n * frameBytes;
    const slab = (bytes <= BYTES_PER_TICK ? this.spare.pop() : undefined) ?? Buffer.allocUnsafe(Math.max(BYTES_PER_TICK, bytes));
    let o = 0;
    for (let i = 0; i < n; i++) {
      slab.writeUInt32LE(payload.length, o);
      slab.set(payload, o + BARE_HEADER);
      o += frameBytes;
    }
    this.slab = slab;
    this.slabBytes = bytes;
  }

  /** Hands the slab to the sink, to be reused once the sink calls back. */
  flush(): void {
    if (this.slabBytes === 0) return;
    this.writes++;
    const written = this.slab;
    this.sink.write(written.subarray(0, this.slabBytes), (err) => {
      if (err == null && written.length === BYTES_PER_TICK && this.spare.length < SPARE_SLABS) this.spare.push(written);
    });
    this.slabBytes = 0;
  }
}

// ── Receiver (child process) ───────────────────────────────────────────────────────────────────────────────────

type Mode = 'ours' | 'bare';

type ToChild = { cmd: 'arm'; mode: Mode; count: number } | { cmd: 'exit' };
type FromChild =
  | { ev: 'listening' }
  | { ev: 'armed' }
  | { ev: 'done'; frames: number; sink: number; recvMs: number; cpuUserUs: number; cpuSystemUs: number }
  | { ev: 'failed'; error: string };

function receiver(socketPath: string): void {
  const send = (m: FromChild): void => {
    process.send!(m);
  };
  let mode: Mode = 'ours';
  let expected = 0;
  const server = net.createServer((socket) => {
    let got = 0;
    let sink = 0;
    let first = 0;
    const cpu0 = process.cpuUsage();
    const finish = (): void => {
      const recvMs = performance.now() - first;
      const cpu = process.cpuUsage(cpu0);
      send({ ev: 'done', frames: got, sink, recvMs, cpuUserUs: cpu.user, cpuSystemUs: cpu.system });
    };
    const fail = (err: unknown): void => {
      send({ ev: 'failed', error: String((err as Error)?.stack ?? err) });
      socket.destroy();
    };
    let feed: (chunk: Buffer) => void;
    if (mode === 'ours') {
      // What the overlay's core session is to do: one long-lived handler object, frames decoded in place, SUBMIT_TX
      // as its fields (the overlay's intake needs only the tx).
      const decoder = new MessageDecoder({ direction: 'toOverlay' });
      const handler: MessageHandler<ToOverlayMessage> = {
        onMessage: (msg) => {
          sink += consume(msg);
          if (++got === expected) finish();
        },
        onSubmitTx: (tx) => {
          sink += tx.length;
          if (++got === expected) finish();
        },
        onBadFrame: (err) => fail(err),
      };
      feed = (chunk) => decoder.push(chunk, handler);
    } else {
      const decoder = new BareDecoder();
      const onFrame = (payload: Uint8Array): void => {
        sink += payload.length;
        if (++got === expected) finish();
      };
      feed = (chunk) => decoder.push(chunk, onFrame);
    }
    socket.on('data', (chunk: Buffer) => {
      if (first === 0) first = performance.now();
      try {
        feed(chunk);
      } catch (err) {
        fail(err);
      }
    });
    socket.on('error', () => {});
  });
  process.on('message', (raw) => {
    const m = raw as ToChild;
    if (m.cmd === 'exit') {
      server.close();
      process.disconnect();
      return;
    }
    mode = m.mode;
    expected = m.count;
    send({ ev: 'armed' });
  });
  server.listen(socketPath, () => send({ ev: 'listening' }));
}

// ── Sender (this process) ──────────────────────────────────────────────────────────────────────────────────────

class Child {
  private readonly proc: ChildProcess;
  private waiting: { ev: FromChild['ev']; resolve: (m: FromChild) => void; reject: (e: Error) => void } | null = null;

  constructor(socketPath: string) {
    this.proc = fork(fileURLToPath(import.meta.url), ['--receiver', socketPath], {
      execPath: process.execPath,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (raw) => {
      const m = raw as FromChild;
      const w = this.waiting;
      if (w === null) return;
      this.waiting = null;
      if (m.ev === 'failed') w.reject(new Error(`receiver failed: ${m.error}`));
      else if (m.ev !== w.ev) w.reject(new Error(`receiver sent ${m.ev}, expected ${w.ev}`));
      else w.resolve(m);
    });
    this.proc.on('exit', (code) => {
      this.waiting?.reject(new Error(`receiver exited with code ${code}`));
      this.waiting = null;
    });
  }

  /** The child's next message, which must be `ev`; a stuck run fails after RUN_TIMEOUT_MS instead of hanging. */
  next<E extends FromChild['ev']>(ev: E): Promise<Extract<FromChild, { ev: E }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no '${ev}' from the receiver within ${RUN_TIMEOUT_MS} ms`));
      }, RUN_TIMEOUT_MS);
      const settle =
        <T,>(fn: (x: T) => void) =>
        (x: T): void => {
          clearTimeout(timer);
          fn(x);
        };
      this.waiting = { ev, resolve: settle(resolve as (m: FromChild) => void), reject: settle(reject) };
    });
  }

  send(m: ToChild): void {
    this.proc.send(m);
  }

  async exit(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.send({ cmd: 'exit' });
    await exited;
  }
}

interface SocketRun {
  mode: Mode;
  msgs: number;
  ms: number;
  recvMs: number;
  msgsPerSec: number;
  mbPerSec: number;
  socketWrites: number;
  senderCpuUs: number;
  receiverCpuUs: number;
}

function connect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(socketPath, () => resolve(s));
    s.once('error', reject);
  });
}

/** Queues `perTick` frames per event-loop turn until `count` are sent, waiting for 'drain' when the socket asks. */
function pump(socket: net.Socket, count: number, perTick: number, queue: (n: number) => void, flush: () => void): void {
  let sent = 0;
  const step = (): void => {
    const n = Math.min(perTick, count - sent);
    queue(n);
    sent += n;
    flush();
    if (sent >= count) return;
    setImmediate(() => {
      if (socket.writableNeedDrain) socket.once('drain', step);
      else step();
    });
  };
  step();
}

async function socketRun(child: Child, socketPath: string, c: Case, mode: Mode, count: number): Promise<SocketRun> {
  const armed = child.next('armed');
  child.send({ cmd: 'arm', mode, count });
  await armed;
  const socket = await connect(socketPath);
  const payload = encodePayload(c.msg);
  const frameBytes = (mode === 'ours' ? HEADER_SIZE : BARE_HEADER) + payload.length;
  const perTick = Math.max(1, Math.floor(BYTES_PER_TICK / (HEADER_SIZE + payload.length)));
  const done = child.next('done');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();

  if (mode === 'ours') {
    const writer = new FrameWriter(socket);
    const msg = c.msg;
    // FrameWriter flushes from setImmediate itself; pump's next step is queued after that flush.
    pump(
      socket,
      count,
      perTick,
      (n) => {
        for (let i = 0; i < n; i++) writer.send(msg);
      },
      () => {},
    );
    const result = await done;
    return finishRun(socket, mode, count, t0, cpu0, result, frameBytes, writer.writes, consume(c.msg));
  }

  const bare = new BareSender(socket, payload);
  pump(
    socket,
    count,
    perTick,
    (n) => bare.queue(n),
    () => bare.flush(),
  );
  const result = await done;
  return finishRun(socket, mode, count, t0, cpu0, result, frameBytes, bare.writes, payload.length);
}

function finishRun(
  socket: net.Socket,
  mode: Mode,
  count: number,
  t0: number,
  cpu0: NodeJS.CpuUsage,
  r: Extract<FromChild, { ev: 'done' }>,
  frameBytes: number,
  writes: number,
  perFrameSink: number,
): SocketRun {
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  socket.end();
  if (r.frames !== count) throw new Error(`${mode}: receiver saw ${r.frames} frames, sent ${count}`);
  if (r.sink !== count * perFrameSink) throw new Error(`${mode}: receiver decoded ${r.sink} bytes/items, expected ${count * perFrameSink}`);
  return {
    mode,
    msgs: count,
    ms,
    recvMs: r.recvMs,
    msgsPerSec: (count / ms) * 1000,
    mbPerSec: (count * frameBytes) / ms / 1000,
    socketWrites: writes,
    senderCpuUs: cpu.user + cpu.system,
    receiverCpuUs: r.cpuUserUs + r.cpuSystemUs,
  };
}

// ── In-process ─────────────────────────────────────────────────────────────────────────────────────────────────

interface InProcessResult {
  case: CaseName;
  label: string;
  frameBytes: number;
  msgs: number;
  encodeMsgsPerSec: number;
  decodeMsgsPerSec: number;
  roundTripMsgsPerSec: number;
  roundTripMBPerSec: number;
  /** CPU ns per message of the socket part's send and receive code, without the socket (see pathsInProcess). */
  sendNsPerMsg: { ours: number; bare: number };
  receiveNsPerMsg: { ours: number; bare: number };
}

function timeLoop(count: number, body: (n: number) => number): number {
  const t0 = performance.now();
  const sink = body(count);
  const ms = performance.now() - t0;
  if (sink === -1) console.log('unreachable');
  return (count / ms) * 1000;
}

function inProcess(c: Case): InProcessResult {
  const payload = encodePayload(c.msg);
  const frameBytes = HEADER_SIZE + payload.length;
  const type = MsgType[c.name];
  const w = new ByteWriter(frameBytes * 2);
  const msg = c.msg;

  const encode = (n: number): number => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      w.pos = 0;
      writeFrame(w, msg);
      sink += w.pos;
    }
    return sink;
  };
  const decode = (n: number): number => {
    let sink = 0;
    for (let i = 0; i < n; i++) sink += consume(decodeMessage(type, payload, TO_OVERLAY));
    return sink;
  };
  const roundTrip = (n: number): number => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      w.pos = 0;
      writeFrame(w, msg);
      sink += consume(decodeMessage(type, w.buf.subarray(HEADER_SIZE, w.pos), TO_OVERLAY));
    }
    return sink;
  };

  const warm = Math.max(1000, c.inProcess >> 2);
  timeLoop(warm, encode);
  timeLoop(warm, decode);
  timeLoop(warm, roundTrip);
  const enc: number[] = [];
  const dec: number[] = [];
  const rt: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    enc.push(timeLoop(c.inProcess, encode));
    dec.push(timeLoop(c.inProcess, decode));
    rt.push(timeLoop(c.inProcess, roundTrip));
  }
  const roundTripMsgsPerSec = median(rt);
  return {
    case: c.name,
    label: c.label,
    frameBytes,
    msgs: c.inProcess,
    encodeMsgsPerSec: median(enc),
    decodeMsgsPerSec: median(dec),
    roundTripMsgsPerSec,
    roundTripMBPerSec: (roundTripMsgsPerSec * frameBytes) / 1e6,
    ...pathsInProcess(c),
  };
}

/** CPU time (user + system) of `fn` in ns per message: unlike wall time, untouched by descheduling. */
function cpuNsPerMsg(msgs: number, fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / msgs;
}

/**
 * The socket part's code without the socket, one 64 KiB write's worth of frames per step: send = FrameWriter
 * (flushed into a sink that hands the slab straight back) against BareSender; receive = MessageDecoder against
 * BareDecoder, on one chunk decoded over and over (warm in cache, where a socket read's is not). On a shared
 * machine these CPU figures are steadier than the socket ratio, which also counts the kernel and the scheduler.
 */
function pathsInProcess(c: Case): Pick<InProcessResult, 'sendNsPerMsg' | 'receiveNsPerMsg'> {
  const payload = encodePayload(c.msg);
  const perTick = Math.max(1, Math.floor(BYTES_PER_TICK / (HEADER_SIZE + payload.length)));
  const steps = Math.max(1, Math.ceil(c.inProcess / perTick));
  const msgs = steps * perTick;
  let chunk: Uint8Array = new Uint8Array(0);
  const sink: FrameSink = {
    write: (bytes, done) => {
      chunk = bytes;
      done?.(null);
      return true;
    },
  };
  const writer = new FrameWriter(sink, { schedule: () => {} });
  const bareSender = new BareSender(sink, payload);
  const sendOurs = (): void => {
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < perTick; i++) writer.send(c.msg);
      writer.flush();
    }
  };
  const sendBare = (): void => {
    for (let s = 0; s < steps; s++) {
      bareSender.queue(perTick);
      bareSender.flush();
    }
  };
  // One step's output of each sender is the receivers' input (copied: the senders reuse their slabs).
  sendOurs();
  const oursChunk = Buffer.from(chunk);
  sendBare();
  const bareChunk = Buffer.from(chunk);
  let sink2 = 0;
  const decoder = new MessageDecoder({ direction: 'toOverlay' });
  const handler: MessageHandler<ToOverlayMessage> = {
    onMessage: (msg) => void (sink2 += consume(msg)),
    onSubmitTx: (tx) => void (sink2 += tx.length),
    onBadFrame: (err) => {
      throw err;
    },
  };
  const bareDecoder = new BareDecoder();
  const onBare = (p: Uint8Array): void => void (sink2 += p.length);
  const receiveOurs = (): void => {
    for (let s = 0; s < steps; s++) decoder.push(oursChunk, handler);
  };
  const receiveBare = (): void => {
    for (let s = 0; s < steps; s++) bareDecoder.push(bareChunk, onBare);
  };

  const fns = [sendOurs, sendBare, receiveOurs, receiveBare];
  for (const fn of fns) fn(); // warm-up
  const ns: number[][] = fns.map(() => []);
  for (let r = 0; r < RUNS; r++) fns.forEach((fn, i) => ns[i]!.push(cpuNsPerMsg(msgs, fn)));
  if (sink2 === -1) console.log('unreachable');
  const [so, sb, ro, rb] = ns.map(median) as [number, number, number, number];
  return { sendNsPerMsg: { ours: so, bare: sb }, receiveNsPerMsg: { ours: ro, bare: rb } };
}

// ── Report ─────────────────────────────────────────────────────────────────────────────────────────────────────

const fmtRate = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0);
const fmtMB = (x: number): string => x.toFixed(0);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

interface SocketResult {
  case: CaseName;
  label: string;
  payloadBytes: number;
  framesPerWrite: number;
  msgs: number;
  ours: { msgsPerSec: number; mbPerSec: number; senderCpuUsPerMsg: number; receiverCpuUsPerMsg: number };
  bare: { msgsPerSec: number; mbPerSec: number; senderCpuUsPerMsg: number; receiverCpuUsPerMsg: number };
  ratio: number;
  /** Whether the 0.8 goal applies to this case. */
  goal: boolean;
  runs: SocketRun[];
}

const cpuCell = (x: SocketResult['ours']): string =>
  `${x.senderCpuUsPerMsg.toFixed(2)}+${x.receiverCpuUsPerMsg.toFixed(2)}`;

function summarise(runs: SocketRun[]): SocketResult['ours'] {
  return {
    msgsPerSec: median(runs.map((r) => r.msgsPerSec)),
    mbPerSec: median(runs.map((r) => r.mbPerSec)),
    senderCpuUsPerMsg: median(runs.map((r) => r.senderCpuUs / r.msgs)),
    receiverCpuUsPerMsg: median(runs.map((r) => r.receiverCpuUs / r.msgs)),
  };
}

/** The socket part: each case, ours and bare alternating, against one forked receiver. */
async function socketCases(cases: Case[], sock: SocketResult[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-codec-'));
  const socketPath = path.join(dir, 'ipc.sock');
  const child = new Child(socketPath);
  try {
    await child.next('listening');
    for (const c of cases) {
      const payloadBytes = encodePayload(c.msg).length;
      const perTick = Math.max(1, Math.floor(BYTES_PER_TICK / (HEADER_SIZE + payloadBytes)));
      for (let w = 0; w < SOCKET_WARM_RUNS; w++) {
        await socketRun(child, socketPath, c, 'ours', c.socket);
        await socketRun(child, socketPath, c, 'bare', c.socket);
      }
      const runs: SocketRun[] = [];
      for (let r = 0; r < RUNS; r++) {
        // Alternate the order so neither variant always runs first.
        const order: Mode[] = r % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
        for (const mode of order) runs.push(await socketRun(child, socketPath, c, mode, c.socket));
      }
      const ours = summarise(runs.filter((r) => r.mode === 'ours'));
      const bare = summarise(runs.filter((r) => r.mode === 'bare'));
      sock.push({
        case: c.name,
        label: c.label,
        payloadBytes,
        framesPerWrite: perTick,
        msgs: c.socket,
        ours,
        bare,
        ratio: ours.msgsPerSec / bare.msgsPerSec,
        goal: c.goal,
        runs,
      });
    }
  } finally {
    await child.exit();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const cases = makeCases().filter((c) => ONLY === undefined || ONLY.includes(c.name));
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    nproc: os.availableParallelism(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    /** Load averages at start: other work on the machine shows up here, and in the spread of `runs`. */
    loadavgAtStart: os.loadavg(),
  };
  console.log(
    `bench:codec on ${machine.cpu}, ${machine.nproc} CPUs, node ${machine.node}; median of ${RUNS} runs; ` +
      `load average ${machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}\n`,
  );

  const inProc = SOCKET_ONLY ? [] : cases.map(inProcess);
  console.log('In-process (one thread; MB/s counts whole frames, header included)');
  console.log(
    table(
      ['message', 'frame B', 'encode msg/s', 'decode msg/s', 'enc+dec msg/s', 'enc+dec MB/s'],
      inProc.map((r) => [
        r.label,
        String(r.frameBytes),
        fmtRate(r.encodeMsgsPerSec),
        fmtRate(r.decodeMsgsPerSec),
        fmtRate(r.roundTripMsgsPerSec),
        fmtMB(r.roundTripMBPerSec),
      ]),
    ),
  );
  console.log();
  console.log("Send and receive paths in-process (CPU ns/msg: the socket part's code without the socket)");
  const ns = (x: number): string => x.toFixed(1);
  console.log(
    table(
      ['message', 'send ours', 'send bare', 'receive ours', 'receive bare', 'bare/ours (send+receive)'],
      inProc.map((r) => [
        r.label,
        ns(r.sendNsPerMsg.ours),
        ns(r.sendNsPerMsg.bare),
        ns(r.receiveNsPerMsg.ours),
        ns(r.receiveNsPerMsg.bare),
        ((r.sendNsPerMsg.bare + r.receiveNsPerMsg.bare) / (r.sendNsPerMsg.ours + r.receiveNsPerMsg.ours)).toFixed(2),
      ]),
    ),
  );
  console.log();

  const sock: SocketResult[] = [];
  if (!IN_PROCESS_ONLY) await socketCases(cases, sock);

  console.log('Unix-domain socket, two processes (sender → receiver; frames per write identical for both)');
  console.log(
    table(
      [
        'message',
        'payload B',
        'frames/write',
        'ours msg/s',
        'ours MB/s',
        'bare msg/s',
        'bare MB/s',
        'ours/bare',
        'CPU µs/msg tx+rx ours',
        'bare',
      ],
      sock.map((r) => [
        r.label,
        String(r.payloadBytes),
        String(r.framesPerWrite),
        fmtRate(r.ours.msgsPerSec),
        fmtMB(r.ours.mbPerSec),
        fmtRate(r.bare.msgsPerSec),
        fmtMB(r.bare.mbPerSec),
        r.ratio.toFixed(2),
        cpuCell(r.ours),
        cpuCell(r.bare),
      ]),
    ),
  );
  const low = sock.filter((r) => r.goal && r.ratio < GOAL_RATIO);
  if (low.length > 0) console.log(`\nbelow the ${GOAL_RATIO} goal: ${low.map((r) => r.case).join(', ')}`);
  const info = sock.filter((r) => !r.goal).map((r) => r.case);
  if (info.length > 0) console.log(`(for information, no goal: ${info.join(', ')})`);

  const command =
    process.env['npm_lifecycle_event'] === 'bench:codec'
      ? 'npm run bench:codec'
      : ['node', ...process.execArgv, path.relative(process.cwd(), process.argv[1] ?? ''), ...process.argv.slice(2)].join(' ');
  const result = {
    benchmark: 'codec',
    date: new Date().toISOString(),
    command,
    machine,
    settings: { runs: RUNS, bytesPerTick: BYTES_PER_TICK, statistic: 'median' },
    inProcess: inProc,
    socket: sock,
    loadavgAtEnd: os.loadavg(),
    elapsedSec: (performance.now() - started) / 1000,
  };
  const outDir = fileURLToPath(new URL('../bench-results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, 'codec.json');
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), outFile)} (${result.elapsedSec.toFixed(1)} s)`);
}

if (process.argv[2] === '--receiver') {
  receiver(process.argv[3]!);
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
