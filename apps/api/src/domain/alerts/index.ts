/**
 * @module domain/alerts — alert rules and notification channels of an organization (admin writes, members
 * read), the alerts they raise, and the wiring of the engine (evaluation) and the outbox worker (delivery).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateChannelBody,
  DiscordConfig,
  EmailConfig,
  NtfyConfig,
  SlackConfig,
  WebhookConfig,
  type Alert,
  type AlertRule,
  type CreateRuleBody,
  type Delivery,
  type HostStatus,
  type MetricsSample,
  type NotificationChannel,
  type UpdateRuleBody,
} from '@hostwire/protocol';
import type { z } from 'zod';
import { createRateLimiter } from '../../auth/rate-limiter.js';
import type { Actor } from '../../context.js';
import { ApiError, parseOrThrow } from '../../errors.js';
import { channelSecrets, scrubSecrets } from '../../scrub.js';
import type { Repositories } from '../../store/index.js';
import type { AlertRuleRow, ChannelRow, DeliveryRow } from '../../store/repositories/alerts.js';
import { unitOfWork, type DomainDeps } from '../deps.js';
import { MAIL_RATE_LIMITED, quoted, type Mailer } from '../mailer.js';
import { createDeliveryWorker } from './delivery.js';
import { createAlertEngine } from './engine.js';
import { createSenders } from './senders.js';
import { createTransitions, newDeliveryId, snapshotOf } from './transitions.js';
import { alertView, channelConfig, channelView, ruleView, type ChannelConfig } from './views.js';

const CONFIG_SCHEMAS = {
  webhook: WebhookConfig,
  slack: SlackConfig,
  discord: DiscordConfig,
  ntfy: NtfyConfig,
  email: EmailConfig,
} as const;

const MAX_ALERTS = 200;
/** Rules and channels per organization: bounds the in-memory index and the work of every sample. */
export const MAX_RULES = 500;
export const MAX_CHANNELS = 100;
const MAX_DELIVERIES = 50;
/** Test sends per channel and per organization and minute (then 429 with Retry-After). */
export const TEST_SENDS_PER_CHANNEL_PER_MINUTE = 5;
export const TEST_SENDS_PER_ORGANIZATION_PER_MINUTE = 20;
/** Config fields that are secrets: dropped when the URL's origin changes (they were meant for the old one). */
const SECRET_FIELDS = ['secret', 'token'] as const;

const originOf = (url: unknown) => {
  try {
    return typeof url === 'string' ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
};
const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export function createAlerts(deps: DomainDeps, services: { mailer: Mailer }) {
  const transitions = createTransitions(deps.config.publicUrl);
  const worker = createDeliveryWorker(
    deps,
    createSenders({ outbound: deps.outbound, mailer: services.mailer }),
  );
  const testSends = {
    channel: createRateLimiter({ capacity: TEST_SENDS_PER_CHANNEL_PER_MINUTE, windowMs: 60_000 }),
    organization: createRateLimiter({ capacity: TEST_SENDS_PER_ORGANIZATION_PER_MINUTE, windowMs: 60_000 }),
  };
  const engine = createAlertEngine(deps, transitions, () => worker.wake());

  const admin = (actor: Actor, organizationId: string) =>
    deps.access.requireOrgRole(actor.userId, organizationId, 'admin');

  /** A rule or channel of an organization the actor belongs to, with the role check; else 404/403. */
  async function ownRule(actor: Actor, ruleId: string, minimum: 'viewer' | 'admin'): Promise<AlertRuleRow> {
    const row = await deps.store.alerts.findRule(ruleId);
    if (!row || !(await deps.store.organizations.roleOf(actor.userId, row.organization_id)))
      throw new ApiError('not_found', 'Alert rule not found');
    await deps.access.requireOrgRole(actor.userId, row.organization_id, minimum);
    return row;
  }
  async function ownChannel(
    actor: Actor,
    channelId: string,
    minimum: 'viewer' | 'admin',
  ): Promise<ChannelRow> {
    const row = await deps.store.alerts.findChannel(channelId);
    if (!row || !(await deps.store.organizations.roleOf(actor.userId, row.organization_id)))
      throw new ApiError('not_found', 'Notification channel not found');
    await deps.access.requireOrgRole(actor.userId, row.organization_id, minimum);
    return row;
  }

  /** A channel's target must pass the outbound guard as it resolves now (400 `target_not_allowed`). */
  async function checkTarget(type: string, config: ChannelConfig): Promise<void> {
    if (type === 'email' && !deps.config.smtp)
      throw new ApiError('bad_request', 'E-mail channels need SMTP_URL to be set on the server');
    if (typeof config.url === 'string') await deps.outbound.checkTarget(config.url);
  }

  /** Every id must name a host (or channel) of the organization: a clear 400 otherwise. */
  async function checkRefs(
    tx: Repositories,
    organizationId: string,
    hostIds: readonly string[] | null | undefined,
    channelIds: readonly string[] | undefined,
  ): Promise<void> {
    if (hostIds) {
      const known = new Set((await tx.hosts.listByOrganization(organizationId)).map((h) => h.id));
      const unknown = hostIds.filter((id) => !known.has(id));
      if (unknown.length > 0) throw new ApiError('bad_request', `hostIds: unknown host ${unknown[0]}`);
    }
    if (channelIds) {
      const known = new Set((await tx.alerts.listChannels(organizationId)).map((c) => c.id));
      const unknown = channelIds.filter((id) => !known.has(id));
      if (unknown.length > 0) throw new ApiError('bad_request', `channelIds: unknown channel ${unknown[0]}`);
    }
  }

  /** Resolves every open alert of a rule (edited or deleted) inside the caller's transaction. */
  async function resolveRule(
    tx: Repositories,
    outbox: Parameters<Parameters<typeof unitOfWork>[1]>[1],
    rule: AlertRule,
  ) {
    let deliveries = 0;
    const now = Date.now();
    for (const alert of await tx.alerts.listOpenForRule(rule.id)) {
      deliveries += (await transitions.resolve(tx, outbox, alert, snapshotOf(rule), now))?.deliveries ?? 0;
    }
    return deliveries;
  }

  return {
    // ---- lifecycle and evaluation ----
    async start(): Promise<void> {
      await engine.start();
      worker.start();
    },
    /** Samples just accepted from a host's agent (metrics ingest calls this once per frame). */
    samples(hostId: string, organizationId: string, samples: MetricsSample[]): void {
      engine.samples(hostId, organizationId, samples);
    },
    /** A host turned online or offline (presence calls this). */
    hostStatus(hostId: string, organizationId: string, status: HostStatus, at: number): void {
      engine.hostStatus(hostId, organizationId, status, at);
    },
    /** One host_offline sweep now (tests). */
    sweep: () => engine.sweep(),
    async close(): Promise<void> {
      await engine.close();
      await worker.close();
    },

    // ---- alerts ----
    async list(
      actor: Actor,
      organizationId: string,
      state: 'pending' | 'firing' | 'resolved' | undefined,
    ): Promise<Alert[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'viewer');
      const states = state ? [state] : ['firing', 'resolved'];
      return (await deps.store.alerts.listAlerts(organizationId, states, MAX_ALERTS)).map(alertView);
    },

    // ---- rules ----
    /** Checks the actor may edit the rule (admin of its organization), before its body is validated. */
    async ruleAccess(actor: Actor, ruleId: string): Promise<void> {
      await ownRule(actor, ruleId, 'admin');
    },
    async listRules(actor: Actor, organizationId: string): Promise<AlertRule[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'viewer');
      return (await deps.store.alerts.listRules(organizationId)).map(ruleView);
    },
    async createRule(actor: Actor, organizationId: string, body: CreateRuleBody): Promise<AlertRule> {
      await admin(actor, organizationId);
      const now = Date.now();
      const row: AlertRuleRow = {
        id: randomUUID(),
        organization_id: organizationId,
        name: body.name,
        condition: JSON.stringify(body.condition),
        for_seconds: body.forSeconds,
        host_ids: body.hostIds ? JSON.stringify([...new Set(body.hostIds)]) : null,
        channel_ids: JSON.stringify([...new Set(body.channelIds)]),
        severity: body.severity,
        created_at: now,
        updated_at: now,
      };
      await unitOfWork(deps, async (tx) => {
        if (!(await tx.locks.organization(organizationId)))
          throw new ApiError('not_found', 'Organization not found');
        if ((await tx.alerts.listRules(organizationId)).length >= MAX_RULES)
          throw new ApiError('limit_reached', `An organization has at most ${MAX_RULES} alert rules`);
        await checkRefs(tx, organizationId, body.hostIds, body.channelIds);
        await tx.alerts.insertRule(row);
        await tx.audit.record({
          organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'alert_rule.created',
          targetType: 'alert_rule',
          targetId: row.id,
          details: { name: row.name },
          ip: actor.ip,
        });
      });
      await engine.rulesChanged(organizationId);
      return ruleView(row);
    },
    /** Edits a rule; its open alerts resolve (the condition they were raised under is gone). */
    async updateRule(actor: Actor, ruleId: string, body: UpdateRuleBody): Promise<AlertRule> {
      const existing = await ownRule(actor, ruleId, 'admin');
      const before = ruleView(existing);
      const now = Date.now();
      const fields: Partial<AlertRuleRow> = { updated_at: now };
      if (body.name !== undefined) fields.name = body.name;
      if (body.condition !== undefined) fields.condition = JSON.stringify(body.condition);
      if (body.forSeconds !== undefined) fields.for_seconds = body.forSeconds;
      if (body.hostIds !== undefined)
        fields.host_ids = body.hostIds ? JSON.stringify([...new Set(body.hostIds)]) : null;
      if (body.channelIds !== undefined) fields.channel_ids = JSON.stringify([...new Set(body.channelIds)]);
      if (body.severity !== undefined) fields.severity = body.severity;
      const deliveries = await unitOfWork(deps, async (tx, outbox) => {
        await tx.locks.organization(existing.organization_id);
        if (!(await tx.alerts.findRule(ruleId))) throw new ApiError('not_found', 'Alert rule not found');
        await checkRefs(tx, existing.organization_id, body.hostIds, body.channelIds);
        const resolved = await resolveRule(tx, outbox, before);
        await tx.alerts.updateRule(ruleId, fields);
        await tx.audit.record({
          organizationId: existing.organization_id,
          actorType: 'user',
          actorId: actor.userId,
          action: 'alert_rule.updated',
          targetType: 'alert_rule',
          targetId: ruleId,
          details: { name: fields.name ?? existing.name },
          ip: actor.ip,
        });
        return resolved;
      });
      if (deliveries > 0) worker.wake();
      await engine.rulesChanged(existing.organization_id);
      return ruleView({ ...existing, ...fields });
    },
    async deleteRule(actor: Actor, ruleId: string): Promise<void> {
      const existing = await ownRule(actor, ruleId, 'admin');
      const deliveries = await unitOfWork(deps, async (tx, outbox) => {
        await tx.locks.organization(existing.organization_id);
        const current = await tx.alerts.findRule(ruleId);
        if (!current) throw new ApiError('not_found', 'Alert rule not found');
        const resolved = await resolveRule(tx, outbox, ruleView(current));
        await tx.alerts.deleteRule(ruleId);
        await tx.audit.record({
          organizationId: existing.organization_id,
          actorType: 'user',
          actorId: actor.userId,
          action: 'alert_rule.deleted',
          targetType: 'alert_rule',
          targetId: ruleId,
          details: { name: current.name },
          ip: actor.ip,
        });
        return resolved;
      });
      if (deliveries > 0) worker.wake();
      await engine.rulesChanged(existing.organization_id);
    },

    // ---- channels ----
    /** Checks the actor may edit the channel (admin of its organization), before its body is validated. */
    async channelAccess(actor: Actor, channelId: string): Promise<void> {
      await ownChannel(actor, channelId, 'admin');
    },
    async listChannels(actor: Actor, organizationId: string): Promise<NotificationChannel[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'viewer');
      return (await deps.store.alerts.listChannels(organizationId)).map(channelView);
    },
    /** Creates a channel; a webhook without a key gets a generated `whsec_…`, returned once as `secret`. */
    async createChannel(
      actor: Actor,
      organizationId: string,
      body: unknown,
    ): Promise<{ channel: NotificationChannel; secret?: string }> {
      await admin(actor, organizationId);
      const parsed = parseOrThrow(CreateChannelBody, body);
      const config: ChannelConfig = { ...parsed.config };
      let secret: string | undefined;
      if (parsed.type === 'webhook' && config.secret === undefined) {
        secret = newWebhookSecret();
        config.secret = secret;
      }
      await checkTarget(parsed.type, config);
      const now = Date.now();
      const row: ChannelRow = {
        id: randomUUID(),
        organization_id: organizationId,
        name: parsed.name,
        type: parsed.type,
        config: JSON.stringify(config),
        created_at: now,
        updated_at: now,
      };
      await unitOfWork(deps, async (tx) => {
        if (!(await tx.locks.organization(organizationId)))
          throw new ApiError('not_found', 'Organization not found');
        if ((await tx.alerts.listChannels(organizationId)).length >= MAX_CHANNELS)
          throw new ApiError(
            'limit_reached',
            `An organization has at most ${MAX_CHANNELS} notification channels`,
          );
        await tx.alerts.insertChannel(row);
        await tx.audit.record({
          organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'notification_channel.created',
          targetType: 'notification_channel',
          targetId: row.id,
          details: { name: row.name, type: row.type },
          ip: actor.ip,
        });
      });
      return secret === undefined ? { channel: channelView(row) } : { channel: channelView(row), secret };
    },
    /**
     * Renames a channel or changes config fields; secrets and tokens not given are kept (write-only) while
     * the URL keeps its origin. A new origin drops them: a webhook gets a new key, returned once as `secret`.
     */
    async updateChannel(
      actor: Actor,
      channelId: string,
      body: { name?: string | undefined; config?: Record<string, unknown> | undefined },
    ): Promise<{ channel: NotificationChannel; secret?: string }> {
      const existing = await ownChannel(actor, channelId, 'admin');
      const schema = CONFIG_SCHEMAS[existing.type as keyof typeof CONFIG_SCHEMAS] as z.ZodType;
      const stored = channelConfig(existing);
      const given = body.config ?? {};
      const retargeted = given.url !== undefined && originOf(given.url) !== originOf(stored.url);
      const merged: Record<string, unknown> = { ...stored, ...given };
      let secret: string | undefined;
      if (retargeted) for (const field of SECRET_FIELDS) if (given[field] === undefined) delete merged[field];
      if (retargeted && existing.type === 'webhook' && given.secret === undefined) {
        secret = newWebhookSecret();
        merged.secret = secret;
      }
      for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
      // Webhooks are always signed: the key can be replaced, never removed.
      if (existing.type === 'webhook' && merged.secret === undefined)
        throw new ApiError(
          'bad_request',
          'config.secret: a webhook keeps its signing key; send a new whsec_ key to replace it',
        );
      const config = parseOrThrow(schema, merged) as ChannelConfig;
      await checkTarget(existing.type, config);
      const fields = {
        name: body.name ?? existing.name,
        config: JSON.stringify(config),
        updated_at: Date.now(),
      };
      await unitOfWork(deps, async (tx) => {
        await tx.alerts.updateChannel(channelId, fields);
        await tx.audit.record({
          organizationId: existing.organization_id,
          actorType: 'user',
          actorId: actor.userId,
          action: 'notification_channel.updated',
          targetType: 'notification_channel',
          targetId: channelId,
          details: retargeted ? { name: fields.name, secretsDropped: true } : { name: fields.name },
          ip: actor.ip,
        });
      });
      const channel = channelView({ ...existing, ...fields });
      return secret === undefined ? { channel } : { channel, secret };
    },
    async deleteChannel(actor: Actor, channelId: string): Promise<void> {
      const existing = await ownChannel(actor, channelId, 'admin');
      const changedRules = await unitOfWork(deps, async (tx) => {
        await tx.locks.organization(existing.organization_id);
        await tx.alerts.deleteChannel(channelId);
        // Rules stop naming it (their other channels stay).
        let changed = 0;
        for (const rule of await tx.alerts.listRules(existing.organization_id)) {
          const ids = ruleView(rule).channelIds;
          if (!ids.includes(channelId)) continue;
          await tx.alerts.updateRule(rule.id, {
            channel_ids: JSON.stringify(ids.filter((id) => id !== channelId)),
            updated_at: Date.now(),
          });
          changed += 1;
        }
        await tx.audit.record({
          organizationId: existing.organization_id,
          actorType: 'user',
          actorId: actor.userId,
          action: 'notification_channel.deleted',
          targetType: 'notification_channel',
          targetId: channelId,
          details: { name: existing.name },
          ip: actor.ip,
        });
        return changed;
      });
      if (changedRules > 0) await engine.rulesChanged(existing.organization_id);
    },
    /**
     * Sends a `"type":"test"` notification now (in a slot of the delivery bounds, like every delivery) and
     * reports how the attempt went; 429 with Retry-After past the test rate or the e-mail budget.
     */
    async testChannel(actor: Actor, channelId: string): Promise<Delivery> {
      const channel = await ownChannel(actor, channelId, 'admin');
      for (const [limiter, key] of [
        [testSends.channel, channel.id],
        [testSends.organization, channel.organization_id],
      ] as const) {
        const taken = limiter.take(key);
        if (!taken.ok)
          throw new ApiError('rate_limited', 'Too many test sends; try again later', undefined, {
            retryAfterSeconds: taken.retryAfterSeconds,
          });
      }
      const now = Date.now();
      const organization = {
        id: channel.organization_id,
        name: (await deps.store.alerts.organizationName(channel.organization_id)) ?? '',
      };
      const payload = {
        type: 'test',
        channel: { id: channel.id, name: channel.name },
        organization,
        message: `Test notification from Hostwire for the channel ${quoted(channel.name)}`,
        url: deps.config.publicUrl,
      };
      const row: DeliveryRow = {
        id: newDeliveryId(),
        organization_id: channel.organization_id,
        channel_id: channel.id,
        alert_id: null,
        event: 'test',
        payload: JSON.stringify(payload),
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        last_status_code: null,
        last_error: null,
        created_at: now,
        delivered_at: null,
      };
      const attempted = await worker.attemptNow(row);
      if (attempted.row.last_error === MAIL_RATE_LIMITED)
        throw new ApiError(
          'rate_limited',
          "This organization's e-mail budget (MAIL_RATE_PER_ORG_PER_HOUR) is spent; try again later",
          undefined,
          { retryAfterSeconds: attempted.retryAfterSeconds ?? 60 },
        );
      return deliveryView(attempted.row, [], channelSecrets(channelConfig(channel)));
    },
    async deliveries(actor: Actor, channelId: string): Promise<Delivery[]> {
      const channel = await ownChannel(actor, channelId, 'admin');
      const rows = await deps.store.alerts.listDeliveries(channel.id, MAX_DELIVERIES);
      const attempts = await deps.store.alerts.listAttempts(rows.map((r) => r.id));
      // Records written before errors were scrubbed are scrubbed on the way out too.
      const secrets = channelSecrets(channelConfig(channel));
      return rows.map((row) =>
        deliveryView(
          row,
          attempts.filter((a) => a.delivery_id === row.id),
          secrets,
        ),
      );
    },
  };
}

function deliveryView(
  row: DeliveryRow,
  attempts: {
    attempt: number;
    at: number;
    status_code: number | null;
    error: string | null;
    duration_ms: number;
  }[],
  secrets: readonly string[],
): Delivery {
  const scrub = (error: string | null) => (error === null ? null : scrubSecrets(error, secrets));
  return {
    id: row.id,
    channelId: row.channel_id,
    alertId: row.alert_id,
    event: row.event as Delivery['event'],
    status: row.status as Delivery['status'],
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: scrub(row.last_error),
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      at: a.at,
      statusCode: a.status_code,
      error: scrub(a.error),
      durationMs: a.duration_ms,
    })),
  };
}

export type Alerts = ReturnType<typeof createAlerts>;
