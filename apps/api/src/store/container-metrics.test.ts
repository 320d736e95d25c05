// Container series in the store on SQLite and PostgreSQL: raw rows beside the host's, rollups, newest list, retention.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ContainerInfo } from '@hostwire/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, skipWithout } from '../test-support/services.js';
import { createStore, type Store } from './index.js';
import { containerValues } from './repositories/container-metrics.js';

const SERIES = {
  cpu: 1,
  memory: 2,
  swap: 0,
  disk: 3,
  diskRead: 0,
  diskWrite: 0,
  netRx: 0,
  netTx: 0,
  load1: 0,
  load5: 0,
  load15: 0,
};
const skipPostgres = await skipWithout('postgres');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function info(name: string, cpuPercent: number): ContainerInfo {
  return {
    id: 'abc123',
    name,
    image: 'busybox',
    state: 'running',
    health: 'none',
    cpuPercent,
    memoryBytes: 100,
    memoryLimitBytes: 0,
    netRxBps: 1,
    netTxBps: 2,
    blockReadBps: 3,
    blockWriteBps: 4,
    restartCount: 0,
  };
}

const dialects: [string, () => Promise<Store>, boolean][] = [
  [
    'SQLite',
    async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'hw-ctr-')), 'db.sqlite');
      const store = await createStore({ kind: 'sqlite', file });
      cleanups.push(() => store.close());
      return store;
    },
    false,
  ],
  [
    'PostgreSQL',
    async () => {
      const db = await createPostgresDatabase();
      const store = await createStore({ kind: 'postgres', url: db.url });
      cleanups.push(async () => {
        await store.close();
        await db.drop();
      });
      return store;
    },
    skipPostgres,
  ],
];

for (const [name, open, skip] of dialects) {
  describe.skipIf(skip)(`container series on ${name}`, () => {
    it('stores them with the host sample once, rolls them up, keeps the newest list and prunes them', async () => {
      const store = await open();
      const now = Date.now();
      const minute = Math.floor(now / 60_000) * 60_000;
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.hosts.insert({
        id: `h-${randomUUID()}`,
        organizationId: 'o1',
        name: 'web',
        createdAt: now,
      });
      const [host] = await store.hosts.listByOrganization('o1');
      const hostId = host?.id ?? '';
      const sample = (seq: number, ts: number, cpu: number) => ({
        seq,
        ts,
        values: SERIES,
        containers: containerValues([info('web', cpu), info('db', 1)]),
      });
      const list = [info('web', 30), info('db', 1)];
      await store.metrics.ingest([
        {
          hostId,
          samples: [sample(1, minute + 1000, 10), sample(2, minute + 2000, 30)],
          containers: { ts: minute + 2000, list },
        },
      ]);
      // A replayed frame changes nothing.
      await store.metrics.ingest([{ hostId, samples: [sample(2, minute + 2000, 99)] }]);
      expect(
        (await store.containers.raw(hostId, 'web', 0, now + 60_000, 100)).map((r) => r.values[0]),
      ).toEqual([10, 30]);
      const [bucket] = await store.containers.rollups(hostId, 'web', '1m', minute, minute + 59_000);
      expect(bucket?.values.cpu).toMatchObject({ min: 10, max: 30, sum: 40, count: 2, last: 30 });
      expect(await store.containers.rollups(hostId, 'nothere', '1m', minute, minute + 59_000)).toEqual([]);
      expect((await store.containers.latest(hostId))?.containers.map((c) => c.name)).toEqual(['web', 'db']);
      await store.metrics.prune({ raw: now + 120_000, '1m': now + 120_000, '1h': 0 });
      expect(await store.containers.raw(hostId, 'web', 0, now + 60_000, 100)).toEqual([]);
      expect(await store.containers.rollups(hostId, 'web', '1m', minute, minute + 59_000)).toEqual([]);
      expect(await store.containers.rollups(hostId, 'web', '1h', 0, now + 60_000)).toHaveLength(1);
    });
  });
}
