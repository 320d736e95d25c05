// The sign-in tables of migration 007 (TOTP state, recovery codes, SSO identities) and ending a user's
// sessions, on SQLite and PostgreSQL: the single-use rules hold under concurrent requests on both.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from './index.js';
import { createPostgresDatabase, skipWithout } from '../test-support/services.js';

const skipPostgres = await skipWithout('postgres');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function sqliteStore(): Promise<Store> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'hw-signin-')), 'db.sqlite');
  const store = await createStore({ kind: 'sqlite', file });
  cleanups.push(() => store.close());
  return store;
}

async function postgresStore(): Promise<Store> {
  const database = await createPostgresDatabase();
  const store = await createStore({ kind: 'postgres', url: database.url });
  cleanups.push(async () => {
    await store.close();
    await database.drop();
  });
  return store;
}

const dialects: [string, () => Promise<Store>, boolean][] = [
  ['SQLite', sqliteStore, false],
  ['PostgreSQL', postgresStore, skipPostgres],
];

for (const [name, open, skip] of dialects) {
  describe.skipIf(skip)(`sign-in tables on ${name}`, () => {
    it('keeps TOTP state: pending, enabled, and each time step accepted once even when raced', async () => {
      const store = await open();
      const now = Date.now();
      await store.users.insert({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: now });
      expect(await store.users.twoFactor('u1')).toEqual({
        sealedSecret: null,
        enabledAt: null,
        lastStep: null,
      });
      expect(await store.users.enableTotp('u1', now)).toBe(false);
      expect(await store.users.setPendingTotp('u1', 'sealed-1')).toBe(true);
      expect(await store.users.enableTotp('u1', now)).toBe(true);
      expect(await store.users.enableTotp('u1', now)).toBe(false);
      expect(await store.users.setPendingTotp('u1', 'sealed-2')).toBe(false);
      const step = Math.floor(now / 30_000);
      expect(await store.users.useTotpStep('u1', step)).toBe(true);
      expect(await store.users.useTotpStep('u1', step)).toBe(false);
      expect(await store.users.useTotpStep('u1', step - 1)).toBe(false);
      const raced = await Promise.all(
        Array.from({ length: 8 }, () => store.users.useTotpStep('u1', step + 1)),
      );
      expect(raced.filter(Boolean)).toHaveLength(1);
      expect(await store.users.twoFactor('u1')).toEqual({
        sealedSecret: 'sealed-1',
        enabledAt: now,
        lastStep: step + 1,
      });
      await store.users.clearTotp('u1');
      expect(await store.users.twoFactor('u1')).toEqual({
        sealedSecret: null,
        enabledAt: null,
        lastStep: null,
      });
    });

    it('uses each recovery code once, even when raced, and replaces them all at once', async () => {
      const store = await open();
      const now = Date.now();
      await store.users.insert({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: now });
      await store.recoveryCodes.replace('u1', ['h1', 'h2', 'h3'], now);
      expect(await store.recoveryCodes.unused('u1')).toBe(3);
      const raced = await Promise.all(
        Array.from({ length: 6 }, () => store.recoveryCodes.use('u1', 'h1', now)),
      );
      expect(raced.filter(Boolean)).toHaveLength(1);
      expect(await store.recoveryCodes.use('u1', 'nope', now)).toBe(false);
      expect(await store.recoveryCodes.unused('u1')).toBe(2);
      await store.recoveryCodes.replace('u1', ['h9'], now);
      expect(await store.recoveryCodes.use('u1', 'h2', now)).toBe(false);
      expect(await store.recoveryCodes.unused('u1')).toBe(1);
    });

    it('links provider identities and finds pending invitations by address', async () => {
      const store = await open();
      const now = Date.now();
      await store.users.insert({ id: 'u1', email: 'a@example.com', passwordHash: '', createdAt: now });
      const identity = {
        issuer: 'https://idp.example.com',
        subject: 'sub-1',
        userId: 'u1',
        email: 'a@example.com',
      };
      await store.identities.insert(identity, now);
      expect(await store.identities.find(identity.issuer, 'sub-1')).toEqual(identity);
      expect(await store.identities.find(identity.issuer, 'sub-2')).toBeUndefined();
      await store.identities.touch(identity.issuer, 'sub-1', 'new@example.com', now + 1);
      expect((await store.identities.find(identity.issuer, 'sub-1'))?.email).toBe('new@example.com');
      await expect(store.identities.insert(identity, now)).rejects.toThrow();

      await store.organizations.insert({ id: 'o1', name: 'Acme', createdAt: now });
      const invitation = {
        organizationId: 'o1',
        email: 'b@example.com',
        role: 'viewer' as const,
        invitedBy: 'u1',
        createdAt: now,
        expiresAt: now + 60_000,
      };
      await store.invitations.insert({ ...invitation, id: 'i1', tokenHash: 't1' });
      await store.invitations.insert({ ...invitation, id: 'i2', tokenHash: 't2', expiresAt: now - 1 });
      expect((await store.invitations.pendingForEmail('b@example.com', now)).map((i) => i.id)).toEqual([
        'i1',
      ]);
      expect(await store.invitations.pendingForEmail('c@example.com', now)).toEqual([]);
    });

    it("revokes a user's live sessions but one, and reports which", async () => {
      const store = await open();
      const now = Date.now();
      await store.users.insert({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: now });
      await store.users.insert({ id: 'u2', email: 'b@example.com', passwordHash: 'h', createdAt: now });
      const session = (id: string, userId = 'u1', expiresAt = now + 60_000) =>
        store.sessions.insert({ id, userId, createdAt: now, expiresAt });
      await session('s1');
      await session('s2');
      await session('s3');
      await session('expired', 'u1', now - 1);
      await session('other', 'u2');
      await store.sessions.revoke('s3', now);
      expect(await store.sessions.revokeAllOf('u1', now, 's1')).toEqual(['s2']);
      expect(await store.sessions.findActive('s1', now)).toBeDefined();
      expect(await store.sessions.findActive('s2', now)).toBeUndefined();
      expect(await store.sessions.findActive('other', now)).toBeDefined();
      expect(await store.sessions.revokeAllOf('u1', now)).toEqual(['s1']);
      expect(await store.sessions.findActive('s1', now)).toBeUndefined();
    });
  });
}
