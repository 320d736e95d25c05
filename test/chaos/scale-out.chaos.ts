// Group 2 — two instances on PostgreSQL + Redis behind haproxy: an instance killed, a rolling restart,
// Redis killed, and a person on one instance driving an agent held by the other.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { waitFor } from '@hostwire/protocol/testing';
import { enrollAgent, enrollFleet, type AgentHandle } from './lib/agents.js';
import { connectClient } from './lib/client.js';
import { POLL_MS, stopAndAccount, totalReconnects, waitCaughtUp, waitStatuses } from './lib/checks.js';
import { check, runExperiment, type Figures } from './lib/experiment.js';
import { SMOKE } from './lib/report.js';
import { createScope, freePort, sleep, type Scope } from './lib/scope.js';
import { setupOwner, startServerProcess, type ApiClient, type ServerProcess } from './lib/server.js';
import {
  createDatabase,
  startHaproxy,
  startRedis,
  type LoadBalancer,
  type RedisProcess,
} from './lib/services.js';
import { actionAudits, hostStatuses, openPostgresReader, seqReport, type StoreReader } from './lib/store.js';

const AGENTS = SMOKE ? 4 : 6;
const REDIS_OUTAGE_MS = SMOKE ? 5000 : 20_000;
const PARTITION_MS = 60_000;

interface Deployment {
  scope: Scope;
  a: ServerProcess;
  b: ServerProcess;
  lb: LoadBalancer;
  redis: RedisProcess;
  store: StoreReader;
  api: ApiClient;
  /** Agents connected through haproxy. */
  fleet: AgentHandle[];
}

let d: Deployment;
/** Created before anything starts, so a failed setup still releases what it started. */
const deploymentScope = createScope();

/** Samples so far, for an experiment's row: stored, gaps below the highest seq, duplicate rows. */
async function sampleFigures(figures: Figures, agents: readonly AgentHandle[]): Promise<void> {
  const reports = await seqReport(
    d.store,
    agents.map((a) => a.hostId),
  );
  figures.generated = reports.reduce(
    (n, r) => n + Math.max(r.maxSeq, agents.find((a) => a.hostId === r.hostId)?.status()?.lastSeq ?? 0),
    0,
  );
  figures.stored = reports.reduce((n, r) => n + r.stored, 0);
  figures.lost = reports.reduce((n, r) => n + r.gaps, 0);
  figures.duplicated = reports.reduce((n, r) => n + r.duplicates, 0);
  for (const r of reports) {
    check(figures, r.gaps === 0, `${r.hostId}: ${r.gaps} seqs missing below ${r.maxSeq}`);
    check(figures, r.duplicates === 0, `${r.hostId}: ${r.duplicates} duplicate rows`);
  }
}

const readyz = async (server: ServerProcess) => {
  try {
    return (await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(1000) })).status;
  } catch {
    return 0;
  }
};

describe('2. two instances, PostgreSQL + Redis behind haproxy', () => {
  beforeAll(async () => {
    const scope = deploymentScope;
    const databaseUrl = await createDatabase(scope, 'scale');
    const redis = await startRedis(scope);
    const lbPort = await freePort();
    const lbUrl = `http://127.0.0.1:${lbPort}`;
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      PUBLIC_URL: lbUrl,
      AGENT_JWT_SECRET: randomBytes(48).toString('base64url'),
      SESSION_JWT_SECRET: randomBytes(48).toString('base64url'),
      COMMAND_SIGNING_KEY: generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    };
    const a = await startServerProcess(scope, {
      name: 'api-a',
      port: await freePort(),
      dataDir: scope.tempDir('api-a'),
      env,
    });
    const b = await startServerProcess(scope, {
      name: 'api-b',
      port: await freePort(),
      dataDir: scope.tempDir('api-b'),
      env,
    });
    const lb = await startHaproxy(scope, [a.port, b.port], lbPort);
    const store = openPostgresReader(databaseUrl);
    scope.defer(() => store.close());
    const api = await setupOwner(lb.url);
    const fleet = await enrollFleet(scope, api, lb.url, AGENTS, 'lb');
    for (const agent of fleet) agent.start();
    d = { scope, a, b, lb, redis, store, api, fleet };
    await waitStatuses(store, fleet, 'online', 60_000);
    await waitCaughtUp(store, fleet, 30_000);
  }, 180_000);

  afterAll(() => deploymentScope.close(), 60_000);

  if (!SMOKE) {
    it('keeps every agent online with no gap when one instance is killed with SIGKILL', async () => {
      await runExperiment(
        2,
        `kill -9 one of two instances (${AGENTS} agents via haproxy)`,
        async (_s, figures) => {
          figures.rssBeforeMiB = d.a.rss();
          await d.a.kill9();
          const t0 = Date.now();
          // The agents held by the dead instance come back through haproxy on the other one.
          figures.healSeconds = await waitCaughtUp(d.store, d.fleet, 60_000, t0);
          await d.a.restart();
          figures.rssAfterMiB = d.a.rss();
          await sampleFigures(figures, d.fleet);
          figures.notes = 'agents of the dead instance reconnect to the other through haproxy';
        },
      );
    });

    it('loses nothing over a rolling restart (SIGTERM, restart, next instance)', async () => {
      await runExperiment(2, 'rolling restart of both instances', async (_s, figures) => {
        figures.rssBeforeMiB = d.b.rss();
        const heals: number[] = [];
        for (const instance of [d.a, d.b]) {
          // No reconnect baseline here: an instance may hold none of the agents (they all moved to the
          // other one after the previous experiment), and SIGTERM closes its sockets before it exits.
          await instance.stop();
          const t0 = Date.now();
          await instance.restart();
          heals.push(await waitCaughtUp(d.store, d.fleet, 60_000, t0));
        }
        figures.healSeconds = Math.max(...heals);
        figures.rssAfterMiB = d.b.rss();
        await sampleFigures(figures, d.fleet);
        figures.notes = `heal after each instance ${heals.join(' / ')} s`;
      });
    });
  }

  it(`keeps ingesting while Redis is down for ${REDIS_OUTAGE_MS / 1000} s and heals when it returns`, async () => {
    await runExperiment(2, `Redis killed for ${REDIS_OUTAGE_MS / 1000} s`, async (_s, figures) => {
      figures.rssBeforeMiB = d.a.rss();
      const ids = d.fleet.map((a) => a.hostId);
      const storedBefore = (await seqReport(d.store, ids)).reduce((n, r) => n + r.stored, 0);
      await d.redis.kill9();
      await waitFor(
        async () => (await readyz(d.a)) === 503 && (await readyz(d.b)) === 503,
        10_000,
        '/readyz 503 on both instances while Redis is down',
        POLL_MS,
      ).catch(() =>
        figures.problems.push('/readyz did not answer 503 on both instances while Redis was down'),
      );
      await sleep(REDIS_OUTAGE_MS);
      const storedDuring = (await seqReport(d.store, ids)).reduce((n, r) => n + r.stored, 0);
      const expectedDuring = Math.floor(((REDIS_OUTAGE_MS / 1000) * AGENTS) / 2);
      check(
        figures,
        storedDuring - storedBefore >= expectedDuring,
        `only ${storedDuring - storedBefore} samples stored during the outage (expected ≥ ${expectedDuring})`,
      );
      await d.redis.restart();
      const t0 = Date.now();
      await waitFor(
        async () => (await readyz(d.a)) === 200 && (await readyz(d.b)) === 200,
        30_000,
        '/readyz 200 on both instances after Redis returned',
        POLL_MS,
      );
      const caughtUp = await waitCaughtUp(d.store, d.fleet, 60_000, t0);
      // Fan-out across instances works again: a viewer on each instance gets every host's samples.
      const viewers = await Promise.all([connectClient(d.api.on(d.a.url)), connectClient(d.api.on(d.b.url))]);
      try {
        for (const viewer of viewers)
          for (const hostId of ids) await viewer.request({ type: 'subscribe', topic: `host:${hostId}` });
        for (const viewer of viewers)
          for (const hostId of ids)
            await viewer.next((m) => m.type === 'metrics' && m.hostId === hostId, 15_000);
      } finally {
        await Promise.all(viewers.map((v) => v.close()));
      }
      figures.healSeconds = Math.round((Date.now() - t0) / 100) / 10;
      figures.rssAfterMiB = d.a.rss();
      await sampleFigures(figures, d.fleet);
      figures.notes = `${storedDuring - storedBefore} samples stored during the outage; readyz 503 → 200; backlog in ${caughtUp} s; live fan-out to both instances restored`;
    });
  });

  if (!SMOKE) {
    it(`marks hosts offline during a ${PARTITION_MS / 1000} s partition and loses nothing once it ends`, async () => {
      await runExperiment(
        2,
        `partition of ${PARTITION_MS / 1000} s (haproxy frozen)`,
        async (_s, figures) => {
          figures.rssBeforeMiB = d.a.rss();
          const reconnects = totalReconnects(d.fleet);
          // SIGSTOP: connections stay open but nothing moves, the way a dropped link looks to both ends.
          process.kill(d.lb.proc.pid, 'SIGSTOP');
          let resumed = false;
          const resume = () => {
            if (!resumed) process.kill(d.lb.proc.pid, 'SIGCONT');
            resumed = true;
          };
          try {
            const offline = await waitStatuses(d.store, d.fleet, 'offline', 20_000).catch(() => -1);
            check(figures, offline >= 0, 'hosts still online 20 s into the partition (heartbeat 2 s)');
            await sleep(Math.max(0, PARTITION_MS - offline * 1000));
          } finally {
            resume();
          }
          const t0 = Date.now();
          figures.healSeconds = await waitCaughtUp(d.store, d.fleet, 90_000, t0, reconnects);
          figures.rssAfterMiB = d.a.rss();
          await sampleFigures(figures, d.fleet);
          figures.notes = 'every host offline during the partition; the outboxes replayed after it';
        },
      );
    });

    it('completes actions, their audit rows and log tails asked on one instance for an agent held by the other', async () => {
      await runExperiment(2, 'actions + log tail across instances', async (scope, figures) => {
        const logFile = path.join(scope.tempDir('logs'), 'app.log');
        writeFileSync(logFile, 'first line\n');
        const host = await d.api.createHost('direct-a');
        const agent = await enrollAgent(scope, {
          name: 'direct-a',
          server: d.a.url, // held by instance A, whatever haproxy does
          ...host,
          edit: (config) => {
            config.logs = { sources: [{ name: 'app', kind: 'file', path: logFile }] };
          },
        });
        agent.start();
        await waitCaughtUp(d.store, [agent], 30_000);
        const client = await connectClient(d.api.on(d.b.url));
        const actionIds: string[] = [];
        try {
          // Action statuses are published on the host's topic.
          await client.request({ type: 'subscribe', topic: `host:${host.hostId}` });
          for (let i = 0; i < 3; i++) {
            const ack = await client.request({ type: 'action.run', hostId: host.hostId, action: 'uptime' });
            check(figures, ack.type === 'ack', `action.run answered ${JSON.stringify(ack)}`);
            if (typeof ack.actionId !== 'string') continue;
            actionIds.push(ack.actionId);
            await client.next(
              (m) => m.type === 'action.status' && m.actionId === ack.actionId && m.status === 'succeeded',
              20_000,
            );
          }
          const tail = await client.request({
            type: 'logs.subscribe',
            hostId: host.hostId,
            source: 'app',
            backfill: 10,
          });
          check(figures, tail.type === 'ack', `logs.subscribe answered ${JSON.stringify(tail)}`);
          appendFileSync(logFile, 'line written after the subscribe\n');
          await client.next(
            (m) =>
              m.type === 'logs.lines' && JSON.stringify(m.lines).includes('line written after the subscribe'),
            15_000,
          );
        } finally {
          await client.close();
        }
        const audits = await actionAudits(d.store, actionIds);
        for (const audit of audits) {
          check(figures, audit.status === 'succeeded', `action ${audit.actionId} stored as ${audit.status}`);
          check(
            figures,
            audit.auditRows === 1,
            `action ${audit.actionId}: ${audit.auditRows} action.run audit rows`,
          );
          check(
            figures,
            audit.auditOutcome === audit.status,
            `action ${audit.actionId}: audit outcome ${String(audit.auditOutcome)}, action ${audit.status}`,
          );
        }
        figures.notes = `${audits.filter((a) => a.status === 'succeeded').length}/${actionIds.length} actions succeeded, ${audits.filter((a) => a.auditOutcome === a.status).length} audit rows with their outcome; tail lines relayed B ← A`;
        await agent.stop();
      });
    });

    it('turns the hosts of a killed instance offline within 2 heartbeats when their agents cannot come back', async () => {
      await runExperiment(2, 'host of a killed instance goes offline', async (scope, figures) => {
        const host = await d.api.createHost('stranded');
        const agent = await enrollAgent(scope, { name: 'stranded', server: d.a.url, ...host });
        agent.start();
        await waitCaughtUp(d.store, [agent], 30_000);
        await d.a.kill9();
        const offline = await waitStatuses(d.store, [agent], 'offline', 20_000).catch(() => -1);
        const status = (await hostStatuses(d.store, [host.hostId])).get(host.hostId);
        check(
          figures,
          offline >= 0,
          `host still ${status} 20 s after its instance was killed (2 heartbeats = 4 s)`,
        );
        await d.a.restart();
        await waitCaughtUp(d.store, [agent], 60_000);
        figures.healSeconds = offline >= 0 ? Math.round(offline * 10) / 10 : undefined;
        figures.notes = `offline after ${offline >= 0 ? `${offline.toFixed(1)} s` : 'never (20 s)'}; online again once the instance is back`;
        await agent.stop();
      });
    });
  }

  it('accounts for every sample of the whole group at the end', async () => {
    await runExperiment(2, `group total (${AGENTS} agents, stopped)`, async (_s, figures) => {
      const account = await stopAndAccount(d.store, d.fleet);
      Object.assign(figures, {
        generated: account.generated,
        stored: account.stored,
        lost: account.lost,
        duplicated: account.duplicated,
      });
      figures.problems.push(...account.problems);
      const offline = await waitStatuses(d.store, d.fleet, 'offline', 15_000).catch(() => -1);
      check(figures, offline >= 0, 'hosts still online after their agents stopped');
      figures.notes = 'agents stopped with SIGTERM; rollups compared with raw samples';
    });
  });
});
