import { UserError } from '../../../src/util/errors';

/** Runs `fn`, expects a one-line UserError whose message matches `pattern`, and returns the message. */
export function expectUserError(fn: () => unknown, pattern: RegExp): string {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error(`expected a UserError matching ${pattern}, but nothing was thrown`);
  expect(error).toBeInstanceOf(UserError);
  const message = (error as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toMatch(/\n/);
  return message;
}
