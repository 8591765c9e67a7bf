/**
 * Every failure a user can cause or meet is a RocketError with a stable code and a
 * one-line message in the form "<Action> <object>: <cause>". The CLI prints the message
 * alone (no stack) and exits with `exitCode`: 2 for usage errors, 1 for failures.
 */
export type RocketErrorCode =
  | 'ROCKET_ERR_USAGE'
  | 'ROCKET_ERR_ENCODING'
  | 'ROCKET_ERR_PORT_RANGE'
  | 'ROCKET_ERR_PORT_PRIVILEGED'
  | 'ROCKET_ERR_PORT_IN_USE'
  | 'ROCKET_ERR_ADDRESS_NOT_LOCAL'
  | 'ROCKET_ERR_REFUSED'
  | 'ROCKET_ERR_UNKNOWN_HOST'
  | 'ROCKET_ERR_TIMEOUT'
  | 'ROCKET_ERR_UNREACHABLE'
  | 'ROCKET_ERR_CONNECTION_LOST'
  | 'ROCKET_ERR_MESSAGE_TOO_LONG'
  | 'ROCKET_ERR_PROTOCOL'
  | 'ROCKET_ERR_TLS'
  | 'ROCKET_ERR_TLS_UNTRUSTED'
  | 'ROCKET_ERR_IO';

export class RocketError extends Error {
  readonly code: RocketErrorCode;
  readonly exitCode: 1 | 2;

  constructor(code: RocketErrorCode, message: string, options: { cause?: unknown; exitCode?: 1 | 2 } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RocketError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A mistake in how rocket was called: exit status 2. */
export class UsageError extends RocketError {
  constructor(message: string, code: RocketErrorCode = 'ROCKET_ERR_USAGE') {
    super(code, message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

export function isRocketError(err: unknown): err is RocketError {
  return err instanceof RocketError;
}
