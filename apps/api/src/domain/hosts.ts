/**
 * @module domain/hosts — hosts of an organization: creation with a one-time enrollment token, enrollment
 * (the token for the agent's long-lived one), deletion and token rotation. Each change is one transaction
 * with the host's row locked; its events (fleet frames, agent revocation) leave after the commit.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { topicFor, type Host } from '@hostwire/protocol';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import { createFrame } from '../realtime/bus/types.js';
import type { Repositories } from '../store/index.js';
import { publicHost, type HostRow } from '../store/repositories/hosts.js';
import { queryHistory } from '../realtime/history.js';
import type { AgentReleaseService } from './agent-release.js';
import { unitOfWork, type DomainDeps } from './deps.js';

export function hashEnrollmentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Who creates a host: a user, or the server itself (`userId` null, the local agent under `npm start`). */
export interface HostCreator {
  userId: string | null;
  ip: string | null;
}

export interface Enrollment {
  enrollmentToken: string;
  enrollmentExpiresAt: number;
}

export function createHosts(deps: DomainDeps, { agentRelease }: { agentRelease: AgentReleaseService }) {
  async function issueEnrollmentToken(tx: Repositories, hostId: string, now: number): Promise<Enrollment> {
    const token = `hwe_${randomBytes(32).toString('base64url')}`;
    const expiresAt = now + deps.config.enrollmentTokenTtlMs;
    await tx.enrollmentTokens.insert({
      tokenHash: hashEnrollmentToken(token),
      hostId,
      createdAt: now,
      expiresAt,
    });
    return { enrollmentToken: token, enrollmentExpiresAt: expiresAt };
  }

  return {
    async list(actor: Actor, organizationId: string): Promise<Host[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'viewer');
      return (await deps.store.hosts.listByOrganization(organizationId)).map(publicHost);
    },

    async get(actor: Actor, hostId: string): Promise<Host> {
      return publicHost((await deps.access.requireHost(actor.userId, hostId, 'viewer')).host);
    },

    /** Creates a host and its one-time enrollment token (the caller checked the creator's role). */
    async create(
      organizationId: string,
      name: string,
      creator: HostCreator,
    ): Promise<{ host: Host } & Enrollment> {
      const id = randomUUID();
      const now = Date.now();
      return unitOfWork(deps, async (tx, outbox) => {
        await tx.hosts.insert({ id, organizationId, name, createdAt: now });
        const enrollment = await issueEnrollmentToken(tx, id, now);
        await tx.audit.record({
          organizationId,
          actorType: creator.userId ? 'user' : 'system',
          actorId: creator.userId,
          action: 'host.created',
          targetType: 'host',
          targetId: id,
          details: { name },
          ip: creator.ip,
        });
        outbox.publish(
          topicFor.org(organizationId),
          createFrame({ type: 'host.upserted', organizationId, hostId: id, name }),
        );
        const host = await tx.hosts.findById(id);
        if (!host) throw new ApiError('internal', 'The host vanished while being created');
        return { host: publicHost(host), ...enrollment };
      });
    },

    /** Exchanges a one-time enrollment token for the agent's long-lived token. */
    async enroll(enrollmentToken: string, details: Record<string, unknown>, ip: string | null) {
      const now = Date.now();
      const host = await unitOfWork(deps, async (tx) => {
        const hostId = await tx.enrollmentTokens.consume(hashEnrollmentToken(enrollmentToken), now);
        const found = hostId && (await tx.locks.host(hostId)) ? await tx.hosts.findById(hostId) : undefined;
        if (!found)
          throw new ApiError(
            'unauthorized',
            'The enrollment token is unknown, used or expired; create a new one',
          );
        await tx.hosts.markEnrolled(found.id, now);
        await tx.audit.record({
          organizationId: found.organizationId,
          actorType: 'agent',
          actorId: found.id,
          action: 'host.enrolled',
          targetType: 'host',
          targetId: found.id,
          details,
          ip,
        });
        return found;
      });
      const agentToken = await deps.tokens.signAgent({
        hostId: host.id,
        organizationId: host.organizationId,
        tokenVersion: host.tokenVersion,
      });
      return {
        hostId: host.id,
        organizationId: host.organizationId,
        agentToken,
        commandPublicKey: deps.signer.publicKeyPem,
        // A fallback only: agents pin it when enrolled over https or loopback without --release-key.
        releaseKey: agentRelease.publicKey(),
      };
    },

    /** Deletes a host with its data; its agent is disconnected on whichever instance holds it. */
    async remove(actor: Actor, hostId: string): Promise<void> {
      const { host } = await deps.access.requireHost(actor.userId, hostId, 'admin');
      await unitOfWork(deps, async (tx, outbox) => {
        if (!(await tx.locks.host(host.id))) throw new ApiError('not_found', 'Host not found');
        await tx.hosts.delete(host.id);
        await tx.audit.record({
          organizationId: host.organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'host.deleted',
          targetType: 'host',
          targetId: host.id,
          details: { name: host.name },
          ip: actor.ip,
        });
        outbox.broadcast({ kind: 'host.deleted', hostId: host.id, organizationId: host.organizationId });
        const removed = createFrame({
          type: 'host.removed',
          organizationId: host.organizationId,
          hostId: host.id,
        });
        outbox.publish(topicFor.org(host.organizationId), removed);
        outbox.publish(topicFor.host(host.id), removed);
      });
    },

    /**
     * Revokes every agent token and unused enrollment token of the host and issues a new enrollment token,
     * all or nothing; the connected agent is disconnected after the commit.
     */
    async rotateToken(actor: Actor, hostId: string): Promise<Enrollment> {
      const { host } = await deps.access.requireHost(actor.userId, hostId, 'admin');
      return unitOfWork(deps, async (tx, outbox) => {
        if (!(await tx.locks.host(host.id))) throw new ApiError('not_found', 'Host not found');
        const now = Date.now();
        await tx.hosts.bumpTokenVersion(host.id);
        await tx.enrollmentTokens.revokeForHost(host.id, now);
        const enrollment = await issueEnrollmentToken(tx, host.id, now);
        await tx.audit.record({
          organizationId: host.organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'host.token_rotated',
          targetType: 'host',
          targetId: host.id,
          ip: actor.ip,
        });
        outbox.broadcast({ kind: 'host.revoked', hostId: host.id });
        return enrollment;
      });
    },

    /** A host by id, without any access check (agent authentication, credential re-checks). */
    find(hostId: string): Promise<HostRow | undefined> {
      return deps.store.hosts.findById(hostId);
    },

    /** Metrics history of a host the caller may see: raw samples or rollups, by the range. */
    async history(
      actor: Actor,
      hostId: string,
      range: { from: number; to: number; step?: number | undefined },
    ) {
      const { host } = await deps.access.requireHost(actor.userId, hostId, 'viewer');
      return queryHistory(deps.store, deps.config.metrics, host.id, range.from, range.to, range.step);
    },

    /** The oldest organization, where the local agent enrolls this machine (undefined before setup). */
    async firstOrganizationId(): Promise<string | undefined> {
      return deps.store.organizations.oldestId();
    },
  };
}

export type Hosts = ReturnType<typeof createHosts>;
