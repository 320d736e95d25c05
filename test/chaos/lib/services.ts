/** @module test/chaos/lib/services — the suite's own Redis, PostgreSQL database and haproxy, each started and removed by the experiment. */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { waitFor } from '@hostwire/protocol/testing';
import { freePort, type Proc, type Scope } from './scope.js';

export const POSTGRES_ADMIN_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HAPROXY = '/usr/sbin/haproxy';

export interface RedisProcess {
  url: string;
  port: number;
  proc: Proc;
  kill9(): Promise<void>;
  /** Starts redis-server again on the same port (empty: nothing is saved). */
  restart(): Promise<void>;
}

/** `redis-server` on a free port, without persistence, killed with the scope. */
export async function startRedis(scope: Scope): Promise<RedisProcess> {
  const port = await freePort();
  const launch = async () => {
    const proc = scope.spawn('redis', 'redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    await waitFor(() => /Ready to accept connections/i.test(proc.output()) || !proc.alive(), 10_000, 'redis');
    if (!proc.alive()) throw new Error(`redis-server exited:\n${proc.output()}`);
    return proc;
  };
  const redis: RedisProcess = {
    url: `redis://127.0.0.1:${port}`,
    port,
    proc: await launch(),
    kill9: () => redis.proc.kill9(),
    async restart() {
      redis.proc = await launch();
    },
  };
  return redis;
}

/** A fresh PostgreSQL database, dropped when the scope closes; returns its URL. */
export async function createDatabase(scope: Scope, prefix: string): Promise<string> {
  const name = `hostwire_chaos_${prefix}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  scope.defer(async () => {
    const drop = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await drop.connect();
    try {
      await drop.query(`drop database if exists ${name} with (force)`);
    } finally {
      await drop.end();
    }
  });
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Debian's haproxy; installed with apt-get when missing (the suite needs a real load balancer). */
export function ensureHaproxy(): string {
  if (existsSync(HAPROXY)) return HAPROXY;
  console.log('chaos: haproxy missing, installing it with apt-get');
  execFileSync(
    'sh',
    ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy'],
    {
      stdio: 'inherit',
      timeout: 300_000,
    },
  );
  if (!existsSync(HAPROXY)) throw new Error('haproxy could not be installed');
  return HAPROXY;
}

export interface LoadBalancer {
  url: string;
  port: number;
  proc: Proc;
}

/**
 * haproxy in the foreground in front of `backends` (ports on 127.0.0.1): round robin, health checks on
 * /healthz every 500 ms, WebSocket tunnels kept for an hour, a refused connection redispatched.
 */
export async function startHaproxy(
  scope: Scope,
  backends: readonly number[],
  port?: number,
): Promise<LoadBalancer> {
  const bin = ensureHaproxy();
  port ??= await freePort();
  const dir = scope.tempDir('haproxy');
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 4000',
      'defaults',
      '  mode http',
      '  retries 3',
      '  option redispatch',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  timeout tunnel 1h',
      'frontend chaos',
      `  bind 127.0.0.1:${port}`,
      '  default_backend hostwire',
      'backend hostwire',
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      '  default-server inter 500ms fall 2 rise 1',
      ...backends.map((p, i) => `  server api${i + 1} 127.0.0.1:${p} check`),
      '',
    ].join('\n'),
  );
  const proc = scope.spawn('haproxy', bin, ['-db', '-f', config]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (!proc.alive()) throw new Error(`haproxy exited:\n${proc.output()}`);
      try {
        return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).status === 200;
      } catch {
        return false;
      }
    },
    15_000,
    'haproxy',
  );
  return { url, port, proc };
}
