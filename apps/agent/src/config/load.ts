/** @module config/load — where the config lives, reading and validating it, writing it at enroll. */
import { chmod, chown, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { AgentExitError } from '../errors.js';
import { parseJsonc } from './jsonc.js';
import { AgentConfig } from './schema.js';

/** `/etc/hostwire/agent.json` as root, `~/.config/hostwire/agent.json` otherwise. */
export function defaultConfigPath(): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot ? '/etc/hostwire/agent.json' : path.join(homedir(), '.config', 'hostwire', 'agent.json');
}

/** The state directory: `stateDir` from the config (relative to the config file), else `<configdir>/state`. */
export function resolveStateDir(config: Pick<AgentConfig, 'stateDir'>, configPath: string): string {
  const base = path.dirname(path.resolve(configPath));
  return config.stateDir ? path.resolve(base, config.stateDir) : path.join(base, 'state');
}

/** Formats zod issues as `path.to.field: message` lines. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('\n');
}

/** Validates an already parsed config object; throws INVALID_CONFIG naming each bad field. */
export function parseAgentConfig(value: unknown, source = 'config'): AgentConfig {
  const result = AgentConfig.safeParse(value);
  if (!result.success) {
    throw new AgentExitError(
      'INVALID_CONFIG',
      `Invalid config ${source}:\n${formatIssues(result.error.issues)}`,
    );
  }
  return result.data;
}

/** Reads and validates the config file (JSON, comments and trailing commas allowed). */
export async function loadAgentConfig(configPath: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? ' (run `hostwire-agent enroll` first, or pass --config)' : '';
    throw new AgentExitError(
      'INVALID_CONFIG',
      `Cannot read config ${configPath}: ${code ?? String(error)}${hint}`,
    );
  }
  let value: unknown;
  try {
    value = parseJsonc(text);
  } catch (error) {
    throw new AgentExitError(
      'INVALID_CONFIG',
      `Config ${configPath} is not valid JSON: ${(error as Error).message}`,
    );
  }
  return parseAgentConfig(value, configPath);
}

/**
 * Writes the config atomically with mode 0600, creating its directory with mode 0700. A file that exists
 * keeps its owner (root rewriting the service user's config must not lock the service out of it).
 */
export async function writeAgentConfig(configPath: string, value: unknown): Promise<void> {
  const dir = path.dirname(path.resolve(configPath));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const owner = await stat(configPath).catch(() => undefined);
  const tmp = `${configPath}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  if (owner && typeof process.getuid === 'function' && process.getuid() === 0)
    await chown(tmp, owner.uid, owner.gid);
  await rename(tmp, configPath);
}

/** Sets `patch`'s fields in the config file (as written; defaults are not filled in), keeping the rest. */
export async function patchAgentConfig(configPath: string, patch: Record<string, unknown>): Promise<void> {
  let value: unknown;
  try {
    value = parseJsonc(await readFile(configPath, 'utf8'));
  } catch (error) {
    throw new AgentExitError(
      'INVALID_CONFIG',
      `Cannot read config ${configPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const next = { ...(value as Record<string, unknown>), ...patch };
  parseAgentConfig(next, configPath);
  await writeAgentConfig(configPath, next);
}
