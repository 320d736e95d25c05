/** @module version — the agent's version, read once from its package.json. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
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
