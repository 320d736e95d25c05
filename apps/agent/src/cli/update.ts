/**
 * @module cli/update — `hostwire-agent update`: fetches the server's current executable for this
 * platform, checks that the server's SHA256SUMS is signed by the pinned release key and that the
 * executable matches it, proves it runs (`--version`), replaces this executable atomically (rename in
 * the same directory) and tells a running agent of the same config to re-execute itself (SIGUSR2, see
 * `run`). Only the executable can update itself; the npm package is updated with npm.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentExitError } from '../errors.js';
import { isProcessAlive, readStatus } from '../state/status-file.js';
import { AGENT_VERSION } from '../version.js';
import { patchAgentConfig } from '../config/load.js';
import { normalizeServerUrl } from './enroll.js';
import {
  isSecureTransport,
  parseReleaseKey,
  releaseKeyOrUndefined,
  requireSecureServer,
  verifyReleaseSignature,
} from './trust.js';

export interface UpdateOptions {
  server: string;
  stateDir: string;
  /** The config file: the pinned release key and the insecure-http choice are read from and written to it. */
  configPath: string;
  /** The config's `releaseKey` (pinned at enroll) and `insecureHttp`. */
  pinned: { releaseKey: string | undefined; insecureHttp: boolean };
  /** --release-key: check with this key and pin it. */
  releaseKey?: string;
  /** --insecure-http: accept a plain-http server that is not this machine (and remember it). */
  insecureHttp?: boolean;
  /** Install even when the server's version equals this one. */
  force: boolean;
  /** The file to replace (default: this executable). */
  executable?: string;
  print: (line: string) => void;
}

async function get(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    throw new AgentExitError('SERVER_UNREACHABLE', `Cannot reach ${url}: ${(error as Error).message}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).trim().slice(0, 300);
    throw new AgentExitError(
      'SERVER_ERROR',
      `GET ${url} answered HTTP ${res.status}${text ? `: ${text}` : ''}`,
    );
  }
  return res;
}

/**
 * The key SHA256SUMS must be signed by: --release-key, else the pinned one, else (a config from before
 * keys were pinned) the server's own over https or loopback, trusted on first use and pinned.
 */
function chooseReleaseKey(
  server: string,
  options: UpdateOptions,
  announced: string | undefined,
): { key: string; pinned: boolean; source: string } {
  if (options.releaseKey !== undefined)
    return { key: options.releaseKey, pinned: false, source: '--release-key' };
  if (options.pinned.releaseKey !== undefined)
    return { key: options.pinned.releaseKey, pinned: true, source: 'pinned' };
  if (announced !== undefined && isSecureTransport(server)) {
    options.print(
      `warning: no release key was pinned (this config predates them): trusting ${server}'s key ${announced} on first use`,
    );
    return { key: announced, pinned: false, source: `trusted on first use from ${server}` };
  }
  throw new AgentExitError(
    'USAGE',
    `No release key is pinned in ${options.configPath}${announced === undefined ? ` and ${server} announces none` : ` and ${server} is plain http, so its key cannot be trusted`}: pass --release-key <key> (GET /api/agent/release over https shows it).`,
  );
}

/** SHA256SUMS.sig; a server that has none (an unsigned release) is refused. */
async function fetchSignature(url: string): Promise<Buffer> {
  try {
    return Buffer.from(await (await get(url)).arrayBuffer());
  } catch (error) {
    if (error instanceof AgentExitError && error.code === 'SERVER_ERROR')
      throw new AgentExitError('SERVER_ERROR', `${error.message}: the release is not signed, not installed`);
    throw error;
  }
}

/**
 * The path of this executable. Linux reports a replaced executable's path as `<path> (deleted)`: the
 * file at `<path>` is the new one.
 */
export function currentExecutable(): string {
  return process.execPath.replace(/ \(deleted\)$/, '');
}

/** Updates the executable; returns the version now installed. */
export async function update(options: UpdateOptions): Promise<string> {
  const executable = options.executable ?? currentExecutable();
  if (options.executable === undefined && process.versions.bun === undefined) {
    throw new AgentExitError(
      'USAGE',
      'This is the Node.js package of hostwire-agent: update it with npm. `update` replaces the hostwire-agent executable installed by install.sh.',
    );
  }
  const server = normalizeServerUrl(options.server);
  const insecureHttp = options.insecureHttp === true || options.pinned.insecureHttp;
  requireSecureServer(server, insecureHttp);
  if (options.releaseKey !== undefined) parseReleaseKey(options.releaseKey);
  const release = (await (await get(`${server}/api/agent/release`)).json()) as {
    version: string | null;
    releaseKey?: unknown;
  };
  const name = `hostwire-agent-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;
  if (!release.version) throw new AgentExitError('SERVER_ERROR', `${server} has no agent executables built`);
  if (release.version === AGENT_VERSION && !options.force) {
    options.print(`hostwire-agent ${AGENT_VERSION} is the server's current version: nothing to do`);
    return AGENT_VERSION;
  }
  const releaseKey = chooseReleaseKey(server, options, releaseKeyOrUndefined(release.releaseKey));
  const sumsBytes = Buffer.from(await (await get(`${server}/downloads/SHA256SUMS`)).arrayBuffer());
  const signature = await fetchSignature(`${server}/downloads/SHA256SUMS.sig`);
  if (!verifyReleaseSignature(sumsBytes, signature, releaseKey.key)) {
    throw new AgentExitError(
      'SERVER_ERROR',
      `SHA256SUMS from ${server} is not signed by the ${releaseKey.pinned ? 'pinned ' : ''}release key ${releaseKey.key}: not installed`,
    );
  }
  if (
    releaseKey.key !== options.pinned.releaseKey ||
    (options.insecureHttp === true && !options.pinned.insecureHttp)
  ) {
    await patchAgentConfig(options.configPath, {
      releaseKey: releaseKey.key,
      ...(options.insecureHttp === true ? { insecureHttp: true } : {}),
    });
    if (releaseKey.key !== options.pinned.releaseKey)
      options.print(
        `pinned the release key ${releaseKey.key} in ${options.configPath} (${releaseKey.source})`,
      );
  }
  const sums = sumsBytes.toString('utf8');
  const expected = sums
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((parts) => parts[1] === name)?.[0];
  if (!expected) throw new AgentExitError('SERVER_ERROR', `SHA256SUMS on ${server} has no entry for ${name}`);
  const body = Buffer.from(await (await get(`${server}/downloads/${name}`)).arrayBuffer());
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== expected) {
    throw new AgentExitError(
      'SERVER_ERROR',
      `checksum mismatch for ${name} (expected ${expected}, got ${actual}): not installed`,
    );
  }
  const staged = path.join(path.dirname(executable), `.${path.basename(executable)}.new`);
  try {
    await writeFile(staged, body, { mode: 0o755 });
    await chmod(staged, 0o755);
    const { stdout } = await promisify(execFile)(staged, ['--version'], { timeout: 30_000 });
    await rename(staged, executable);
    options.print(`updated ${executable} from ${AGENT_VERSION} to ${stdout.trim()} (sha256 ${actual})`);
  } catch (error) {
    await rm(staged, { force: true });
    if (error instanceof AgentExitError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new AgentExitError(
      code === 'EACCES' || code === 'EPERM' ? 'USAGE' : 'INTERNAL',
      `Cannot replace ${executable}: ${(error as Error).message}${code === 'EACCES' || code === 'EPERM' ? ' (run it as the user that owns the file, e.g. with sudo)' : ''}`,
      { cause: error },
    );
  }
  const status = await readStatus(options.stateDir);
  if (status && !status.stopped && isProcessAlive(status.pid)) {
    process.kill(status.pid, 'SIGUSR2');
    options.print(`asked the running agent (pid ${status.pid}) to restart with the new executable`);
  }
  return release.version;
}
