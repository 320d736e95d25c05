// `npm start` (start-local): the plain-words banner with the setup link, and the machine's own agent
// joining only after setup, without telling the user to start it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../apps/api/src/test-support/raw-peers.js';

const START_LOCAL = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../apps/api/dist/start-local.js',
);
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('npm start', () => {
  it('prints where to open Hostwire and the one-time setup link, then runs the local agent after setup', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hostwire-start-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const publicUrl = 'http://hostwire.test:8080';
    const child = spawn(process.execPath, [START_LOCAL], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        PUBLIC_URL: publicUrl,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });

    await waitFor(() => out.includes('/setup?code='), 15_000, 'the setup link');
    const code = readFileSync(path.join(dataDir, 'setup-code'), 'utf8').trim();
    expect(out).toContain(`Open ${publicUrl} in your browser.`);
    expect(out).toContain(`  ${publicUrl}/setup?code=${code}\n`);

    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1] ?? '';
    expect(url).not.toBe('');
    const res = await fetch(`${url}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: publicUrl },
      body: JSON.stringify({
        email: 'owner@example.com',
        password: 'correct horse battery',
        organizationName: 'Acme',
        setupCode: code,
      }),
    });
    expect(res.status).toBe(201);
    expect(existsSync(path.join(dataDir, 'setup-code'))).toBe(false);
    const cookie = res.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const orgId = ((await res.json()) as { organizations: { id: string }[] }).organizations[0]?.id ?? '';
    await waitFor(
      async () => {
        const list = await fetch(`${url}/api/orgs/${orgId}/hosts`, { headers: { cookie } });
        const { hosts } = (await list.json()) as { hosts: { status: string }[] };
        return hosts.some((h) => h.status === 'online');
      },
      30_000,
      'the local agent online',
    );
    expect(out).not.toMatch(/start the agent with/i);
  }, 60_000);
});
