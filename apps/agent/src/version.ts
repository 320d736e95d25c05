/** @module version — the agent's version: built into the executable, else read once from package.json. */
import { readFileSync } from 'node:fs';

/** Set by `bun build --define` when the executable is compiled (scripts/build-binaries.mjs). */
declare const HOSTWIRE_AGENT_VERSION: string | undefined;

function readVersion(): string {
  if (typeof HOSTWIRE_AGENT_VERSION === 'string') return HOSTWIRE_AGENT_VERSION;
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const parsed = JSON.parse(text) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The `hostwire-agent` version announced in `hello` and in `--version`. */
export const AGENT_VERSION: string = readVersion();
