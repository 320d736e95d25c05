// Tests of the command line through `main` (the same code bin.ts runs): enroll against a real HTTP
// server on port 0, the exit code of each failure, and `status`.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJsonc } from '../config/jsonc.js';
import { EXIT_CODES } from '../errors.js';
import { StatusWriter } from '../state/status-file.js';
import { createCommandKeys, createTempDir } from '../test-support/fixtures.js';
import { main } from './program.js';

const keys = createCommandKeys();

describe('hostwire-agent CLI', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let server: Server;
  let url: string;
  let bodies: unknown[];
  let out: string;
  let err: string;
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
  const cli = (...args: string[]) => main(['node', 'hostwire-agent', ...args], io);

  beforeEach(async () => {
    tmp = await createTempDir();
    bodies = [];
    out = '';
    err = '';
    server = createServer((req, res) => {
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
  ])('enroll %j exits with %i and a clear message', async (args, code, message) => {
    const config = path.join(tmp.dir, 'agent.json');
    expect(await cli('enroll', ...args.map((a) => (a === 'URL' ? url : a)), '--config', config)).toBe(code);
    expect(err).toMatch(message);
    await expect(stat(config)).rejects.toMatchObject({ code: 'ENOENT' });
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
