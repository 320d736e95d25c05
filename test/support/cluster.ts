/** @module test/support/cluster — two API instances (real servers on port 0) sharing one fresh PostgreSQL database and Redis. */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createPostgresDatabase, REDIS_URL } from '../../apps/api/src/test-support/services.js';
import { startTestServer, type TestServer } from '../../apps/api/src/test-support/start-test-server.js';

/** The secrets every instance of one cluster must share: agent and session JWTs, command signing key. */
export function clusterSecrets(): Record<string, string> {
  return {
    AGENT_JWT_SECRET: randomBytes(48).toString('base64url'),
    SESSION_JWT_SECRET: randomBytes(48).toString('base64url'),
    COMMAND_SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
}

export interface TestCluster {
  a: TestServer;
  b: TestServer;
  /** The environment both instances run with (start more instances of the cluster with it). */
  env: Record<string, string>;
  /** Stops both instances and drops the database. */
  close(): Promise<void>;
}

/** Starts instances `a` and `b` on a fresh database, the shared Redis and shared secrets, plus `env`. */
export async function startTestCluster(env: Record<string, string> = {}): Promise<TestCluster> {
  const database = await createPostgresDatabase();
  const shared = { DATABASE_URL: database.url, REDIS_URL, ...env, ...clusterSecrets() };
  let a: TestServer | undefined;
  try {
    a = await startTestServer(shared);
    const b = await startTestServer(shared);
    return {
      a,
      b,
      env: shared,
      async close() {
        await b.cleanup();
        await a?.cleanup();
        await database.drop();
      },
    };
  } catch (e) {
    await a?.cleanup();
    await database.drop();
    throw e;
  }
}
