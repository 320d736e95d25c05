/**
 * @module alerts — alert rules and their conditions, alerts (pending → firing → resolved), notification
 * channels, deliveries, and the `alert.firing` / `alert.resolved` frames on `org:<id>`. Imported schemas of
 * the agent-facing modules (which may be zod/mini) are wrapped with functions (`z.nullable(Id)`), not methods.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { ContainerPattern, ContainerSeriesName } from './containers.js';
import { DisplayName } from './names.js';
import { METRIC_SERIES } from './metrics.js';

export const ALERT_OPS = ['>', '>=', '<', '<='] as const;
export const AlertOp = z.enum(ALERT_OPS);
export type AlertOp = z.infer<typeof AlertOp>;

/** True when `value op threshold` holds. */
export function compareAlert(value: number, op: AlertOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

const Threshold = z.number().refine(Number.isFinite, 'must be a finite number');

/** A host series (`METRIC_SERIES`) compared with a threshold. */
export const MetricCondition = z.strictObject({
  kind: z.literal('metric'),
  series: z.enum(METRIC_SERIES),
  op: AlertOp,
  threshold: Threshold,
});
/** The host's agent is not connected. */
export const HostOfflineCondition = z.strictObject({ kind: z.literal('host_offline') });
/** A container (name or glob) is not running, or running but unhealthy. */
export const ContainerDownCondition = z.strictObject({
  kind: z.literal('container_down'),
  container: ContainerPattern,
});
/** A series of a running container (name or glob) compared with a threshold. */
export const ContainerMetricCondition = z.strictObject({
  kind: z.literal('container_metric'),
  container: ContainerPattern,
  series: ContainerSeriesName,
  op: AlertOp,
  threshold: Threshold,
});
export const AlertCondition = z.discriminatedUnion('kind', [
  MetricCondition,
  HostOfflineCondition,
  ContainerDownCondition,
  ContainerMetricCondition,
]);
export type AlertCondition = z.infer<typeof AlertCondition>;
export const ALERT_CONDITION_KINDS = [
  'metric',
  'host_offline',
  'container_down',
  'container_metric',
] as const;

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export const AlertSeverity = z.enum(ALERT_SEVERITIES);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** Rules hold for at most a day before firing. */
export const MAX_FOR_SECONDS = 86_400;

export const AlertRule = z.object({
  id: Id,
  organizationId: Id,
  name: z.string(),
  condition: AlertCondition,
  forSeconds: z.number().int().nonnegative(),
  /** null: every host of the organization, present and future. */
  hostIds: z.array(Id).nullable(),
  channelIds: z.array(Id),
  severity: AlertSeverity,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AlertRule = z.infer<typeof AlertRule>;

export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export const AlertState = z.enum(ALERT_STATES);
export type AlertState = z.infer<typeof AlertState>;

/** One alert per (rule, host[, container]): `pending` while held less than `forSeconds`, then `firing`, then `resolved`. */
export const Alert = z.object({
  id: Id,
  organizationId: Id,
  ruleId: Id,
  ruleName: z.string(),
  hostId: Id,
  hostName: z.string(),
  /** The container of a container condition, else null. */
  container: z.string().nullable(),
  severity: AlertSeverity,
  state: AlertState,
  /** The value that made it fire (null for host_offline and container_down). */
  value: z.number().nullable(),
  /** When the condition started to hold. */
  startedAt: Timestamp,
  firedAt: z.nullable(Timestamp),
  resolvedAt: z.nullable(Timestamp),
});
export type Alert = z.infer<typeof Alert>;

/** An alert started firing (topic `org:`). */
export const AlertFiringEvent = z.object({
  type: z.literal('alert.firing'),
  organizationId: Id,
  alert: Alert,
});
/** An alert resolved (topic `org:`). */
export const AlertResolvedEvent = z.object({
  type: z.literal('alert.resolved'),
  organizationId: Id,
  alert: Alert,
});

export const CHANNEL_TYPES = ['webhook', 'slack', 'discord', 'ntfy', 'email'] as const;
export const ChannelType = z.enum(CHANNEL_TYPES);
export type ChannelType = z.infer<typeof ChannelType>;

/** Outbound targets are http(s) URLs only, without credentials (they belong in the channel's secret fields). */
export const OutboundUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.username === '' && url.password === '';
    } catch {
      return true; // the first check reports an unparsable URL
    }
  }, "must not contain a user name or password (user:pass@); put credentials in the channel's secret fields (webhook: secret, ntfy: token)");

/** A value sent in an HTTP header (the ntfy token): printable ASCII only, so no CR/LF can split the header. */
const HeaderSecret = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII: no control characters such as CR or LF');

/** Recipients of one e-mail channel: its only recipient list (tests and alerts go to these, nobody else). */
export const MAX_EMAIL_RECIPIENTS = 10;

/** A Standard Webhooks key: `whsec_` and base64 of 24 to 64 bytes. */
export const WebhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be whsec_ followed by base64 of 24-64 bytes');

const EmailAddress = z.email({ message: 'must be a valid email address' }).max(254);

export const WebhookConfig = z.strictObject({ url: OutboundUrl, secret: WebhookSecret.optional() });
export const SlackConfig = z.strictObject({ url: OutboundUrl });
export const DiscordConfig = z.strictObject({ url: OutboundUrl });
export const NtfyConfig = z.strictObject({
  url: OutboundUrl,
  token: HeaderSecret.optional(),
  /** ntfy priority 1 (min) … 5 (max); default: 4 for critical alerts, 3 otherwise. */
  priority: z.number().int().min(1).max(5).optional(),
  tags: z
    .array(z.string().regex(/^[A-Za-z0-9_+-]{1,64}$/))
    .max(10)
    .optional(),
});
export const EmailConfig = z.strictObject({ to: z.array(EmailAddress).min(1).max(MAX_EMAIL_RECIPIENTS) });

const ChannelName = DisplayName;

/** `POST /api/orgs/:orgId/notification-channels` */
export const CreateChannelBody = z.discriminatedUnion('type', [
  z.strictObject({ name: ChannelName, type: z.literal('webhook'), config: WebhookConfig }),
  z.strictObject({ name: ChannelName, type: z.literal('slack'), config: SlackConfig }),
  z.strictObject({ name: ChannelName, type: z.literal('discord'), config: DiscordConfig }),
  z.strictObject({ name: ChannelName, type: z.literal('ntfy'), config: NtfyConfig }),
  z.strictObject({ name: ChannelName, type: z.literal('email'), config: EmailConfig }),
]);
export type CreateChannelBody = z.infer<typeof CreateChannelBody>;

/** `PATCH /api/notification-channels/:id`: a new name and/or config fields (omitted secrets are kept). */
export const UpdateChannelBody = z.strictObject({
  name: ChannelName.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

/** A channel as read back: no secret, no token, credentials in its URL masked. */
export const NotificationChannel = z.object({
  id: Id,
  organizationId: Id,
  name: z.string(),
  type: ChannelType,
  config: z.object({
    url: z.string().optional(),
    to: z.array(z.string()).optional(),
    priority: z.number().optional(),
    tags: z.array(z.string()).optional(),
  }),
  /** Whether a secret (webhook key, ntfy token) is set; its value is never shown. */
  hasSecret: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type NotificationChannel = z.infer<typeof NotificationChannel>;

const RuleName = DisplayName;
const ForSeconds = z.number().int().min(0).max(MAX_FOR_SECONDS);

/** `POST /api/orgs/:orgId/alert-rules` */
export const CreateRuleBody = z.strictObject({
  name: RuleName,
  condition: AlertCondition,
  forSeconds: ForSeconds,
  hostIds: z.array(Id).max(1000).nullable().optional(),
  channelIds: z.array(Id).max(20),
  severity: AlertSeverity.default('warning'),
});
export type CreateRuleBody = z.infer<typeof CreateRuleBody>;

/** `PATCH /api/alert-rules/:id`: any field of the rule. */
export const UpdateRuleBody = z.strictObject({
  name: RuleName.optional(),
  condition: AlertCondition.optional(),
  forSeconds: ForSeconds.optional(),
  hostIds: z.array(Id).max(1000).nullable().optional(),
  channelIds: z.array(Id).max(20).optional(),
  severity: AlertSeverity.optional(),
});
export type UpdateRuleBody = z.infer<typeof UpdateRuleBody>;

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const DeliveryStatus = z.enum(DELIVERY_STATUSES);

export const DeliveryAttempt = z.object({
  attempt: z.number().int().positive(),
  at: Timestamp,
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int().nonnegative(),
});

/** One notification (its id is the `webhook-id` of every attempt) and its attempts, newest first. */
export const Delivery = z.object({
  id: z.string(),
  channelId: Id,
  alertId: z.nullable(Id),
  event: z.enum(['alert.firing', 'alert.resolved', 'test']),
  status: DeliveryStatus,
  attempts: z.number().int().nonnegative(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  nextAttemptAt: z.nullable(Timestamp),
  deliveredAt: z.nullable(Timestamp),
  attemptLog: z.array(DeliveryAttempt),
});
export type Delivery = z.infer<typeof Delivery>;

/** Masks what a URL may hide: its user and password, query values, and long path segments (Slack, Discord tokens). */
export function maskUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '***';
  }
  const auth = url.username || url.password ? '***@' : '';
  const path = url.pathname
    .split('/')
    .map((segment) => (segment.length > 12 ? `${segment.slice(0, 4)}…` : segment))
    .join('/');
  const query = [...url.searchParams.keys()].map((key) => `${key}=***`).join('&');
  return `${url.protocol}//${auth}${url.host}${path}${query ? `?${query}` : ''}`;
}
