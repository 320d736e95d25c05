// The compiled hostwire-agent executable (apps/agent/dist-bin, built once by `npm run build`) as a user
// gets it: /install.sh from a real server with --no-service into a temp prefix, then the executable runs
// with no Node.js on PATH, goes online, buffers through a server restart and loses no sample. Also the
// previous release's SQLite state taken over by the executable (bun:sqlite), and the installer's checks:
// PUBLIC_URL only, https or loopback only, a swapped executable and SHA256SUMS refused by install.sh and
// `update` unless the release key signed them, and no directory it did not create changes owner or mode.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../apps/api/src/test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN_DIR = path.join(root, 'apps/agent/dist-bin');
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x64';
const EXECUTABLE = path.join(BIN_DIR, `hostwire-agent-linux-${ARCH}`);
const FAST = { METRICS_SLOW_INTERVAL_MS: '1000', METRICS_LIVE_INTERVAL_MS: '250', WS_HEARTBEAT_MS: '2000' };
/** What install.sh and the agent may use: no node, nothing else from the host's PATH. */
const TOOLS = [
  'sh',
  'dash',
  'uname',
  'id',
  'mktemp',
  'rm',
  'curl',
  'grep',
  'cut',
  'head',
  'sha256sum',
  'mkdir',
  'cp',
  'chmod',
  'mv',
  'dirname',
  'cat',
  'openssl',
];

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-bin-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A PATH directory holding only TOOLS (symlinks), so `node` cannot be found. */
function nodelessPath(dir: string): string {
  const bin = path.join(dir, 'path');
  mkdirSync(bin);
  for (const tool of TOOLS) {
    const target = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(target, path.join(bin, tool));
  }
  expect(spawnSync('sh', ['-c', 'command -v node'], { env: { PATH: bin } }).status).not.toBe(0);
  return bin;
}

async function server(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const s = await startTestServer({ ...FAST, ...env }, dataDir ? { dataDir } : {});
  cleanups.push(() => s.close());
  return s;
}

async function newHost(s: TestServer): Promise<{ hostId: string; token: string; cookie: string }> {
  const owner = await s.setup();
  const res = await s.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
    cookie: owner.cookie,
    body: { name: 'binary-host' },
  });
  const body = (await res.json()) as { host: { id: string }; enrollmentToken: string };
  return { hostId: body.host.id, token: body.enrollmentToken, cookie: owner.cookie };
}

/** Runs `<dir>/install.sh <args>` as a user would, with only `pathDir` on PATH (async: the server runs here). */
function install(
  dir: string,
  pathDir: string,
  args: string[],
  shell = 'sh',
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(shell, [path.join(dir, 'install.sh'), ...args], {
      env: { PATH: pathDir, HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

function runToEnd(
  file: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (status) => resolve({ status, out }));
  });
}

function runExecutable(bin: string, configPath: string, pathDir: string) {
  const child = spawn(bin, ['run', '--config', configPath], {
    env: { PATH: pathDir, HOME: path.dirname(configPath) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  cleanups.push(stop);
  return { child, output: () => output, stop, exited };
}

const statusOf = (
  stateDir: string,
): { pid: number; connected: boolean; bufferedSamples: number; lastSeq: number } | undefined => {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, 'status.json'), 'utf8')) as {
      pid: number;
      connected: boolean;
      bufferedSamples: number;
      lastSeq: number;
    };
  } catch {
    return undefined;
  }
};

describe('the compiled hostwire-agent executable', () => {
  it('exists (npm run build compiles it once)', () => {
    expect(existsSync(EXECUTABLE), `${EXECUTABLE} is missing: run npm run build`).toBe(true);
    const sums = readFileSync(path.join(BIN_DIR, 'SHA256SUMS'), 'utf8');
    expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  hostwire-agent-linux-${ARCH}$`, 'm'));
  });

  it('installs with install.sh --no-service, runs without Node.js, buffers through a server restart and loses nothing', async () => {
    const first = await server();
    const { hostId, token } = await newHost(first);
    const dir = tempDir();
    const pathDir = nodelessPath(dir);
    const res = await fetch(`${first.url}/install.sh`);
    expect(res.headers.get('content-type')).toMatch(/shellscript/);
    const script = await res.text();
    expect(script).toContain(`SERVER='${first.ctx.config.publicUrl}'`);
    writeFileSync(path.join(dir, 'install.sh'), script);

    const prefix = path.join(dir, 'bin');
    const configPath = path.join(dir, 'etc', 'agent.json');
    const args = [
      '--server',
      first.url,
      '--token',
      token,
      '--prefix',
      prefix,
      '--config',
      configPath,
      '--no-service',
    ];
    const installed = await install(dir, pathDir, args);
    expect(installed.out).toContain(`signature of SHA256SUMS verified (release key ${releaseKey()})`);
    expect(installed.out).toMatch(/checksum verified/);
    expect(installed.out).toMatch(/start the agent with: .*hostwire-agent run --config/);
    expect(installed.status).toBe(0);
    expect(
      Number.parseInt(execFileSync('stat', ['-c', '%a', configPath], { encoding: 'utf8' }), 8) & 0o077,
    ).toBe(0);
    // Idempotent: again, it replaces the binary and keeps the config (the token is spent by now).
    const again = await install(dir, pathDir, args);
    expect(again.out).toMatch(/upgraded .*hostwire-agent/);
    expect(again.out).toMatch(/keeping the existing config/);
    expect(again.out).toContain(`The release key ${releaseKey()} is already pinned`);
    expect(again.status).toBe(0);
    expect((JSON.parse(readFileSync(configPath, 'utf8')) as { releaseKey: string }).releaseKey).toBe(
      releaseKey(),
    );

    // Sample every second while offline too (the default is 10 s), so the outage buffers a few.
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { metrics: Record<string, unknown> };
    writeFileSync(
      configPath,
      JSON.stringify({ ...config, metrics: { ...config.metrics, intervalMs: 1000 } }),
    );
    const agent = runExecutable(path.join(prefix, 'hostwire-agent'), configPath, pathDir);
    await waitFor(async () => (await first.ctx.store.hosts.findById(hostId))?.status === 'online', 20_000);
    await waitFor(async () => (await first.ctx.store.metrics.countSamples(hostId)) >= 2, 20_000);
    const version = readFileSync(path.join(BIN_DIR, 'VERSION'), 'utf8').trim();
    expect((await first.ctx.store.hosts.findById(hostId))?.agent?.agentVersion).toBe(version);
    // `run` re-executed itself in place (execve: the same pid) without the JIT and with the slower idle GC.
    const environ = readFileSync(`/proc/${agent.child.pid ?? 0}/environ`, 'utf8').split('\0');
    expect(environ).toContain('BUN_JSC_useJIT=0');
    expect(environ).toContain('BUN_GC_TIMER_INTERVAL=10000');

    await first.close();
    const stateDir = path.join(dir, 'etc', 'state');
    await waitFor(() => {
      const status = statusOf(stateDir);
      return status !== undefined && !status.connected && status.bufferedSamples >= 4;
    }, 20_000);
    const offline = statusOf(stateDir) ?? { lastSeq: Infinity };
    const second = await server({ PORT: String(first.port) }, first.dataDir);
    await waitFor(async () => {
      const seqs = await second.ctx.store.metrics.seqs(hostId);
      return (
        seqs.length > offline.lastSeq && (await second.ctx.store.hosts.findById(hostId))?.status === 'online'
      );
    }, 30_000);
    const seqs = await second.ctx.store.metrics.seqs(hostId);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(agent.output()).not.toMatch(/error|fatal/i);
    expect(await agent.stop()).toBe(0);

    // `update` against the same server: nothing to do, then --force re-installs the verified file.
    const bin = path.join(prefix, 'hostwire-agent');
    const same = await runToEnd(bin, ['update', '--config', configPath]);
    expect(same.out).toMatch(/is the server's current version: nothing to do/);
    expect(same.status).toBe(0);
    const forced = await runToEnd(bin, ['update', '--config', configPath, '--force']);
    expect(forced.out).toMatch(/updated .*hostwire-agent from .* to .* \(sha256 [0-9a-f]{64}\)/);
    expect(forced.status).toBe(0);
    expect((await runToEnd(bin, ['--version'])).status).toBe(0);
  });

  it("takes over the previous release's SQLite state (bun:sqlite) and sends its unacknowledged samples", async () => {
    const s = await server();
    const { hostId, token } = await newHost(s);
    const dir = tempDir();
    const configPath = path.join(dir, 'agent.json');
    const enrolled = await runToEnd(EXECUTABLE, [
      'enroll',
      '--server',
      s.url,
      '--token',
      token,
      '--config',
      configPath,
    ]);
    expect(enrolled.status).toBe(0);
    const stateDir = path.join(dir, 'state');
    mkdirSync(stateDir, { recursive: true });
    const db = new Database(path.join(stateDir, 'agent.db'));
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);
      CREATE TABLE samples (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE commands (kind TEXT NOT NULL, action_id TEXT NOT NULL, received_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, PRIMARY KEY (kind, action_id));
      CREATE TABLE pending_frames (id INTEGER PRIMARY KEY AUTOINCREMENT, action_id TEXT NOT NULL,
        body TEXT NOT NULL, created_at INTEGER NOT NULL);`);
    const now = Date.now();
    const insert = db.prepare('INSERT INTO samples (seq, ts, body) VALUES (?, ?, ?)');
    for (let seq = 1; seq <= 5; seq++) {
      const ts = now - (6 - seq) * 1000;
      insert.run(seq, ts, JSON.stringify(legacySample(seq, ts)));
    }
    db.prepare("INSERT INTO meta (key, value) VALUES ('last_seq', 5), ('host_id', ?)").run(hostId);
    db.close();

    const agent = runExecutable(EXECUTABLE, configPath, '/nonexistent');
    await waitFor(async () => (await s.ctx.store.metrics.seqs(hostId)).length >= 7, 20_000);
    const seqs = await s.ctx.store.metrics.seqs(hostId);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(agent.output()).toMatch(/took over the previous release's state: 5 samples \(last seq 5\)/);
    expect(existsSync(path.join(stateDir, 'agent.db'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'agent.db.imported'))).toBe(true);
  });

  it('update makes the running agent re-execute the new file, which goes online again', async () => {
    const s = await server();
    const { hostId, token } = await newHost(s);
    const dir = tempDir();
    const bin = path.join(dir, 'hostwire-agent');
    cpSync(EXECUTABLE, bin);
    const configPath = path.join(dir, 'agent.json');
    const enrolled = await runToEnd(bin, [
      'enroll',
      '--server',
      s.url,
      '--token',
      token,
      '--config',
      configPath,
    ]);
    expect(enrolled.status).toBe(0);
    const stateDir = path.join(dir, 'state');
    const agent = runExecutable(bin, configPath, '/nonexistent');
    await waitFor(() => statusOf(stateDir)?.connected === true, 20_000);
    const firstPid = agent.child.pid;
    const updated = await runToEnd(bin, ['update', '--config', configPath, '--force']);
    expect(updated.out).toMatch(new RegExp(`asked the running agent \\(pid ${firstPid ?? 0}\\) to restart`));
    expect(updated.status).toBe(0);
    expect(await agent.exited, agent.output()).toBe(0);
    await waitFor(() => {
      const status = statusOf(stateDir);
      return status !== undefined && status.pid !== firstPid && status.connected;
    }, 20_000);
    const newPid = statusOf(stateDir)?.pid ?? 0;
    cleanups.push(() => {
      try {
        process.kill(newPid, 'SIGTERM');
      } catch {
        // already gone
      }
    });
    await waitFor(async () => (await s.ctx.store.hosts.findById(hostId))?.status === 'online', 20_000);
    expect(agent.output()).toMatch(/updated: started the new executable/);
  });

  it('refuses an executable and SHA256SUMS swapped in transit unless the release key signed them (install.sh with dash, and update)', async () => {
    const s = await server();
    const dir = tempDir();
    const pathDir = nodelessPath(dir);
    writeFileSync(path.join(dir, 'install.sh'), await (await fetch(`${s.url}/install.sh`)).text());
    // Someone in the middle (here on 127.0.0.1, so the script talks to it without --insecure-http) serves
    // their own executable with a matching SHA256SUMS, signed by a key of their own.
    const marker = path.join(dir, 'ran-the-swapped-executable');
    const mitm = await middleman(s.url, marker);
    const prefix = path.join(dir, 'bin');
    const args = [
      '--server',
      mitm.url,
      '--token',
      'x',
      '--prefix',
      prefix,
      '--config',
      path.join(dir, 'c.json'),
      '--no-service',
    ];
    const swapped = await install(dir, pathDir, args, 'dash');
    expect(swapped.out).toContain(
      `SHA256SUMS from ${mitm.url} is not signed by the release key ${releaseKey()}: not installed`,
    );
    expect(swapped.status).toBe(1);
    // The genuine, signed SHA256SUMS with the swapped executable: its checksum does not match.
    mitm.serveGenuineSums();
    const mismatch = await install(dir, pathDir, args, 'dash');
    expect(mismatch.out).toMatch(/signature of SHA256SUMS verified/);
    expect(mismatch.out).toMatch(/checksum mismatch/);
    expect(mismatch.status).toBe(1);
    expect(existsSync(path.join(prefix, 'hostwire-agent'))).toBe(false);

    // `update` with the release key pinned refuses the swap too and leaves the executable alone.
    mitm.serveSwappedSums();
    const installedBin = path.join(dir, 'bin2', 'hostwire-agent');
    mkdirSync(path.dirname(installedBin));
    cpSync(EXECUTABLE, installedBin);
    const configPath = path.join(dir, 'c.json');
    writeFileSync(configPath, JSON.stringify({ ...minimalConfig(mitm.url), releaseKey: releaseKey() }));
    const updated = await runToEnd(installedBin, ['update', '--config', configPath, '--force']);
    expect(updated.out).toMatch(
      /SHA256SUMS from .* is not signed by the pinned release key .*: not installed/,
    );
    expect(updated.status).toBe(9);
    expect(readFileSync(installedBin).equals(readFileSync(EXECUTABLE))).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('warns at start when the served SHA256SUMS is not signed by the release key, and says how to build a missing executable', async () => {
    const binaries = tempDir();
    cpSync(BIN_DIR, binaries, { recursive: true });
    writeFileSync(path.join(binaries, 'SHA256SUMS'), `${'0'.repeat(64)}  hostwire-agent-linux-${ARCH}\n`);
    rmSync(path.join(binaries, `hostwire-agent-linux-${ARCH === 'x64' ? 'arm64' : 'x64'}`), { force: true });
    const s = await server({ AGENT_BINARIES_DIR: binaries });
    expect(s.logs.join('')).toContain('install.sh and hostwire-agent update will refuse them');
    const missing = await fetch(
      `${s.url}/downloads/hostwire-agent-linux-${ARCH === 'x64' ? 'arm64' : 'x64'}`,
    );
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/npm run build/);
    expect((await fetch(`${s.url}/downloads/..%2Fpackage.json`)).status).toBe(404);
    const signature = await fetch(`${s.url}/downloads/SHA256SUMS.sig`);
    expect(Buffer.from(await signature.arrayBuffer()).length).toBe(64);
    const release = (await (await fetch(`${s.url}/api/agent/release`)).json()) as {
      version: string;
      platforms: string[];
      serverUrl: string;
      releaseKey: string;
    };
    expect(release).toMatchObject({
      platforms: [`linux-${ARCH}`],
      serverUrl: s.ctx.config.publicUrl,
      releaseKey: releaseKey(),
    });
  });

  it('installs as a non-root user into ~/.local/bin and ~/.config/hostwire, without systemd', async () => {
    const s = await server();
    const { token } = await newHost(s);
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const pathDir = nodelessPath(dir);
    writeFileSync(path.join(dir, 'install.sh'), await (await fetch(`${s.url}/install.sh`)).text());
    const home = path.join(dir, 'home');
    mkdirSync(home);
    // As root here, the script runs as nobody (setpriv); as anyone else, as that user.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(home, 65534, 65534);
    const setpriv = asRoot
      ? execFileSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).trim()
      : '';
    const script = ['sh', path.join(dir, 'install.sh'), '--server', s.url, '--token', token];
    const [file, ...args] = asRoot
      ? [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', ...script]
      : script;
    const result = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn(file ?? 'sh', args, {
        env: { PATH: pathDir, HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (status) => resolve({ status, out }));
    });
    expect(result.out).toMatch(
      /not running as root: installing for this user only, without the system service/,
    );
    expect(result.out).toContain(
      `start the agent with: ${home}/.local/bin/hostwire-agent run --config ${home}/.config/hostwire/agent.json`,
    );
    expect(result.status).toBe(0);
    const config = path.join(home, '.config/hostwire/agent.json');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    if (asRoot) expect(statSync(config).uid).toBe(65534);
    expect(statSync(path.join(home, '.local/bin/hostwire-agent')).mode & 0o111).not.toBe(0);
  });

  it('serves an install.sh that is POSIX sh (dash, shellcheck) naming only PUBLIC_URL, whatever Host and X-Forwarded-Proto say', async () => {
    const publicUrl = 'https://hostwire.example.test';
    // Behind a proxy: X-Forwarded-Proto would set the request's scheme, so only PUBLIC_URL may count.
    const s = await server({ PUBLIC_URL: publicUrl, TRUST_PROXY: 'loopback' });
    const dir = tempDir();
    const file = path.join(dir, 'install.sh');
    const forged = await runToEnd('curl', [
      '-s',
      '-H',
      'Host: evil.example',
      '-H',
      'X-Forwarded-Proto: http',
      '-H',
      'X-Forwarded-Host: evil.example',
      `${s.url}/install.sh`,
    ]);
    const script = forged.out;
    expect(script).toContain(`SERVER='${publicUrl}'`);
    expect(script).toContain(`RELEASE_KEY='${releaseKey()}'`);
    expect(script).not.toMatch(/evil|127\.0\.0\.1:\d/);
    const urls = script.match(/https?:\/\/[A-Za-z0-9][^\s'"`]*/g) ?? [];
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => !u.startsWith(publicUrl))).toEqual([]);
    writeFileSync(file, script);
    expect(spawnSync('dash', ['-n', file], { encoding: 'utf8' }).status).toBe(0);
    const check = spawnSync('shellcheck', ['-s', 'sh', file], { encoding: 'utf8' });
    expect(check.error, 'shellcheck is needed (apt-get install shellcheck)').toBeUndefined();
    expect(check.stdout).toBe('');
    expect(check.status).toBe(0);
    // A Host header that is not a plain origin never reaches the script.
    const spoofed = await runToEnd('curl', ['-s', '-H', "Host: evil'$(id)", `${s.url}/install.sh`]);
    expect(spoofed.out).toContain('#!/bin/sh');
    expect(spoofed.out).not.toContain('$(id)');

    // Plain http only to this machine: refused before anything is downloaded (the name resolves nowhere).
    const pathDir = nodelessPath(dir);
    const common = [
      '--token',
      'x',
      '--prefix',
      path.join(dir, 'bin'),
      '--config',
      path.join(dir, 'c.json'),
      '--no-service',
    ];
    const plain = await install(dir, pathDir, ['--server', 'http://hostwire.invalid', ...common], 'dash');
    expect(plain.out).toContain('http://hostwire.invalid is plain http');
    expect(plain.out).not.toContain('downloading');
    expect(plain.status).toBe(1);
    const lookalike = await install(
      dir,
      pathDir,
      ['--server', 'http://127.0.0.1.hostwire.invalid', ...common],
      'dash',
    );
    expect(lookalike.out).toContain('is plain http');
    expect(lookalike.status).toBe(1);
    // --insecure-http passes the check (and stops at the download here: no curl on this PATH, so no DNS retries).
    rmSync(path.join(pathDir, 'curl'));
    const insecure = await install(
      dir,
      pathDir,
      ['--server', 'http://hostwire.invalid', '--insecure-http', ...common],
      'dash',
    );
    expect(insecure.out).toContain(
      'warning: --insecure-http: talking to http://hostwire.invalid without TLS',
    );
    expect(insecure.out).toContain('curl or wget is needed');
    expect(insecure.status).toBe(1);
    // Without OpenSSL 3 the signature cannot be checked: refused unless the operator says so.
    rmSync(path.join(pathDir, 'openssl'));
    const noOpenssl = await install(dir, pathDir, ['--server', s.url, ...common], 'dash');
    expect(noOpenssl.out).toContain('OpenSSL 3 is needed to check the signature of SHA256SUMS');
    expect(noOpenssl.out).not.toContain('downloading');
    expect(noOpenssl.status).toBe(1);
  });

  it('installs the service with --config in an existing directory without changing that directory (a namespace with its own /etc and /run)', async () => {
    expect(process.getuid?.(), 'the service install runs as root').toBe(0);
    const s = await server();
    const { token } = await newHost(s);
    const dir = tempDir();
    writeFileSync(path.join(dir, 'install.sh'), await (await fetch(`${s.url}/install.sh`)).text());
    const existing = path.join(dir, 'existing');
    mkdirSync(existing);
    chmodSync(existing, 0o751);
    const before = statSync(existing);
    // systemd is a stub that records its calls; useradd and the unit file write into an overlay of /etc.
    const stubs = path.join(dir, 'stubs');
    mkdirSync(stubs);
    writeFileSync(path.join(stubs, 'systemctl'), `#!/bin/sh\necho "$*" >>'${dir}/systemctl.log'\n`, {
      mode: 0o755,
    });
    for (const d of ['upper', 'work']) mkdirSync(path.join(dir, d));
    const configPath = path.join(existing, 'agent.json');
    const inNamespace = [
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/upper,workdir=${dir}/work /etc`,
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/systemd/system',
      `exec dash ${dir}/install.sh --server ${s.url} --token ${token} --prefix ${dir}/bin --config ${configPath}`,
    ].join(' && ');
    const result = await runToEnd(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', inNamespace],
      {
        PATH: `${stubs}:/usr/sbin:/usr/bin:/sbin:/bin`,
      },
    );
    expect(result.out).toMatch(/installed and started hostwire-agent.service/);
    expect(result.status).toBe(0);
    const after = statSync(existing);
    expect({ uid: after.uid, gid: after.gid, mode: after.mode }).toEqual({
      uid: before.uid,
      gid: before.gid,
      mode: before.mode,
    });
    const config = statSync(configPath);
    expect(config.uid).not.toBe(0);
    expect(config.mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'upper', 'passwd'), 'utf8')).toMatch(
      new RegExp(`^hostwire-agent:x:${config.uid}:`, 'm'),
    );
    expect(
      readFileSync(path.join(dir, 'upper', 'systemd', 'system', 'hostwire-agent.service'), 'utf8'),
    ).toContain(`ExecStart=${dir}/bin/hostwire-agent run --config ${configPath}`);
    expect(readFileSync(path.join(dir, 'systemctl.log'), 'utf8')).toContain('restart hostwire-agent.service');
  });
});

/** The release public key `npm run build` signed dist-bin with (base64 of the raw Ed25519 key). */
function releaseKey(): string {
  const pem = readFileSync(path.join(BIN_DIR, 'release-key.pub'), 'utf8');
  return pem.replace(/-----[^-]+-----|\s/g, '').slice('MCowBQYDK2VwAyEA'.length);
}

/**
 * A man in the middle on 127.0.0.1: forwards everything to `upstream` except the release, which it swaps
 * for an executable that creates `marker`, with a matching SHA256SUMS signed by its own key.
 */
async function middleman(upstream: string, marker: string) {
  const name = `hostwire-agent-linux-${ARCH}`;
  const executable = Buffer.from(`#!/bin/sh\n: >'${marker}'\necho 6.6.6\n`);
  const swappedSums = Buffer.from(`${createHash('sha256').update(executable).digest('hex')}  ${name}\n`);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const theirKey = publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
  let sums = swappedSums;
  let signature = sign(null, swappedSums, privateKey);
  const genuine = {
    sums: readFileSync(path.join(BIN_DIR, 'SHA256SUMS')),
    sig: readFileSync(path.join(BIN_DIR, 'SHA256SUMS.sig')),
  };
  const http = createServer((req, res) => {
    const answers: Record<string, Buffer> = {
      [`/downloads/${name}`]: executable,
      '/downloads/SHA256SUMS': sums,
      '/downloads/SHA256SUMS.sig': signature,
      '/api/agent/release': Buffer.from(
        JSON.stringify({ version: '6.6.6', platforms: [`linux-${ARCH}`], releaseKey: theirKey }),
      ),
    };
    const answer = answers[req.url ?? ''];
    if (answer) {
      res.writeHead(200).end(answer);
      return;
    }
    void fetch(`${upstream}${req.url ?? ''}`).then(async (r) =>
      res.writeHead(r.status).end(Buffer.from(await r.arrayBuffer())),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    serveGenuineSums: () => {
      sums = genuine.sums;
      signature = genuine.sig;
    },
    serveSwappedSums: () => {
      sums = swappedSums;
      signature = sign(null, swappedSums, privateKey);
    },
  };
}

function minimalConfig(server: string) {
  return {
    server,
    hostId: 'host_update_1',
    organizationId: 'org_update_1',
    agentToken: 'unused',
    commandPublicKey:
      '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n',
  };
}

function legacySample(seq: number, ts: number) {
  return {
    seq,
    ts,
    cpu: { total: 1, cores: [1] },
    load: [0, 0, 0],
    memory: { total: 1, used: 0, available: 1, swapTotal: 0, swapUsed: 0 },
    filesystems: [],
    disk: { readBps: 0, writeBps: 0, devices: [] },
    network: { rxBps: 0, txBps: 0, interfaces: [] },
    uptime: 1,
    processes: { count: 1, topCpu: [], topMemory: [] },
  };
}
