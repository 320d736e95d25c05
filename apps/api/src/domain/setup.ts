/**
 * @module domain/setup — the one-time setup code that first-run setup needs, so whoever reaches a fresh
 * server first does not own it (nor the machine's own agent under `npm start`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';

const FILE = 'setup-code';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `SETUP_CODE` when set, else a code generated once into `DATA_DIR/setup-code` (0600). `prepare` runs at
 * start: while no user exists it makes sure the code exists and returns the setup link; once setup is
 * done the file is deleted.
 */
export function createSetupCode(config: Pick<Config, 'dataDir' | 'publicUrl' | 'setupCode'>) {
  const file = path.join(config.dataDir, FILE);

  function current(): string | undefined {
    if (config.setupCode !== undefined) return config.setupCode;
    if (!existsSync(file)) return undefined;
    return readFileSync(file, 'utf8').trim() || undefined;
  }

  return {
    /** The file the generated code is kept in. */
    file,

    /** At start: the setup link while setup is pending (creating the code), undefined once it is done. */
    prepare(setupRequired: boolean): string | undefined {
      if (!setupRequired) {
        rmSync(file, { force: true });
        return undefined;
      }
      let code = current();
      if (code === undefined) {
        code = randomBytes(18).toString('base64url');
        try {
          writeFileSync(file, `${code}\n`, { mode: 0o600, flag: 'wx' });
        } catch {
          code = current() ?? code; // another instance sharing DATA_DIR wrote it first
        }
      }
      return `${config.publicUrl}/setup?code=${encodeURIComponent(code)}`;
    },

    /** Refuses a missing or wrong code (403), compared in constant time. */
    check(given: string | undefined): void {
      const code = current();
      if (code === undefined || given === undefined || !timingSafeEqual(digest(code), digest(given)))
        throw new ApiError(
          'forbidden',
          'The setup code is missing or wrong: open the setup link the server printed at start, or read DATA_DIR/setup-code',
        );
    },

    /** Setup is done: the code is no longer needed. */
    consumed(): void {
      rmSync(file, { force: true });
    },
  };
}

export type SetupCode = ReturnType<typeof createSetupCode>;
