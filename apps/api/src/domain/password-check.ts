/** @module domain/password-check — a signed-in user proves their password again (throttled like sign-in). */
import { verifyPassword } from '../auth/passwords.js';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import type { UserRow } from '../store/repositories/users.js';
import type { LoginThrottle } from './login-throttle.js';

/**
 * Throws 403 unless `password` is the user's; every try takes a sign-in attempt of (email, address), and
 * a wrong one counts as a failed sign-in, so a stolen session cannot be used to guess the password.
 */
export async function confirmPassword(
  throttle: LoginThrottle,
  user: UserRow,
  password: string,
  actor: Actor,
): Promise<void> {
  const address = actor.ip ?? 'unknown';
  const taken = throttle.attempt(user.email, address);
  if (!taken.ok)
    throw new ApiError('rate_limited', 'Too many attempts; try again later', undefined, {
      retryAfterSeconds: taken.retryAfterSeconds,
    });
  if (!(await verifyPassword(user.passwordHash, password))) {
    throttle.failed(user.email, address);
    throw new ApiError('forbidden', 'The password is wrong');
  }
}
