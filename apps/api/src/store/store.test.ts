import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from './index.js';
import { POSTGRES_URL, skipWithout } from '../test-support/services.js';

const SERIES = {
  cpu: 10,
  memory: 20,
  swap: 0,
  disk: 30,
  diskRead: 1,
  diskWrite: 2,
  netRx: 3,
  netTx: 4,
  load1: 0.5,
  load5: 0.4,
  load15: 0.3,
};

const skipPostgres = await skipWithout('postgres');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function sqliteStore(): Promise<Store> {
  const store = await createStore({
    kind: 'sqlite',
    file: path.join(mkdtempSync(path.join(tmpdir(), 'hw-store-')), 'db.sqlite'),
  });
  cleanups.push(() => store.close());
  return store;
}

async function postgresStore(): Promise<Store> {
  const [store] = await postgresInstances(1);
  return store as Store;
}

/** `count` stores on one new database, as `count` API instances open it. */
async function postgresInstances(count: number): Promise<Store[]> {
  const name = `hostwire_test_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const stores: Store[] = [];
  for (let i = 0; i < count; i++) stores.push(await createStore({ kind: 'postgres', url: url.toString() }));
  cleanups.push(async () => {
    for (const store of stores) await store.close();
    await admin.query(`drop database if exists ${name}`);
    await admin.end();
  });
  return stores;
}

const dialects: [string, () => Promise<Store>, boolean][] = [
  ['SQLite', sqliteStore, false],
  ['PostgreSQL', postgresStore, skipPostgres],
];

for (const [name, open, skip] of dialects) {
  describe.skipIf(skip)(`store on ${name}`, () => {
    it('runs the same migrations and repositories: users, orgs, memberships, hosts, tokens, audit', async () => {
      const store = await open();
      const now = Date.now();
      await store.users.insert({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: now });
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.organizations.addMember({
        organizationId: 'o1',
        userId: 'u1',
        role: 'owner',
        createdAt: now,
      });
      expect(await store.organizations.membershipsOf('u1')).toEqual([
        { organizationId: 'o1', organizationName: 'Acme', role: 'owner' },
      ]);
      await store.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'web-1', createdAt: now });
      await store.enrollmentTokens.insert({
        tokenHash: 'th',
        hostId: 'h1',
        createdAt: now,
        expiresAt: now + 60_000,
      });
      const [a, b] = await Promise.all([
        store.enrollmentTokens.consume('th', now),
        store.enrollmentTokens.consume('th', now),
      ]);
      expect([a, b].filter(Boolean)).toEqual(['h1']);
      expect(await store.hosts.bumpTokenVersion('h1')).toBe(1);
      const id = await store.audit.record({
        organizationId: 'o1',
        actorType: 'user',
        actorId: 'u1',
        action: 'x',
        details: { k: 1 },
      });
      await store.audit.addDetails(id, { exitCode: 0 });
      const events = await store.audit.list('o1', { limit: 10 });
      expect(events[0]).toMatchObject({
        id,
        action: 'x',
        decision: 'allowed',
        details: { k: 1, exitCode: 0 },
      });
      expect(typeof events[0]?.createdAt).toBe('number');
    });

    it('stores each (host, seq) once and keeps min and max in rollups', async () => {
      const store = await open();
      const now = Date.now();
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'web-1', createdAt: now });
      const t0 = Math.floor(now / 3_600_000) * 3_600_000;
      const batch = [1, 2, 3].map((seq) => ({
        seq,
        ts: t0 + seq * 1000,
        values: { ...SERIES, cpu: seq === 2 ? 95 : 5 },
      }));
      expect((await store.metrics.ingest([{ hostId: 'h1', samples: batch }])).get('h1')?.sort()).toEqual([
        1, 2, 3,
      ]);
      const again = await store.metrics.ingest([
        { hostId: 'h1', samples: batch.slice(1) },
        { hostId: 'h1', samples: batch.slice(2) },
      ]);
      expect(again.get('h1')).toBeUndefined();
      expect(await store.metrics.seqs('h1')).toEqual([1, 2, 3]);
      const [minute] = await store.metrics.rollups('h1', '1m', t0, t0 + 60_000);
      expect(minute?.values.cpu).toMatchObject({ min: 5, max: 95, count: 3, last: 5 });
      const [hour] = await store.metrics.rollups('h1', '1h', t0, t0 + 3_600_000);
      expect(hour?.values.cpu.sum).toBe(105);
      expect((await store.hosts.findById('h1'))?.lastSeq).toBe(3);
    });

    it('folds a seq once when two frames of one call carry it (a resend before the first was stored)', async () => {
      const store = await open();
      const now = Date.now();
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'web-1', createdAt: now });
      const t0 = Math.floor(now / 60_000) * 60_000;
      const sample = (seq: number, cpu: number) => ({ seq, ts: t0 + seq, values: { ...SERIES, cpu } });
      const fresh = await store.metrics.ingest([
        { hostId: 'h1', samples: [sample(1, 10), sample(2, 14)] },
        { hostId: 'h1', samples: [sample(2, 14), sample(3, 30)] },
      ]);
      expect(fresh.get('h1')?.sort()).toEqual([1, 2, 3]);
      expect(await store.metrics.seqs('h1')).toEqual([1, 2, 3]);
      const [minute] = await store.metrics.rollups('h1', '1m', t0, t0 + 60_000);
      expect(minute?.values.cpu).toMatchObject({ min: 10, max: 30, sum: 54, count: 3 });
      const [hour] = await store.metrics.rollups('h1', '1h', t0, t0 + 3_600_000);
      expect(hour?.values.cpu).toMatchObject({ sum: 54, count: 3 });
    });

    it("stores the other hosts' samples when a host of the flush was deleted meanwhile", async () => {
      const store = await open();
      const now = Date.now();
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'a', createdAt: now });
      await store.hosts.insert({ id: 'h2', organizationId: 'o1', name: 'b', createdAt: now });
      expect(await store.hosts.delete('h2')).toBe(true);
      const sample = (seq: number) => ({ seq, ts: now + seq, values: SERIES });
      const fresh = await store.metrics.ingest([
        { hostId: 'h2', samples: [sample(1)] },
        { hostId: 'h1', samples: [sample(1), sample(2)] },
      ]);
      expect(Object.fromEntries(fresh)).toEqual({ h1: [1, 2] });
      expect(await store.metrics.seqs('h1')).toEqual([1, 2]);
      expect(await store.metrics.seqs('h2')).toEqual([]);
    });

    it('stores the batches of several hosts in one call, each with its own rollups', async () => {
      const store = await open();
      const now = Date.now();
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'a', createdAt: now });
      await store.hosts.insert({ id: 'h2', organizationId: 'o1', name: 'b', createdAt: now });
      const t0 = Math.floor(now / 60_000) * 60_000;
      const sample = (seq: number, cpu: number) => ({ seq, ts: t0 + seq, values: { ...SERIES, cpu } });
      const summary = { ts: t0, cpu: 7, memory: 1, disk: 2, load1: 0 };
      const fresh = await store.metrics.ingest([
        { hostId: 'h1', samples: [sample(1, 10), sample(2, 30)], summary },
        { hostId: 'h2', samples: [sample(1, 50)] },
        { hostId: 'h1', samples: [sample(3, 20)] },
      ]);
      expect(Object.fromEntries(fresh)).toEqual({ h1: [1, 2, 3], h2: [1] });
      const [h1] = await store.metrics.rollups('h1', '1m', t0, t0 + 60_000);
      const [h2] = await store.metrics.rollups('h2', '1m', t0, t0 + 60_000);
      expect(h1?.values.cpu).toMatchObject({ min: 10, max: 30, count: 3, last: 20 });
      expect(h2?.values.cpu).toMatchObject({ min: 50, max: 50, count: 1 });
      expect((await store.hosts.findById('h1'))?.summary?.cpu).toBe(7);
      expect((await store.hosts.findById('h2'))?.lastSeq).toBe(1);
    });

    it('prunes samples and rollups past their retention, keeping newer ones', async () => {
      const store = await open();
      const now = Date.now();
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'a', createdAt: now });
      const day = 24 * 3_600_000;
      const at = (seq: number, ts: number) => ({ seq, ts, values: SERIES });
      await store.metrics.ingest([
        { hostId: 'h1', samples: [at(1, now - 40 * day), at(2, now - 3 * day), at(3, now - 1000)] },
      ]);
      const deleted = await store.metrics.prune({
        raw: now - 2 * day,
        '1m': now - 30 * day,
        '1h': now - 365 * day,
      });
      expect(deleted).toBe(3); // raw seqs 1 and 2, and the 40-day-old 1-minute bucket
      expect(await store.metrics.seqs('h1')).toEqual([3]);
      expect(await store.metrics.rollups('h1', '1m', now - 41 * day, now)).toHaveLength(2);
      expect(await store.metrics.rollups('h1', '1h', now - 41 * day, now)).toHaveLength(3);
    });

    it('caps action output and never leaves a final state', async () => {
      const store = await open();
      const now = Date.now();
      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      await store.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'web-1', createdAt: now });
      await store.actions.insert({
        id: 'a1',
        hostId: 'h1',
        organizationId: 'o1',
        userId: null,
        action: 'uptime',
        params: {},
        status: 'queued',
        auditId: null,
        createdAt: now,
      });
      expect(await store.actions.appendOutput('a1', 'hello ', 10)).toBe(true);
      expect(await store.actions.appendOutput('a1', 'world!', 10)).toBe(false);
      expect(await store.actions.transition('a1', 'succeeded', { exitCode: 0, finishedAt: now })).toBe(true);
      expect(await store.actions.transition('a1', 'running')).toBe(false);
      expect(await store.actions.findById('a1')).toMatchObject({
        output: 'hello worl',
        outputTruncated: true,
        status: 'succeeded',
        exitCode: 0,
      });
    });
  });
}

describe.skipIf(skipPostgres)('metrics ingest on two instances (PostgreSQL)', () => {
  it('loses no rollup update when both store new samples of one host at the same time', async () => {
    // While an agent moves from one instance to the other, both may store its samples at once.
    const [a, b] = (await postgresInstances(2)) as [Store, Store];
    const now = Date.now();
    await a.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
    await a.hosts.insert({ id: 'h1', organizationId: 'o1', name: 'web-1', createdAt: now });
    await a.hosts.insert({ id: 'h2', organizationId: 'o1', name: 'web-2', createdAt: now });
    const t0 = Math.floor(now / 3_600_000) * 3_600_000;
    const sample = (seq: number) => ({ seq, ts: t0 + seq, values: { ...SERIES, cpu: seq } });
    const rounds = 100;
    for (let i = 0; i < rounds; i++) {
      // Both hosts in both frames, in opposite orders: the row locks must not deadlock.
      await Promise.all([
        a.metrics.ingest([
          { hostId: 'h1', samples: [sample(2 * i + 1)] },
          { hostId: 'h2', samples: [sample(2 * i + 1)] },
        ]),
        b.metrics.ingest([
          { hostId: 'h2', samples: [sample(2 * i + 2)] },
          { hostId: 'h1', samples: [sample(2 * i + 2)] },
        ]),
      ]);
    }
    for (const hostId of ['h1', 'h2']) {
      expect(await a.metrics.seqs(hostId)).toHaveLength(2 * rounds);
      const [minute] = await a.metrics.rollups(hostId, '1m', t0, t0 + 60_000);
      expect(minute?.values.cpu).toMatchObject({ count: 2 * rounds, min: 1, max: 2 * rounds });
      const [hour] = await a.metrics.rollups(hostId, '1h', t0, t0 + 3_600_000);
      expect(hour?.values.cpu).toMatchObject({ count: 2 * rounds, min: 1, max: 2 * rounds });
    }
  });
});
