// Sign-in with two API instances behind one PostgreSQL and one Redis: a password change on one instance
// closes the other sessions' sockets on the other, and TOTP set up on one works (once) on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawClient } from '../apps/api/src/test-support/raw-peers.js';
import { skipWithout } from '../apps/api/src/test-support/services.js';
import type { TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { totpCode } from '../apps/api/src/test-support/totp.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

const skip = (await skipWithout('postgres')) || (await skipWithout('redis'));
const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery';

describe.skipIf(skip)('sign-in across two instances', () => {
  let cluster: TestCluster | undefined;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    cluster = await startTestCluster({ LOG_LEVEL: 'warn' });
    ({ a, b } = cluster);
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('ends the other sessions everywhere on a password change, and shares TOTP state between instances', async () => {
    const { cookie } = await a.setup(EMAIL, PASSWORD);
    const other = await b.login(EMAIL, PASSWORD);
    const watcher = await connectRawClient(b, other);
    const changed = await a.request('POST', '/api/auth/password', {
      cookie,
      body: { currentPassword: PASSWORD, newPassword: 'another long password' },
    });
    expect(changed.status).toBe(204);
    expect((await watcher.closed).code).toBe(4001);
    expect((await b.request('GET', '/api/auth/me', { cookie: other })).status).toBe(401);
    expect((await b.request('GET', '/api/auth/me', { cookie })).status).toBe(200);

    // Set up on A, confirm on B (the sealing key derives from the shared SESSION_JWT_SECRET).
    const setup = await a.request('POST', '/api/auth/totp/setup', { cookie });
    const { secret } = (await setup.json()) as { secret: string };
    const code = (offset: number) => totpCode(secret, offset);
    const enabled = await b.request('POST', '/api/auth/totp/enable', {
      cookie,
      body: { code: code(0), password: 'another long password' },
    });
    expect(enabled.status).toBe(200);
    const next = code(1);
    const body = { email: EMAIL, password: 'another long password', code: next };
    // The same code on both instances at once: exactly one sign-in.
    const [onA, onB] = await Promise.all([
      a.request('POST', '/api/auth/login', { body }),
      b.request('POST', '/api/auth/login', { body }),
    ]);
    expect([onA.status, onB.status].sort()).toEqual([200, 401]);
  });
});
