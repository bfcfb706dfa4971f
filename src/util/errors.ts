/**
 * A mistake the user can fix (bad config, bad data, bad arguments). The CLI prints
 * `message` as one line and exits with code 2; anything else is an internal error (exit 1).
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** Throws a UserError when `condition` is false. */
export function userAssert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new UserError(typeof message === 'string' ? message : message());
}
