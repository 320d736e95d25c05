/** @module auth/passwords — argon2id hashing (OWASP parameters) and constant-work verification. */
import argon2 from 'argon2';

/** The stored hash of an account that has no password (created through single sign-on). */
export const NO_PASSWORD = '';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password; with no hash (unknown user) it still spends the same work on a dummy hash, so
 * response times do not tell which emails exist.
 */
export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined || hash === NO_PASSWORD) {
    dummyHash ??= hashPassword('hostwire-dummy-password');
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}
