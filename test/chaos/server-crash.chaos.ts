// Group 1 — one instance on SQLite, real agents at 1 s, the server killed with SIGKILL at random moments.
import path from 'node:path';
import { describe, it } from 'vitest';
import { enrollFleet } from './lib/agents.js';
import { stopAndAccount, totalReconnects, waitCaughtUp, waitStatuses } from './lib/checks.js';
import { check, runExperiment } from './lib/experiment.js';
import { SMOKE } from './lib/report.js';
import { freePort, randomBetween, sleep } from './lib/scope.js';
import { setupOwner, startServerProcess } from './lib/server.js';
import { openSqliteReader, sqliteIntegrity } from './lib/store.js';

const AGENTS = SMOKE ? 5 : 20;
const KILLS = SMOKE ? 1 : 3;

describe('1. single instance, SQLite', () => {
  it(`loses and duplicates no sample over ${KILLS} kill -9 of the server (${AGENTS} agents at 1 s)`, async () => {
    await runExperiment(1, `${AGENTS} agents at 1 s; server kill -9 ×${KILLS}`, async (scope, figures) => {
      const dataDir = scope.tempDir('sqlite');
      const server = await startServerProcess(scope, { name: 'server', port: await freePort(), dataDir });
      const dbFile = path.join(dataDir, 'hostwire.db');
      const store = openSqliteReader(dbFile);
      const api = await setupOwner(server.url);
      const agents = await enrollFleet(scope, api, server.url, AGENTS, 'crash');
      for (const agent of agents) agent.start();
      await waitStatuses(store, agents, 'online', 120_000);
      await waitCaughtUp(store, agents, 30_000);
      figures.rssBeforeMiB = server.rss();

      const heals: number[] = [];
      for (let kill = 1; kill <= KILLS; kill++) {
        await sleep(randomBetween(2000, 8000)); // a random moment: mid-batch, mid-replay or idle
        const reconnects = totalReconnects(agents);
        await server.kill9();
        const integrity = sqliteIntegrity(dbFile);
        check(figures, integrity === 'ok', `integrity_check after kill ${kill}: ${integrity}`);
        await sleep(randomBetween(1000, 4000)); // agents keep sampling into their outboxes
        const t0 = Date.now();
        await server.restart();
        heals.push(await waitCaughtUp(store, agents, 120_000, t0, reconnects));
      }
      figures.healSeconds = Math.max(...heals);
      figures.rssAfterMiB = server.rss();

      const account = await stopAndAccount(store, agents);
      Object.assign(figures, {
        generated: account.generated,
        stored: account.stored,
        lost: account.lost,
        duplicated: account.duplicated,
      });
      figures.problems.push(...account.problems);
      const offline = await waitStatuses(store, agents, 'offline', 15_000).catch(() => -1);
      check(figures, offline >= 0, 'hosts still online after their agents stopped');
      await server.stop();
      const integrity = sqliteIntegrity(dbFile);
      check(figures, integrity === 'ok', `integrity_check at the end: ${integrity}`);
      figures.notes = `heal per kill ${heals.join(' / ')} s; integrity_check ok after every kill: ${figures.problems.some((p) => p.startsWith('integrity')) ? 'no' : 'yes'}`;
    });
  });
});
