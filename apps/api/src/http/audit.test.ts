// The audit route: filters by actor, action, target host and time range, and keyset paging with `before`.
import type { AuditEvent } from '@hostwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };
let member: { userId: string; cookie: string };
let hostA = '';
let hostB = '';
let midpoint = 0;

async function audit(query: string): Promise<{ status: number; events: AuditEvent[] }> {
  const res = await server.request('GET', `/api/orgs/${owner.organizationId}/audit?${query}`, {
    cookie: owner.cookie,
  });
  const body = (await res.json()) as { events?: AuditEvent[] };
  return { status: res.status, events: body.events ?? [] };
}

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.setup();
  hostA = (await server.createEnrolledHost(owner.cookie, owner.organizationId, 'a')).hostId;
  midpoint = Date.now();
  // Make sure the rows after the midpoint carry a later timestamp.
  while (Date.now() <= midpoint) await new Promise((r) => setTimeout(r, 1));
  member = await server.addMember(owner.cookie, owner.organizationId, 'admin2@example.com', 'admin');
  hostB = (await server.createEnrolledHost(member.cookie, owner.organizationId, 'b')).hostId;
  await server.request('POST', `/api/hosts/${hostA}/rotate-token`, { cookie: member.cookie });
});

afterAll(() => server.cleanup());

describe('GET /api/orgs/:orgId/audit filters', () => {
  it('narrows by actor', async () => {
    const { events } = await audit(`actorId=${member.userId}`);
    expect(events.map((e) => e.action).reverse()).toEqual(['login', 'host.created', 'host.token_rotated']);
    expect(events.every((e) => e.actorId === member.userId)).toBe(true);
  });

  it('narrows by action and by target host', async () => {
    expect((await audit('action=host.created')).events.map((e) => e.targetId).reverse()).toEqual([
      hostA,
      hostB,
    ]);
    const onA = await audit(`targetId=${hostA}`);
    expect(onA.events.map((e) => e.action).reverse()).toEqual([
      'host.created',
      'host.enrolled',
      'host.token_rotated',
    ]);
  });

  it('narrows by time range, both ends inclusive', async () => {
    const before = await audit(`to=${midpoint}`);
    expect(before.events.map((e) => e.action).reverse()).toEqual(['setup', 'host.created', 'host.enrolled']);
    const after = await audit(`from=${midpoint + 1}&action=host.enrolled`);
    expect(after.events.map((e) => e.targetId)).toEqual([hostB]);
  });

  it('pages with before and limit under a filter', async () => {
    const first = await audit('limit=2');
    expect(first.events).toHaveLength(2);
    const last = first.events[1];
    const next = await audit(`limit=2&before=${last?.id ?? 0}`);
    expect(next.events[0]?.id).toBeLessThan(last?.id ?? 0);
    const all = await audit('limit=500');
    expect([...first.events, ...next.events].map((e) => e.id)).toEqual(
      all.events.slice(0, 4).map((e) => e.id),
    );
  });

  it('answers a malformed filter with 400', async () => {
    expect((await audit('from=yesterday')).status).toBe(400);
  });
});
