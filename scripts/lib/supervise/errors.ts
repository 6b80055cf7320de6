// Typed errors of the supervisor, matched by `code`.

export type SupervisorErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  /** A child was given up on (repeated bad-config exits, or its overlay was given up on). */
  | 'GAVE_UP'
  /** stop() was called while start() was still waiting. */
  | 'STOPPED'
  | 'UNKNOWN_CHILD'
  | 'ALREADY_STARTED';

export class SupervisorError extends Error {
  override readonly name = 'SupervisorError';
  readonly code: SupervisorErrorCode;

  constructor(code: SupervisorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
