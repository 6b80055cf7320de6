// Typed errors of the overlay process, matched by `code`.

export type OverlayErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'KEY_INVALID'
  | 'SOCKET_IN_USE'
  | 'SOCKET_DIR_UNSAFE'
  | 'PEER_ADDRESS_INVALID'
  | 'BAN_INVALID'
  | 'NOT_FOUND'
  | 'TIMEOUT'
  | 'BUSY'
  /** A peer broke a peer protocol (malformed or oversized frame, caps exceeded). */
  | 'PEER_PROTOCOL'
  /** Bytes that are not a tx set, or not the one its hash names. */
  | 'TXSET_INVALID';

export class OverlayError extends Error {
  override readonly name = 'OverlayError';
  readonly code: OverlayErrorCode;

  constructor(code: OverlayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
