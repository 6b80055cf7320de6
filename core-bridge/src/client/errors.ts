// Typed errors of the OverlayClient, matched by `code`. Codes of the wire (ipc-protocol ErrorCodeName) keep their
// names whether the overlay sent them in an ERROR frame (`remote`) or the client concluded them itself (a request
// that timed out locally is TIMEOUT too); the client adds its own for what never reaches the wire.
import { errorCodeName, type ErrorCodeName } from '#ipc-protocol';

export type ClientOnlyCode =
  /** The bounded outgoing queue is full (maxQueueBytes). */
  | 'BACKPRESSURE'
  /** Too many requests awaiting a reply. */
  | 'TOO_MANY_PENDING'
  /** The caller's AbortSignal fired. */
  | 'ABORTED'
  /** close() was called. */
  | 'CLIENT_CLOSED';

export type ClientErrorCode = ErrorCodeName | ClientOnlyCode;

export class OverlayClientError extends Error {
  override readonly name: string = 'OverlayClientError';
  readonly code: ClientErrorCode;
  /** True when the overlay answered with an ERROR frame carrying this code. */
  readonly remote: boolean;
  /** The request (message name) this error answers, when there is one. */
  readonly requestType: string | undefined;

  constructor(code: ClientErrorCode, message: string, opts: { remote?: boolean; requestType?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.remote = opts.remote ?? false;
    this.requestType = opts.requestType;
  }

  /** The error an ERROR frame from the overlay stands for; unknown codes (a newer overlay) read as INTERNAL. */
  static fromWire(code: number, message: string, requestType: string): OverlayClientError {
    return new OverlayClientError(errorCodeName(code) ?? 'INTERNAL', `${requestType}: ${message}`, { remote: true, requestType });
  }
}

/** The outgoing queue is full: the caller must slow down (or wait for the overlay to come back). */
export class BackpressureError extends OverlayClientError {
  override readonly name = 'BackpressureError';

  constructor(message: string, requestType?: string) {
    super('BACKPRESSURE', message, requestType === undefined ? {} : { requestType });
  }
}
