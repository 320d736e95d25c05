/** @module http/hosts — hosts of an organization, enrollment tokens, deletion and token rotation. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Router } from 'express';
import { topicFor } from '@hostwire/protocol';
import type { AppContext } from '../context.js';
import { ApiError, parseOrThrow } from '../errors.js';
import { createFrame } from '../realtime/bus/types.js';
import { publicHost } from '../store/repositories/hosts.js';
import { authed, clientIp, requireSession, route } from './middleware.js';
import { CreateHostBody, EnrollBody } from './schemas.js';

export function hashEnrollmentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

async function issueEnrollmentToken(
  ctx: AppContext,
  hostId: string,
): Promise<{ enrollmentToken: string; enrollmentExpiresAt: number }> {
  const token = `hwe_${randomBytes(32).toString('base64url')}`;
  const now = Date.now();
  const expiresAt = now + ctx.config.enrollmentTokenTtlMs;
  await ctx.store.enrollmentTokens.insert({
    tokenHash: hashEnrollmentToken(token),
    hostId,
    createdAt: now,
    expiresAt,
  });
  return { enrollmentToken: token, enrollmentExpiresAt: expiresAt };
}

/** Creates a host and its one-time enrollment token (used by the route and by the local agent). */
export async function createHost(
  ctx: AppContext,
  organizationId: string,
  name: string,
  actor: { userId: string | null; ip: string | null },
) {
  const id = randomUUID();
  await ctx.store.hosts.insert({ id, organizationId, name, createdAt: Date.now() });
  const enrollment = await issueEnrollmentToken(ctx, id);
  await ctx.store.audit.record({
    organizationId,
    actorType: actor.userId ? 'user' : 'system',
    actorId: actor.userId,
    action: 'host.created',
    targetType: 'host',
    targetId: id,
    details: { name },
    ip: actor.ip,
  });
  ctx.bus.publish(
    topicFor.org(organizationId),
    createFrame({ type: 'host.upserted', organizationId, hostId: id, name }),
  );
  const host = await ctx.store.hosts.findById(id);
  if (!host) throw new ApiError('internal', 'The host vanished while being created');
  return { host: publicHost(host), ...enrollment };
}

/** Exchanges a one-time enrollment token for the agent's long-lived token. */
export async function enrollAgent(
  ctx: AppContext,
  enrollmentToken: string,
  details: Record<string, unknown>,
  ip: string | null,
) {
  const now = Date.now();
  const hostId = await ctx.store.enrollmentTokens.consume(hashEnrollmentToken(enrollmentToken), now);
  const host = hostId ? await ctx.store.hosts.findById(hostId) : undefined;
  if (!host)
    throw new ApiError('unauthorized', 'The enrollment token is unknown, used or expired; create a new one');
  await ctx.store.hosts.markEnrolled(host.id, now);
  const agentToken = await ctx.tokens.signAgent({
    hostId: host.id,
    organizationId: host.organizationId,
    tokenVersion: host.tokenVersion,
  });
  await ctx.store.audit.record({
    organizationId: host.organizationId,
    actorType: 'agent',
    actorId: host.id,
    action: 'host.enrolled',
    targetType: 'host',
    targetId: host.id,
    details,
    ip,
  });
  return {
    hostId: host.id,
    organizationId: host.organizationId,
    agentToken,
    commandPublicKey: ctx.signer.publicKeyPem,
  };
}

export function createHostsRouter(ctx: AppContext): Router {
  const router = Router();
  const param = (value: unknown): string => (typeof value === 'string' ? value : '');

  router.post(
    '/agent/enroll',
    route(async (req, res) => {
      const body = parseOrThrow(EnrollBody, req.body);
      const { enrollmentToken, ...details } = body;
      res.status(201).json(await enrollAgent(ctx, enrollmentToken, details, clientIp(req)));
    }),
  );

  const session = requireSession(ctx);

  router.get(
    '/orgs/:orgId/hosts',
    session,
    route(async (req, res) => {
      const orgId = param(req.params.orgId);
      await ctx.access.requireOrgRole(authed(res).userId, orgId, 'viewer');
      const hosts = await ctx.store.hosts.listByOrganization(orgId);
      res.json({ hosts: hosts.map(publicHost) });
    }),
  );

  router.post(
    '/orgs/:orgId/hosts',
    session,
    route(async (req, res) => {
      const orgId = param(req.params.orgId);
      const { userId } = authed(res);
      await ctx.access.requireOrgRole(userId, orgId, 'admin');
      const body = parseOrThrow(CreateHostBody, req.body);
      res.status(201).json(await createHost(ctx, orgId, body.name, { userId, ip: clientIp(req) }));
    }),
  );

  router.get(
    '/hosts/:hostId',
    session,
    route(async (req, res) => {
      const { host } = await ctx.access.requireHost(authed(res).userId, param(req.params.hostId), 'viewer');
      res.json({ host: publicHost(host) });
    }),
  );

  router.delete(
    '/hosts/:hostId',
    session,
    route(async (req, res) => {
      const { userId } = authed(res);
      const { host } = await ctx.access.requireHost(userId, param(req.params.hostId), 'admin');
      await ctx.store.hosts.delete(host.id);
      await ctx.store.audit.record({
        organizationId: host.organizationId,
        actorType: 'user',
        actorId: userId,
        action: 'host.deleted',
        targetType: 'host',
        targetId: host.id,
        details: { name: host.name },
        ip: clientIp(req),
      });
      ctx.bus.broadcast({ kind: 'host.deleted', hostId: host.id, organizationId: host.organizationId });
      const removed = createFrame({
        type: 'host.removed',
        organizationId: host.organizationId,
        hostId: host.id,
      });
      ctx.bus.publish(topicFor.org(host.organizationId), removed);
      ctx.bus.publish(topicFor.host(host.id), removed);
      res.status(204).end();
    }),
  );

  router.post(
    '/hosts/:hostId/rotate-token',
    session,
    route(async (req, res) => {
      const { userId } = authed(res);
      const { host } = await ctx.access.requireHost(userId, param(req.params.hostId), 'admin');
      const now = Date.now();
      await ctx.store.hosts.bumpTokenVersion(host.id);
      await ctx.store.enrollmentTokens.revokeForHost(host.id, now);
      const enrollment = await issueEnrollmentToken(ctx, host.id);
      await ctx.store.audit.record({
        organizationId: host.organizationId,
        actorType: 'user',
        actorId: userId,
        action: 'host.token_rotated',
        targetType: 'host',
        targetId: host.id,
        ip: clientIp(req),
      });
      ctx.bus.broadcast({ kind: 'host.revoked', hostId: host.id });
      res.status(201).json(enrollment);
    }),
  );

  return router;
}
