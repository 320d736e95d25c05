// Tests of the command line through `main` (the same code bin.ts runs): enroll against a real HTTP
// server on port 0, the exit code of each failure, and `status`; `update` against a release that server
// serves (signed by a test release key, or swapped by someone without it).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJsonc } from '../config/jsonc.js';
import { EXIT_CODES } from '../errors.js';
import { StatusWriter } from '../state/status-file.js';
import { createCommandKeys, createTempDir } from '../test-support/fixtures.js';
import { main } from './program.js';
import { update } from './update.js';

const keys = createCommandKeys();

function releaseKeyPair(): { key: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    key: publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64'),
    privateKey,
  };
}
/** The release key of the test server, and another one (someone in the middle, without the real key). */
const release = releaseKeyPair();
const attacker = releaseKeyPair();
const EXECUTABLE_NAME = `hostwire-agent-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;

/** A release as GET /downloads serves it: an "executable" that prints `version`, SHA256SUMS and its signature. */
function releaseFiles(version: string, signer: KeyObject | null): Map<string, Buffer> {
  const executable = Buffer.from(`#!/bin/sh\necho ${version}\n`);
  const sums = Buffer.from(`${createHash('sha256').update(executable).digest('hex')}  ${EXECUTABLE_NAME}\n`);
  const files = new Map([
    [`/downloads/${EXECUTABLE_NAME}`, executable],
    ['/downloads/SHA256SUMS', sums],
  ]);
  if (signer) files.set('/downloads/SHA256SUMS.sig', sign(null, sums, signer));
  return files;
}

describe('hostwire-agent CLI', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let server: Server;
  let url: string;
  let bodies: unknown[];
  /** What GET answers besides enroll (path → body), and the release key the server announces. */
  let files: Map<string, Buffer>;
  let out: string;
  let err: string;
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
  const cli = (...args: string[]) => main(['node', 'hostwire-agent', ...args], io);

  beforeEach(async () => {
    tmp = await createTempDir();
    bodies = [];
    files = new Map();
    out = '';
    err = '';
    server = createServer((req, res) => {
      if (req.method === 'GET') {
        const body =
          req.url === '/api/agent/release'
            ? Buffer.from(
                JSON.stringify({ version: '9.9.9', platforms: [], serverUrl: url, releaseKey: release.key }),
              )
            : files.get(req.url ?? '');
        res.writeHead(body ? 200 : 404).end(body ?? 'not found');
        return;
      }
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(text) as { enrollmentToken?: string };
        bodies.push(body);
        res.setHeader('content-type', 'application/json');
        if (req.url !== '/api/agent/enroll' || req.method !== 'POST') {
          res.writeHead(404).end('{}');
        } else if (body.enrollmentToken !== 'good-token') {
          res
            .writeHead(401)
            .end(
              JSON.stringify({ error: { code: 'unauthorized', message: 'token unknown, used or expired' } }),
            );
        } else {
          res.writeHead(201).end(
            JSON.stringify({
              hostId: 'host_9',
              organizationId: 'org_9',
              agentToken: 'agent-jwt',
              commandPublicKey: keys.publicKeyPem,
              releaseKey: release.key,
            }),
          );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await tmp.remove();
  });

  it('enrolls and writes a 0600 config with the credentials and the default catalog', async () => {
    const config = path.join(tmp.dir, 'conf', 'agent.json');
    expect(await cli('enroll', '--server', `${url}/`, '--token', 'good-token', '--config', config)).toBe(0);
    expect(out).toContain('Enrolled as host host_9');
    expect(bodies[0]).toMatchObject({
      enrollmentToken: 'good-token',
      hostname: expect.any(String) as string,
      os: { platform: 'linux' },
    });
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    const written = JSON.parse(await readFile(config, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({
      server: url,
      hostId: 'host_9',
      organizationId: 'org_9',
      agentToken: 'agent-jwt',
      commandPublicKey: keys.publicKeyPem,
    });
    expect((written.actions as { name: string }[]).map((a) => a.name)).toContain('restart-service');
  });

  it("keeps an existing config's settings when enrolling again", async () => {
    const config = path.join(tmp.dir, 'agent.json');
    await writeFile(
      config,
      '// mine\n{ "actions": [], "metrics": { "intervalMs": 30000 }, "hostId": "old" }',
    );
    expect(await cli('enroll', '--server', url, '--token', 'good-token', '--config', config)).toBe(0);
    const written = parseJsonc(await readFile(config, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ actions: [], metrics: { intervalMs: 30000 }, hostId: 'host_9' });
  });

  it.each([
    [['--server', 'not a url', '--token', 'x'], EXIT_CODES.INVALID_URL, /not a URL/],
    [['--server', 'ftp://example.com', '--token', 'x'], EXIT_CODES.INVALID_URL, /http:\/\/ or https:\/\//],
    [
      ['--server', 'URL', '--token', 'used-token'],
      EXIT_CODES.UNAUTHORIZED,
      /refused \(HTTP 401: token unknown, used or expired\)/,
    ],
    [['--server', 'http://127.0.0.1:9', '--token', 'x'], EXIT_CODES.SERVER_UNREACHABLE, /Cannot reach/],
    // Refused before connecting (the name resolves nowhere): plain http only to this machine.
    [['--server', 'http://hostwire.invalid:8080', '--token', 'x'], EXIT_CODES.INVALID_URL, /is plain http/],
    [
      ['--server', 'http://127.0.0.1.hostwire.invalid', '--token', 'x'],
      EXIT_CODES.INVALID_URL,
      /is plain http/,
    ],
    [
      ['--server', 'URL', '--token', 'good-token', '--release-key', 'abc'],
      EXIT_CODES.USAGE,
      /is not a release key/,
    ],
  ])('enroll %j exits with %i and a clear message', async (args, code, message) => {
    const config = path.join(tmp.dir, 'agent.json');
    expect(await cli('enroll', ...args.map((a) => (a === 'URL' ? url : a)), '--config', config)).toBe(code);
    expect(err).toMatch(message);
    await expect(stat(config)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("enroll pins --release-key over the key the server announces, else the loopback server's; remembers --insecure-http", async () => {
    const config = path.join(tmp.dir, 'agent.json');
    const args = ['enroll', '--server', url, '--token', 'good-token', '--config', config];
    expect(await cli(...args, '--release-key', attacker.key, '--insecure-http')).toBe(0);
    expect(err).toContain(`the server announces the release key ${release.key}, not the --release-key`);
    let written = JSON.parse(await readFile(config, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ releaseKey: attacker.key, insecureHttp: true });
    expect(await cli(...args)).toBe(0);
    written = JSON.parse(await readFile(config, 'utf8')) as Record<string, unknown>;
    expect(written.releaseKey).toBe(release.key);
    expect(written).not.toHaveProperty('insecureHttp');
    // pin-release-key (install.sh runs it on a config it keeps) replaces the pin, keeping the owner.
    expect(await cli('pin-release-key', '--release-key', attacker.key, '--config', config)).toBe(0);
    expect(out).toContain(`Replaced the pinned release key ${release.key} with ${attacker.key}`);
    expect((JSON.parse(await readFile(config, 'utf8')) as { releaseKey: string }).releaseKey).toBe(
      attacker.key,
    );
    expect(await cli('pin-release-key', '--release-key', 'not-a-key', '--config', config)).toBe(
      EXIT_CODES.USAGE,
    );
  });

  describe('update', () => {
    /** An installed "executable" (a script printing its version) and a config enrolled with `pinned`. */
    async function installed(pinned: Record<string, unknown>) {
      const executable = path.join(tmp.dir, 'bin', 'hostwire-agent');
      await mkdir(path.dirname(executable), { recursive: true });
      await writeFile(executable, '#!/bin/sh\necho 0.0.1\n');
      await chmod(executable, 0o755);
      const configPath = path.join(tmp.dir, 'agent.json');
      const config = {
        server: url,
        hostId: 'host_9',
        agentToken: 't',
        commandPublicKey: keys.publicKeyPem,
        ...pinned,
      };
      await writeFile(configPath, JSON.stringify(config));
      const lines: string[] = [];
      const run = (extra: Partial<Parameters<typeof update>[0]> = {}) =>
        update({
          server: url,
          stateDir: path.join(tmp.dir, 'state'),
          configPath,
          pinned: {
            releaseKey: pinned.releaseKey as string | undefined,
            insecureHttp: pinned.insecureHttp === true,
          },
          force: true,
          executable,
          print: (line) => lines.push(line),
          ...extra,
        });
      return { executable, configPath, lines, run };
    }

    it('refuses an executable and SHA256SUMS swapped together unless the pinned release key signed them', async () => {
      const agent = await installed({ releaseKey: release.key });
      files = releaseFiles('6.6.6', attacker.privateKey);
      await expect(agent.run()).rejects.toMatchObject({
        code: 'SERVER_ERROR',
        message: expect.stringMatching(
          /SHA256SUMS from .* is not signed by the pinned release key/,
        ) as string,
      });
      files.delete('/downloads/SHA256SUMS.sig');
      await expect(agent.run()).rejects.toThrow(/HTTP 404.*the release is not signed, not installed/);
      expect(await readFile(agent.executable, 'utf8')).toContain('0.0.1');
      // Signed by the pinned key: installed.
      files = releaseFiles('9.9.9', release.privateKey);
      expect(await agent.run()).toBe('9.9.9');
      expect(agent.lines.join('\n')).toMatch(/updated .* from .* to 9\.9\.9 \(sha256 [0-9a-f]{64}\)/);
      expect(await readFile(agent.executable, 'utf8')).toContain('9.9.9');
    });

    it("pins the server's release key on first use over loopback for a config from before keys were pinned", async () => {
      const agent = await installed({});
      files = releaseFiles('9.9.9', release.privateKey);
      expect(await agent.run()).toBe('9.9.9');
      expect(agent.lines.join('\n')).toContain(`trusting ${url}'s key ${release.key} on first use`);
      expect(
        (JSON.parse(await readFile(agent.configPath, 'utf8')) as { releaseKey: string }).releaseKey,
      ).toBe(release.key);
    });

    it('refuses a plain-http server that is not this machine unless --insecure-http was given at enroll', async () => {
      const refused = await installed({ releaseKey: release.key });
      await expect(refused.run({ server: 'http://hostwire.invalid' })).rejects.toMatchObject({
        code: 'INVALID_URL',
        message: expect.stringContaining('is plain http') as string,
      });
      // Remembered from enroll: it goes on to connect (and finds nothing at that name).
      const allowed = await installed({ releaseKey: release.key, insecureHttp: true });
      await expect(allowed.run({ server: 'http://hostwire.invalid' })).rejects.toMatchObject({
        code: 'SERVER_UNREACHABLE',
      });
    });
  });

  it('exits with USAGE for a missing option and INVALID_CONFIG for a bad config file', async () => {
    expect(await cli('enroll', '--server', url)).toBe(EXIT_CODES.USAGE);
    const config = path.join(tmp.dir, 'agent.json');
    await writeFile(
      config,
      JSON.stringify({
        server: url,
        hostId: 'bad id!',
        agentToken: 't',
        commandPublicKey: keys.publicKeyPem,
      }),
    );
    expect(await cli('run', '--config', config)).toBe(EXIT_CODES.INVALID_CONFIG);
    expect(err).toContain('hostId:');
  });

  it('reports status: connected, not running, or never run', async () => {
    const config = path.join(tmp.dir, 'agent.json');
    await writeFile(
      config,
      JSON.stringify({ server: url, hostId: 'host_9', agentToken: 't', commandPublicKey: keys.publicKeyPem }),
    );
    expect(await cli('status', '--config', config)).toBe(EXIT_CODES.NOT_RUNNING);
    const writer = new StatusWriter(path.join(tmp.dir, 'state'));
    const status = {
      pid: process.pid,
      startedAt: Date.now(),
      updatedAt: Date.now(),
      server: url,
      hostId: 'host_9',
      connected: true,
      since: Date.now() - 5000,
      reconnects: 2,
      failedAttempts: 0,
      lastError: null,
      bufferedSamples: 7,
      lastSeq: 42,
      droppedSamples: 3,
      storageError: null,
      intervalMs: 10000,
      activeLogStreams: 0,
      runningActions: 0,
      stopped: false,
    };
    writer.write(status);
    await writer.flush();
    out = '';
    expect(await cli('status', '--config', config)).toBe(EXIT_CODES.OK);
    expect(out).toMatch(/agent: +connected/);
    expect(out).toMatch(/reconnects: +2/);
    expect(out).toMatch(/buffered samples: 7 \(last seq 42, 3 dropped\)/);
    writer.write({ ...status, stopped: true });
    await writer.flush();
    expect(await cli('status', '--config', config, '--json')).toBe(EXIT_CODES.NOT_RUNNING);
  });

  it('refuses to run on a read-only state dir with a clear message and exit code 12, not a stack trace', async () => {
    const readOnly = path.join(tmp.dir, 'ro');
    await mkdir(readOnly);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', readOnly]);
    try {
      const config = path.join(tmp.dir, 'agent.json');
      await writeFile(
        config,
        JSON.stringify({
          server: url,
          hostId: 'host_9',
          organizationId: 'org_9',
          agentToken: 'agent-jwt',
          commandPublicKey: keys.publicKeyPem,
          stateDir: readOnly,
        }),
      );
      expect(await cli('run', '--config', config)).toBe(EXIT_CODES.STATE_DIR);
      expect(EXIT_CODES.STATE_DIR).toBe(12);
      expect(err).toMatch(/The state dir .*\/ro is not writable \(EROFS\)/);
      expect(err).not.toMatch(/\n\s+at /);
    } finally {
      execFileSync('umount', [readOnly]);
    }
  });
});
