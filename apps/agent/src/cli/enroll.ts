/** @module cli/enroll — `hostwire-agent enroll`: trade an enrollment token for agent credentials. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { z } from 'zod/mini';
import { DEFAULT_ACTIONS, DEFAULT_LOG_SOURCES, DEFAULT_METRICS } from '../config/defaults.js';
import { parseJsonc } from '../config/jsonc.js';
import { formatIssues, parseAgentConfig, writeAgentConfig } from '../config/load.js';
import { AgentExitError } from '../errors.js';
import { AGENT_VERSION } from '../version.js';
import { isSecureTransport, parseReleaseKey, releaseKeyOrUndefined, requireSecureServer } from './trust.js';

const EnrollResponse = z.object({
  hostId: z.string(),
  organizationId: z.string(),
  agentToken: z.string(),
  commandPublicKey: z.string(),
  /** The server's release key: pinned only as a fallback, when no --release-key came and the link is trusted. */
  releaseKey: z.optional(z.nullable(z.string())),
});

export interface EnrollOptions {
  server: string;
  token: string;
  configPath: string;
  /** Written to the config as `stateDir` (the installer points it at the service's state directory). */
  stateDir?: string;
  /** The release key to pin (install.sh passes the one it verified the executable with). */
  releaseKey?: string;
  /** Accept a plain-http server that is not this machine; remembered in the config for `update`. */
  insecureHttp?: boolean;
  timeoutMs?: number;
}

export interface EnrollResult {
  hostId: string;
  configPath: string;
  /** The release key pinned in the config, if any. */
  releaseKey: string | undefined;
  /** Things the operator should know (no key pinned, the server announces another key). */
  warnings: string[];
}

/** Checks the server URL: http(s), no credentials, no query; returns it without a trailing slash. */
export function normalizeServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new AgentExitError(
      'INVALID_URL',
      `"${server}" is not a URL (expected e.g. https://hostwire.example.com)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AgentExitError('INVALID_URL', `"${server}" must start with http:// or https://`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new AgentExitError(
      'INVALID_URL',
      `"${server}" must not contain credentials, a query or a fragment`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

async function readExisting(configPath: string): Promise<Record<string, unknown>> {
  try {
    const value = parseJsonc(await readFile(configPath, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    return body.error?.message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

/**
 * POSTs /api/agent/enroll and writes the config (0600). When a config already exists, its settings
 * (metrics, logs, actions, …) are kept and only the credentials are replaced; otherwise the defaults
 * are written. Returns the written host id.
 */
export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  const server = normalizeServerUrl(options.server);
  requireSecureServer(server, options.insecureHttp === true);
  if (options.releaseKey !== undefined) parseReleaseKey(options.releaseKey);
  let res: Response;
  try {
    res = await fetch(`${server}/api/agent/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        enrollmentToken: options.token,
        hostname: os.hostname(),
        os: { platform: os.platform(), release: os.release(), arch: os.arch() },
        agentVersion: AGENT_VERSION,
      }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new AgentExitError('SERVER_UNREACHABLE', `Cannot reach ${server}: ${detail}`);
  }
  if (res.status === 401) {
    throw new AgentExitError(
      'UNAUTHORIZED',
      `The enrollment token was refused (HTTP 401: ${await errorMessage(res)}). Tokens are single use and expire; create a new one in the web UI.`,
    );
  }
  if (res.status === 403) {
    throw new AgentExitError(
      'REVOKED',
      `The server refused enrollment (HTTP 403: ${await errorMessage(res)}).`,
    );
  }
  if (res.status !== 201 && res.status !== 200) {
    throw new AgentExitError(
      'SERVER_ERROR',
      `Enrollment failed with HTTP ${res.status}: ${await errorMessage(res)}`,
    );
  }
  const parsed = EnrollResponse.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) {
    throw new AgentExitError(
      'SERVER_ERROR',
      `Unexpected enrollment response:\n${formatIssues(parsed.error.issues)}`,
    );
  }
  const { releaseKey: announced, ...credentials } = parsed.data;
  const warnings: string[] = [];
  const offered = releaseKeyOrUndefined(announced);
  // The server's answer is as trustworthy as the link it came over: pinned from https or loopback only.
  const fromServer = offered !== undefined && isSecureTransport(server) ? offered : undefined;
  const pinned = options.releaseKey ?? fromServer;
  if (options.releaseKey !== undefined && offered !== undefined && offered !== options.releaseKey)
    warnings.push(
      `the server announces the release key ${offered}, not the --release-key ${options.releaseKey}; pinned --release-key`,
    );
  const existing = await readExisting(options.configPath);
  const config: Record<string, unknown> = {
    metrics: { ...DEFAULT_METRICS },
    logs: { sources: DEFAULT_LOG_SOURCES },
    actions: DEFAULT_ACTIONS,
    ...existing,
    server,
    ...credentials,
    ...(options.stateDir === undefined ? {} : { stateDir: path.resolve(options.stateDir) }),
    ...(pinned === undefined ? {} : { releaseKey: pinned }),
  };
  if (options.insecureHttp === true) config.insecureHttp = true;
  else delete config.insecureHttp;
  if (config.releaseKey === undefined)
    warnings.push(
      'no release key pinned (none given with --release-key, and none trusted from the server): `hostwire-agent update` needs --release-key <key>',
    );
  parseAgentConfig(config, options.configPath);
  await writeAgentConfig(options.configPath, config);
  const releaseKey = typeof config.releaseKey === 'string' ? config.releaseKey : undefined;
  return { hostId: credentials.hostId, configPath: options.configPath, releaseKey, warnings };
}
