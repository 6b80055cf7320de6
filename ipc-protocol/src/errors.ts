// Typed protocol errors. The numeric codes travel in ERROR frames and are shared with native/ (keep in sync
// with native/include/overlay_ipc/errors.hpp and docs/ipc-protocol.md §6).

export const ErrorCode = {
  FRAME_TOO_LARGE: 1,
  UNKNOWN_TYPE: 2,
  MALFORMED_PAYLOAD: 3,
  WRONG_DIRECTION: 4,
  NOT_NEGOTIATED: 5,
  VERSION_MISMATCH: 6,
  NETWORK_MISMATCH: 7,
  PROTOCOL_STATE: 8,
  ALREADY_CONNECTED: 9,
  TIMEOUT: 10,
  NOT_FOUND: 11,
  BUSY: 12,
  SHUTTING_DOWN: 13,
  INTERNAL: 14,
  INVALID_REQUEST: 15,
  CONNECTION_CLOSED: 16,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

const namesByCode = new Map<number, ErrorCodeName>(
  (Object.keys(ErrorCode) as ErrorCodeName[]).map((name) => [ErrorCode[name], name]),
);

export function errorCodeName(code: number): ErrorCodeName | undefined {
  return namesByCode.get(code);
}

/**
 * Raised for anything wrong on the wire. `frameType` is the type of the offending frame (0 when unknown) so the
 * caller can answer with an ERROR that names it. `fatal` means framing is lost and the connection must close.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCodeName;
  readonly frameType: number;
  readonly fatal: boolean;

  constructor(code: ErrorCodeName, message: string, frameType = 0, options: { fatal?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.frameType = frameType;
    this.fatal = options.fatal ?? false;
  }

  get wireCode(): ErrorCodeValue {
    return ErrorCode[this.code];
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
