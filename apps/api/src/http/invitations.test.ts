// Finding 2 of the security review: people join only by invitation; nobody sets another person's password.
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withRawDatabase } from '../test-support/raw-database.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };
beforeEach(async () => {
  server = await startTestServer();
  owner = await server.setup();
});
afterEach(async () => {
  await server.cleanup();
});

type Invited = {
  invitation: { id: string; email: string; role: string; expiresAt: number };
  inviteUrl: string;
};

async function invite(email: string, role = 'viewer', cookie = owner.cookie) {
  return server.request('POST', `/api/orgs/${owner.organizationId}/invitations`, {
    cookie,
    body: { email, role },
  });
}
async function invited(email: string, role = 'viewer'): Promise<Invited & { token: string }> {
  const res = await invite(email, role);
  expect(res.status).toBe(201);
  const body = (await res.json()) as Invited;
  return { ...body, token: body.inviteUrl.slice(body.inviteUrl.lastIndexOf('/') + 1) };
}
const accept = (token: string, body: object, cookie?: string) =>
  server.request('POST', `/api/invitations/by-token/${token}/accept`, {
    body,
    ...(cookie ? { cookie } : {}),
  });

describe('members join by invitation', () => {
  it('no longer creates accounts or takes a password on POST …/members', async () => {
    const res = await server.request('POST', `/api/orgs/${owner.organizationId}/members`, {
      cookie: owner.cookie,
      body: { email: 'planted@example.com', role: 'admin', password: 'chosen by the admin' },
    });
    expect(res.status).toBe(400);
    const login = await server.request('POST', '/api/auth/login', {
      body: { email: 'planted@example.com', password: 'chosen by the admin' },
    });
    expect(login.status).toBe(401);
  });

  it('answers the same for an address with and without an account', async () => {
    const other = await server.request('POST', '/api/orgs', {
      cookie: owner.cookie,
      body: { name: 'Other' },
    });
    const { organization } = (await other.json()) as { organization: { id: string } };
    await server.addMember(owner.cookie, organization.id, 'known@example.com', 'viewer');
    const shape = async (email: string) => {
      const res = await invite(email);
      const body = (await res.json()) as Invited;
      return {
        status: res.status,
        keys: Object.keys(body).sort(),
        invitation: Object.keys(body.invitation).sort(),
      };
    };
    expect(await shape('known@example.com')).toEqual(await shape('unknown@example.com'));
  });

  it('lets a new person set their own password through a single-use link', async () => {
    const { invitation, inviteUrl, token } = await invited('new@example.com', 'operator');
    expect(inviteUrl).toBe(`${server.ctx.config.publicUrl}/invite/${token}`);
    expect(invitation.expiresAt - Date.now()).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
    const described = await server.request('GET', `/api/invitations/by-token/${token}`);
    expect(await described.json()).toEqual({
      organization: { name: 'Acme' },
      email: 'new@example.com',
      role: 'operator',
    });
    expect((await accept(token, {})).status).toBe(400); // a new account needs a password
    const res = await accept(token, { password: 'my own password' });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('session='))).toBe(true);
    const me = (await res.json()) as {
      user: { email: string };
      organizations: { id: string; role: string }[];
    };
    expect(me.user.email).toBe('new@example.com');
    expect(me.organizations).toEqual([
      expect.objectContaining({ id: owner.organizationId, role: 'operator' }),
    ]);
    expect((await accept(token, { password: 'another password' })).status).toBe(404);
    expect((await server.request('GET', `/api/invitations/by-token/${token}`)).status).toBe(404);
    expect(await server.login('new@example.com', 'my own password')).toMatch(/^session=/);
  });

  it('makes an existing account accept while signed in as that address, without a password', async () => {
    const other = await server.request('POST', '/api/orgs', {
      cookie: owner.cookie,
      body: { name: 'Other' },
    });
    const { organization } = (await other.json()) as { organization: { id: string } };
    const bob = await server.addMember(owner.cookie, organization.id, 'bob@example.com', 'viewer');
    const carol = await server.addMember(owner.cookie, organization.id, 'carol@example.com', 'viewer');
    const { token } = await invited('bob@example.com', 'admin');
    expect((await accept(token, { password: 'takeover attempt' })).status).toBe(401);
    expect((await accept(token, {}, carol.cookie)).status).toBe(403);
    expect((await accept(token, { password: 'x'.repeat(12) }, bob.cookie)).status).toBe(400);
    const res = await accept(token, {}, bob.cookie);
    expect(res.status).toBe(200);
    const me = (await res.json()) as { organizations: { id: string; role: string }[] };
    expect(me.organizations).toContainEqual(
      expect.objectContaining({ id: owner.organizationId, role: 'admin' }),
    );
  });

  it('regression: the inviter can never accept their own invitation, even with the link', async () => {
    const { token } = await invited('someone-else@example.com', 'admin');
    const own = await accept(token, {}, owner.cookie);
    expect(own.status).toBe(403);
    expect(((await own.json()) as { error: { message: string } }).error.message).toMatch(
      /You created this invitation/,
    );
    expect((await accept(token, { password: 'planted password' }, owner.cookie)).status).toBe(403);
    // Still pending: the person it was sent to can accept it.
    expect((await accept(token, { password: 'my own password' })).status).toBe(200);
  });

  it('regression: the accept flow answers alike whether or not the address has an account', async () => {
    const other = await server.request('POST', '/api/orgs', {
      cookie: owner.cookie,
      body: { name: 'Other' },
    });
    const { organization } = (await other.json()) as { organization: { id: string } };
    await server.addMember(owner.cookie, organization.id, 'known@example.com', 'viewer');
    const bystander = await server.addMember(owner.cookie, organization.id, 'by@example.com', 'viewer');
    const answers = async (email: string) => {
      const { token } = await invited(email);
      const read = async (res: Response) => {
        const body = (await res.json()) as Record<string, unknown> & { error?: { message: string } };
        return {
          status: res.status,
          body: JSON.stringify(body.error ?? Object.keys(body).sort()).replaceAll(email, '<email>'),
        };
      };
      return [
        await read(await server.request('GET', `/api/invitations/by-token/${token}`)),
        await read(await accept(token, {})),
        await read(await accept(token, {}, bystander.cookie)),
        await read(await accept(token, { password: 'a long password' }, bystander.cookie)),
      ];
    };
    expect(await answers('known@example.com')).toEqual(await answers('unknown@example.com'));
  });

  it('lists pending invitations to admins, revokes them, and refuses revoked or expired links', async () => {
    const first = await invited('first@example.com');
    const second = await invited('second@example.com');
    const list = async (cookie = owner.cookie) =>
      server.request('GET', `/api/orgs/${owner.organizationId}/invitations`, { cookie });
    expect(
      ((await (await list()).json()) as { invitations: { email: string }[] }).invitations.map((i) => i.email),
    ).toEqual(['second@example.com', 'first@example.com']);
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'viewer@example.com', 'viewer');
    expect((await list(viewer.cookie)).status).toBe(403);
    expect(
      (await server.request('DELETE', `/api/invitations/${first.invitation.id}`, { cookie: viewer.cookie }))
        .status,
    ).toBe(403);
    expect(
      (await server.request('DELETE', `/api/invitations/${first.invitation.id}`, { cookie: owner.cookie }))
        .status,
    ).toBe(204);
    expect((await accept(first.token, { password: 'long enough pw' })).status).toBe(404);
    await withRawDatabase(server, (db) =>
      db
        .updateTable('invitations')
        .set({ expires_at: Date.now() - 1 })
        .where('id', '=', second.invitation.id)
        .execute(),
    );
    expect((await accept(second.token, { password: 'long enough pw' })).status).toBe(404);
    expect(((await (await list()).json()) as { invitations: unknown[] }).invitations).toEqual([]);
  });

  it('lets only an owner invite owners and admins; outsiders get 404', async () => {
    const admin = await server.addMember(owner.cookie, owner.organizationId, 'admin@example.com', 'admin');
    expect((await invite('x@example.com', 'admin', admin.cookie)).status).toBe(403);
    expect((await invite('x@example.com', 'owner', admin.cookie)).status).toBe(403);
    expect((await invite('x@example.com', 'operator', admin.cookie)).status).toBe(201);
    const other = await server.request('POST', '/api/orgs', {
      cookie: owner.cookie,
      body: { name: 'Other' },
    });
    const { organization } = (await other.json()) as { organization: { id: string } };
    const stranger = await server.addMember(owner.cookie, organization.id, 'stranger@example.com', 'owner');
    expect((await invite('y@example.com', 'viewer', stranger.cookie)).status).toBe(404);
  });

  it('accepts one link once even when two accepts race', async () => {
    const { token } = await invited('race@example.com');
    const statuses = await Promise.all([
      accept(token, { password: 'first racer pw' }),
      accept(token, { password: 'second racer pw' }),
    ]).then((all) => all.map((r) => r.status).sort());
    expect(statuses[0]).toBe(200);
    expect(statuses[1]).not.toBe(200);
    const members = (await (
      await server.request('GET', `/api/orgs/${owner.organizationId}/members`, { cookie: owner.cookie })
    ).json()) as { members: { email: string }[] };
    expect(members.members.filter((m) => m.email === 'race@example.com')).toHaveLength(1);
  });
});

describe('invitation e-mail', () => {
  it('regression: sends the link through SMTP_URL when set, and then never to the inviter', async () => {
    const received: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData(stream, _session, callback) {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        stream.on('end', () => {
          received.push(text);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const address = smtp.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await server.cleanup();
      server = await startTestServer({
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        SMTP_FROM: 'Hostwire <hw@example.com>',
      });
      owner = await server.setup();
      const res = await invite('mailed@example.com', 'viewer');
      const body = (await res.json()) as Partial<Invited> & { emailed: boolean };
      expect(body.emailed).toBe(true);
      // Regression: an e-mailed link reaches only the address; the inviter's answer has no inviteUrl.
      expect(Object.keys(body).sort()).toEqual(['emailed', 'invitation']);
      expect(received).toHaveLength(1);
      const mail = received[0] ?? '';
      expect(mail).toMatch(/^To: mailed@example\.com/m);
      expect(mail).toMatch(/^From: Hostwire <hw@example\.com>/m);
      // The organization's name is free text: out of the subject, quoted in the body.
      expect(mail).toMatch(/^Subject: Hostwire: invitation to join an organization\r?$/m);
      expect(mail).toContain('the organization "Acme" on Hostwire');
      const link = /\/invite\/([A-Za-z0-9_-]{43})/.exec(mail.replace(/=\r?\n/g, ''))?.[1] ?? '';
      expect(link).toHaveLength(43);
      expect((await accept(link, { password: 'my own password' })).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
