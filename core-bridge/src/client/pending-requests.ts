// Requests awaiting their reply, by request id. Bounded (a clear TOO_MANY_PENDING beyond capacity); each entry
// leaves the table exactly once — reply, ERROR, timeout, abort or close — and frees its slot, timer and abort
// listener at that moment. The encoded frame stays with the entry so the client can send it again after a
// reconnect.
import type { ToCoreMessage, ToCoreName } from '#ipc-protocol';
import { OverlayClientError } from './errors.ts';

/** u64 request ids; 0 means "no request" on the wire, so ids run 1 .. 2^64-1 and wrap to 1. */
const MAX_REQUEST_ID = (1n << 64n) - 1n;

export type RequestState = 'queued' | 'sent';

export interface PendingRequest {
  readonly id: bigint;
  /** Message name of the request (SUBMIT_TX_CHECKED, ...). */
  readonly type: string;
  /** The reply that answers it. */
  readonly expect: ToCoreName;
  /** The whole encoded frame, request id included. */
  readonly frame: Buffer;
  /** Wall-clock deadline (ms); past it the request has timed out. */
  readonly deadline: number;
  /** False for requests that belong to one connection: a disconnect fails them instead of re-sending them. */
  readonly resendAfterReconnect: boolean;
  /** 'queued' while waiting in the outbox, 'sent' once written on the current connection. */
  state: RequestState;
}

interface Entry extends PendingRequest {
  resolve(msg: ToCoreMessage): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface NewRequest {
  type: string;
  expect: ToCoreName;
  /** Builds the frame once the id is known. */
  encode(id: bigint): Buffer;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  resendAfterReconnect?: boolean;
}

export class PendingRequests {
  readonly capacity: number;
  private readonly table = new Map<bigint, Entry>();
  private lastId = 0n;
  private readonly onRemoved: (req: PendingRequest, outcome: string) => void;

  /** `onRemoved` runs whenever an entry leaves the table, with why (reply, error, timeout, aborted, closed). */
  constructor(capacity: number, onRemoved: (req: PendingRequest, outcome: string) => void) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.capacity = capacity;
    this.onRemoved = onRemoved;
  }

  get size(): number {
    return this.table.size;
  }

  /**
   * Registers a request and returns it with the promise of its reply. Throws TOO_MANY_PENDING when full and
   * ABORTED when the signal has already fired; `encode` errors (e.g. a frame too large) propagate.
   */
  add(req: NewRequest): { pending: PendingRequest; reply: Promise<ToCoreMessage> } {
    if (req.signal?.aborted) {
      throw new OverlayClientError('ABORTED', `${req.type} aborted before it was sent`, { requestType: req.type, cause: req.signal.reason });
    }
    if (this.table.size >= this.capacity) {
      throw new OverlayClientError('TOO_MANY_PENDING', `${this.table.size} requests already await a reply (limit ${this.capacity})`, {
        requestType: req.type,
      });
    }
    const id = this.allocateId();
    const frame = req.encode(id);
    let resolve!: (msg: ToCoreMessage) => void;
    let reject!: (err: Error) => void;
    const reply = new Promise<ToCoreMessage>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      id,
      type: req.type,
      expect: req.expect,
      frame,
      deadline: Date.now() + req.timeoutMs,
      resendAfterReconnect: req.resendAfterReconnect ?? true,
      state: 'queued',
      resolve,
      reject,
      timer: setTimeout(
        () => this.fail(id, new OverlayClientError('TIMEOUT', `${req.type} got no reply within ${req.timeoutMs} ms`, { requestType: req.type }), 'timeout'),
        req.timeoutMs,
      ),
      signal: req.signal,
      onAbort: undefined,
    };
    if (req.signal) {
      const signal = req.signal;
      entry.onAbort = () =>
        this.fail(id, new OverlayClientError('ABORTED', `${req.type} aborted`, { requestType: req.type, cause: signal.reason }), 'aborted');
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    this.table.set(id, entry);
    return { pending: entry, reply };
  }

  /**
   * Settles the request `msg` answers. Returns false when no such request is pending (it timed out or was
   * aborted: a late reply). A reply of the wrong type fails the request rather than resolving it with nonsense.
   */
  answer(id: bigint, msg: ToCoreMessage): boolean {
    const entry = this.table.get(id);
    if (entry === undefined) return false;
    if (msg.type !== entry.expect) {
      this.fail(id, new OverlayClientError('PROTOCOL_STATE', `${entry.type} answered by ${msg.type}, expected ${entry.expect}`, { requestType: entry.type }), 'error');
      return true;
    }
    this.remove(entry, 'reply');
    entry.resolve(msg);
    return true;
  }

  /** Fails one request; returns false if it was not pending. */
  fail(id: bigint, err: Error, outcome = 'error'): boolean {
    const entry = this.table.get(id);
    if (entry === undefined) return false;
    this.remove(entry, outcome);
    entry.reject(err);
    return true;
  }

  /** Fails every pending request (client closed, or no reconnect). */
  failAll(err: () => Error, outcome: string): void {
    for (const id of [...this.table.keys()]) this.fail(id, err(), outcome);
  }

  get(id: bigint): PendingRequest | undefined {
    return this.table.get(id);
  }

  /** Pending requests in the order they were made. */
  values(): IterableIterator<PendingRequest> {
    return this.table.values();
  }

  private remove(entry: Entry, outcome: string): void {
    this.table.delete(entry.id);
    clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    this.onRemoved(entry, outcome);
  }

  private allocateId(): bigint {
    do {
      this.lastId = this.lastId >= MAX_REQUEST_ID ? 1n : this.lastId + 1n;
    } while (this.table.has(this.lastId));
    return this.lastId;
  }
}
