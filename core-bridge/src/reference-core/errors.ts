// Typed errors of the reference core and its load generator, matched by `code`.

export type CoreErrorCode =
  | 'CONFIG_INVALID'
  | 'SNAPSHOT_INVALID'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'TOO_LARGE'
  | 'OVERLAY_UNAVAILABLE'
  | 'TX_SET_INVALID';

export class CoreError extends Error {
  override readonly name = 'CoreError';
  readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
