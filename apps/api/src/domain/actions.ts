/**
 * @module domain/actions — action runs: authorize, audit, sign, deliver, and follow them to the end. The
 * action row carries the id of its audit row, so whichever instance receives the result (also after a
 * restart) completes the audit row with the outcome, in the same transaction as the final status.
 */
import { randomUUID } from 'node:crypto';
import {
  FINAL_ACTION_STATUSES,
  topicFor,
  validateActionParams,
  type ActionParams,
  type ActionRecord,
  type ActionStatus,
  type AgentToServer,
} from '@hostwire/protocol';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import { createFrame } from '../realtime/bus/types.js';
import type { AgentSession } from '../realtime/types.js';
import { publicAction } from '../store/repositories/actions.js';
import type { HostRow } from '../store/repositories/hosts.js';
import { unitOfWork, type DomainDeps } from './deps.js';
import type { Presence } from './presence.js';

type AgentActionMessage = Extract<
  AgentToServer,
  { type: 'action.started' | 'action.output' | 'action.result' }
>;

/** Stored parameters of a refused attempt: as given up to 1 KiB of JSON, else only their size. */
const MAX_AUDITED_PARAMS_CHARS = 1024;
function capped(params: unknown): unknown {
  const text = JSON.stringify(params ?? null);
  return text.length <= MAX_AUDITED_PARAMS_CHARS ? params : { truncated: true, chars: text.length };
}

export function createActions(ctx: DomainDeps, presence: Presence) {
  function publishStatus(
    record: Pick<ActionRecord, 'id' | 'hostId' | 'action' | 'status' | 'exitCode' | 'error'>,
  ): void {
    const frame = createFrame({
      type: 'action.status',
      actionId: record.id,
      hostId: record.hostId,
      action: record.action,
      status: record.status,
      exitCode: record.exitCode,
      error: record.error,
      at: Date.now(),
    });
    ctx.bus.publish(topicFor.action(record.id), frame);
    ctx.bus.publish(topicFor.host(record.hostId), frame);
  }

  async function load(actionId: string): Promise<ActionRecord> {
    const record = await ctx.store.actions.findById(actionId, false);
    if (!record) throw new ApiError('not_found', 'Action not found');
    return publicAction(record);
  }

  /** The action's parameters, checked against the catalog the host's agent announced. */
  function checkAgainstCatalog(
    host: HostRow,
    action: string,
    rawParams: Record<string, unknown>,
  ): ActionParams {
    const catalog = presence.hello(host.id)?.actions ?? host.agent?.actions ?? [];
    const descriptor = catalog.find((a) => a.name === action);
    if (!descriptor) throw new ApiError('unknown_action', `The host does not offer the action "${action}"`);
    const checked = validateActionParams(descriptor, rawParams);
    if (!checked.ok) throw new ApiError('invalid_params', checked.problems.join('; '), checked.problems);
    return checked.params;
  }

  /**
   * Records a refused attempt, then throws `error`. A refusal because the caller is no member of the host's
   * organization (404) is recorded outside that organization (no organization), so outsiders cannot write
   * into another organization's audit log; parameters are stored capped.
   */
  async function deny(
    actor: Actor,
    organizationId: string | null,
    target: { type: 'host' | 'action'; id: string },
    auditAction: 'action.run' | 'action.cancel',
    details: { action: unknown; params?: unknown },
    error: ApiError,
  ): Promise<never> {
    const outsider = error.code === 'not_found';
    await ctx.store.audit.record({
      organizationId: outsider ? null : organizationId,
      actorType: 'user',
      actorId: actor.userId,
      action: auditAction,
      targetType: target.type,
      targetId: target.id.slice(0, 200),
      decision: 'denied',
      details: {
        action: typeof details.action === 'string' ? details.action.slice(0, 64) : null,
        ...(details.params === undefined ? {} : { params: capped(details.params) }),
        reason: error.code,
      },
      ip: actor.ip,
    });
    throw error;
  }

  return {
    /** The host an action ran on (undefined when there is no such action). */
    async hostOf(actionId: string): Promise<string | undefined> {
      return (await ctx.store.actions.findById(actionId, false))?.hostId;
    },

    /** The newest actions of a host, without their output. */
    async list(actor: Actor, hostId: string, limit: number): Promise<ActionRecord[]> {
      const { host } = await ctx.access.requireHost(actor.userId, hostId, 'viewer');
      return (await ctx.store.actions.listByHost(host.id, limit)).map(publicAction);
    },

    /** One action with its output; existence is only confirmed to members of its organization. */
    async get(actor: Actor, actionId: string): Promise<ActionRecord> {
      const action = await ctx.store.actions.findById(actionId);
      await ctx.access.requireHost(actor.userId, action?.hostId ?? '', 'viewer');
      if (!action) throw new ApiError('not_found', 'Action not found');
      return publicAction(action);
    },

    async run(
      actor: Actor,
      hostId: string,
      action: string,
      rawParams: Record<string, unknown>,
    ): Promise<ActionRecord> {
      let host: HostRow | undefined;
      let params: ActionParams;
      try {
        host = (await ctx.access.requireHost(actor.userId, hostId, 'operator')).host;
        params = checkAgainstCatalog(host, action, rawParams);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const target = host ?? (await ctx.store.hosts.findById(hostId));
        return deny(
          actor,
          target?.organizationId ?? null,
          { type: 'host', id: hostId },
          'action.run',
          { action, params: rawParams },
          error,
        );
      }

      const now = Date.now();
      const id = randomUUID();
      const online = await presence.isConnected(host.id);
      const status: ActionStatus = online ? 'queued' : 'agent_offline';
      const auditId = await unitOfWork(ctx, async (tx) => {
        const recorded = await tx.audit.record({
          organizationId: host.organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'action.run',
          targetType: 'host',
          targetId: host.id,
          details: { actionId: id, action, params, ...(online ? {} : { outcome: 'agent_offline' }) },
          ip: actor.ip,
        });
        await tx.actions.insert({
          id,
          hostId: host.id,
          organizationId: host.organizationId,
          userId: actor.userId,
          action,
          params,
          status,
          error: online ? null : 'The host agent is not connected',
          createdAt: now,
          auditId: recorded,
        });
        return recorded;
      });
      if (online) {
        const command = ctx.signer.sign({
          kind: 'run',
          actionId: id,
          hostId: host.id,
          action,
          params,
          issuedAt: now,
          expiresAt: now + ctx.config.actions.commandTtlMs,
        });
        const delivered = await ctx.bus.sendToAgent(host.id, { type: 'command', ...command });
        if (delivered) {
          await ctx.store.actions.transition(id, 'sent');
          ctx.metrics.actionsStarted.inc();
        } else {
          await unitOfWork(ctx, async (tx) => {
            const ended = await tx.actions.transition(id, 'agent_offline', {
              error: 'The host agent is not connected',
              finishedAt: Date.now(),
            });
            if (ended) await tx.audit.addDetails(auditId, { outcome: 'agent_offline' });
          });
        }
      }
      const record = await load(id);
      publishStatus(record);
      return record;
    },

    /**
     * Authorizes running an action on the host before the request is even parsed: a refusal is audited
     * (outside the organization for a non-member) and thrown, so nobody learns more than 404 or 403.
     */
    async authorizeRun(actor: Actor, hostId: string, body: unknown): Promise<void> {
      try {
        await ctx.access.requireHost(actor.userId, hostId, 'operator');
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
        const target = await ctx.store.hosts.findById(hostId);
        return deny(
          actor,
          target?.organizationId ?? null,
          { type: 'host', id: hostId },
          'action.run',
          { action: fields.action, params: fields.params },
          error,
        );
      }
    },

    async cancel(actor: Actor, actionId: string): Promise<ActionRecord> {
      const record = await ctx.store.actions.findById(actionId, false);
      let host: HostRow;
      try {
        host = (await ctx.access.requireHost(actor.userId, record?.hostId ?? '', 'operator')).host;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return deny(
          actor,
          record?.organizationId ?? null,
          { type: 'action', id: actionId },
          'action.cancel',
          { action: record?.action },
          error,
        );
      }
      if (!record) throw new ApiError('not_found', 'Action not found');
      await ctx.store.audit.record({
        organizationId: host.organizationId,
        actorType: 'user',
        actorId: actor.userId,
        action: 'action.cancel',
        targetType: 'action',
        targetId: actionId,
        details: { action: record.action },
        ip: actor.ip,
      });
      if (FINAL_ACTION_STATUSES.includes(record.status))
        throw new ApiError('conflict', `The action already ended (${record.status})`);
      const now = Date.now();
      const command = ctx.signer.sign({
        kind: 'cancel',
        actionId,
        hostId: host.id,
        issuedAt: now,
        expiresAt: now + ctx.config.actions.commandTtlMs,
      });
      const delivered = await ctx.bus.sendToAgent(host.id, { type: 'command', ...command });
      if (!delivered)
        throw new ApiError(
          'agent_offline',
          'The host agent is not connected; the action will be cancelled if it reconnects and reports',
        );
      return publicAction(record);
    },

    /** Frames of an action coming from the agent that runs it (identity from the connection). */
    async fromAgent(agent: AgentSession, message: AgentActionMessage): Promise<void> {
      const record = await ctx.store.actions.findById(message.actionId, false);
      if (!record || record.hostId !== agent.hostId) return;
      if (message.type === 'action.started') {
        if (await ctx.store.actions.transition(record.id, 'running', { startedAt: message.startedAt })) {
          publishStatus({ ...record, status: 'running' });
        }
        return;
      }
      if (message.type === 'action.output') {
        if (FINAL_ACTION_STATUSES.includes(record.status)) return;
        await ctx.store.actions.appendOutput(record.id, message.data, ctx.config.actions.outputCapBytes);
        ctx.bus.publish(
          topicFor.action(record.id),
          createFrame({
            type: 'action.output',
            actionId: record.id,
            stream: message.stream,
            data: message.data,
          }),
        );
        return;
      }
      const ended = await unitOfWork(ctx, async (tx) => {
        const moved = await tx.actions.transition(record.id, message.status, {
          exitCode: message.exitCode,
          error: message.error ?? null,
          finishedAt: message.finishedAt,
        });
        if (!moved) return false;
        if (message.truncated) await tx.actions.markTruncated(record.id);
        if (record.auditId !== null)
          await tx.audit.addDetails(record.auditId, { outcome: message.status, exitCode: message.exitCode });
        return true;
      });
      if (!ended) return;
      publishStatus({
        ...record,
        status: message.status,
        exitCode: message.exitCode,
        error: message.error ?? null,
      });
    },
  };
}
