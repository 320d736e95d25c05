/** @module test-support/services — finds the PostgreSQL and Redis the suites need; skips (or, in CI, fails) without them. */
import { randomUUID } from 'node:crypto';
import net from 'node:net';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string, fallbackPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || fallbackPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether a suite that needs `service` should be skipped: false when it is reachable. Under CI=true a
 * missing service is an error, not a skip.
 */
export async function skipWithout(service: 'postgres' | 'redis'): Promise<boolean> {
  const url = service === 'postgres' ? POSTGRES_URL : REDIS_URL;
  const ok = await reachable(url, service === 'postgres' ? 5432 : 6379);
  if (ok) return false;
  const reason = `${service} is not reachable at ${url.replace(/\/\/[^@]*@/, '//')}`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true requires it`);
  console.warn(`skipped: ${reason} (start it to run this suite)`);
  return true;
}

/** A fresh, empty PostgreSQL database for one suite: its URL, and `drop` for afterAll. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `hostwire_test_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
