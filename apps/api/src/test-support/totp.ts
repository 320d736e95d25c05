/** @module test-support/totp — the code an authenticator app shows, for tests of two-factor sign-in. */
import { Secret, TOTP } from 'otpauth';

/** The TOTP code of the base32 `secret` for the step `offset` steps from now. */
export function totpCode(secret: string, offset = 0): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    timestamp: Date.now() + offset * 30_000,
  });
}
