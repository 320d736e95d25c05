/** @module client-messages — every frame on `/ws/client`, one discriminated union per direction. */
import { z } from 'zod';
import { ActionName, ActionParamsInput, ActionStatus, ActionDescriptor } from './actions.js';
import { Id, RequestId, Timestamp, Topic, HostStatus, Role } from './common.js';
import { LogFilter, LogLine, LogSourceDescriptor, LogSourceName, MAX_LOG_BACKFILL } from './logs.js';
import { HostSummary, MetricsSample } from './metrics.js';
import { ServerAck, ServerError } from './agent-messages.js';
import { AlertFiringEvent, AlertResolvedEvent } from './alerts.js';

// ---- client → server ------------------------------------------------------------------------

/** Subscribe to `org:<id>` (host list and status), `host:<id>` (metrics, status) or `action:<id>` (output). */
export const ClientSubscribe = z.object({
  type: z.literal('subscribe'),
  id: z.optional(RequestId),
  topic: Topic,
});
/** Stop receiving a topic. */
export const ClientUnsubscribe = z.object({
  type: z.literal('unsubscribe'),
  id: z.optional(RequestId),
  topic: Topic,
});

/** Tail a log source of a host; acked with a `streamId` that tags every `logs.*` frame of this tail. */
export const ClientLogsSubscribe = z.object({
  type: z.literal('logs.subscribe'),
  id: z.optional(RequestId),
  hostId: Id,
  source: LogSourceName,
  filter: z.optional(LogFilter),
  backfill: z.number().int().min(0).max(MAX_LOG_BACKFILL).default(100),
});
/** Stop a tail this connection started. */
export const ClientLogsUnsubscribe = z.object({
  type: z.literal('logs.unsubscribe'),
  id: z.optional(RequestId),
  streamId: Id,
});

/**
 * Ask the host's agent to check which log sources exist now; acked once asked, and the fresh list
 * arrives as `host.agent` on the `host:` topic. Answers `agent_offline` when the agent is not connected.
 */
export const ClientLogsCheck = z.object({
  type: z.literal('logs.check'),
  id: z.optional(RequestId),
  hostId: Id,
});

/** Run an action of the host's catalog; acked with the `actionId`, then `action.*` frames follow. */
export const ClientActionRun = z.object({
  type: z.literal('action.run'),
  id: z.optional(RequestId),
  hostId: Id,
  action: ActionName,
  params: z._default(ActionParamsInput, {}),
});
/** Cancel a running action. */
export const ClientActionCancel = z.object({
  type: z.literal('action.cancel'),
  id: z.optional(RequestId),
  actionId: Id,
});

export const ClientToServer = z.discriminatedUnion('type', [
  ClientSubscribe,
  ClientUnsubscribe,
  ClientLogsSubscribe,
  ClientLogsUnsubscribe,
  ClientLogsCheck,
  ClientActionRun,
  ClientActionCancel,
]);
export type ClientToServer = z.infer<typeof ClientToServer>;

// ---- server → client ------------------------------------------------------------------------

/** First frame on a client socket. */
export const ClientWelcome = z.object({
  type: z.literal('welcome'),
  serverTime: Timestamp,
  heartbeatIntervalMs: z.number().int().positive(),
  limits: z.object({
    maxPayloadBytes: z.number().int().positive(),
    messagesPerSecond: z.number().positive(),
  }),
  userId: Id,
  organizations: z.array(z.object({ id: Id, name: z.string(), role: Role })),
  /**
   * How often agents sample: `liveIntervalMs` while someone watches the host, `slowIntervalMs` otherwise.
   * The UI calls a host *stale* when its newest sample is older than twice the interval it samples at.
   */
  sampling: z
    .object({ slowIntervalMs: z.number().int().positive(), liveIntervalMs: z.number().int().positive() })
    .optional(),
});

/** A host went online or offline (topics `org:` and `host:`). */
export const HostStatusEvent = z.object({
  type: z.literal('host.status'),
  organizationId: Id,
  hostId: Id,
  status: HostStatus,
  lastSeenAt: z.nullable(Timestamp),
});

/** A host was created, renamed or announced new agent details (topic `org:`). */
export const HostUpsertEvent = z.object({
  type: z.literal('host.upserted'),
  organizationId: Id,
  hostId: Id,
  name: z.string(),
});

/** A host was deleted (topics `org:` and `host:`). */
export const HostRemovedEvent = z.object({ type: z.literal('host.removed'), organizationId: Id, hostId: Id });

/** The newest figures of a host, for the fleet view (topic `org:`). */
export const HostSummaryEvent = z.object({
  type: z.literal('host.summary'),
  organizationId: Id,
  hostId: Id,
  summary: HostSummary,
});

/** The agent (re)connected and announced its catalog and log sources (topic `host:`). */
export const HostAgentEvent = z.object({
  type: z.literal('host.agent'),
  hostId: Id,
  agentVersion: z.string(),
  hostname: z.string(),
  os: z.object({ platform: z.string(), release: z.string(), arch: z.string() }),
  actions: z.array(ActionDescriptor),
  logSources: z.array(LogSourceDescriptor),
});

/** A live sample (topic `host:`). Under backpressure only the newest sample per host is kept. */
export const MetricsEvent = z.object({ type: z.literal('metrics'), hostId: Id, sample: MetricsSample });

/** Lines of a tail. */
export const LogsLinesEvent = z.object({
  type: z.literal('logs.lines'),
  streamId: Id,
  lines: z.array(LogLine),
});
/** Lines were dropped for this viewer (slow connection or the agent's rate limit). */
export const LogsDroppedEvent = z.object({
  type: z.literal('logs.dropped'),
  streamId: Id,
  count: z.number().int().positive(),
});
/** The agent went away; the tail resumes by itself when it returns (`logs.resumed`). */
export const LogsInterruptedEvent = z.object({
  type: z.literal('logs.interrupted'),
  streamId: Id,
  reason: z.string(),
});
export const LogsResumedEvent = z.object({ type: z.literal('logs.resumed'), streamId: Id });
/** The tail ended for good (source gone, host deleted, access lost). */
export const LogsEndedEvent = z.object({ type: z.literal('logs.ended'), streamId: Id, reason: z.string() });

/** An action changed state (topics `action:` and `host:`). */
export const ActionStatusEvent = z.object({
  type: z.literal('action.status'),
  actionId: Id,
  hostId: Id,
  action: ActionName,
  status: ActionStatus,
  exitCode: z.number().int().nullable(),
  error: z.string().nullable(),
  at: Timestamp,
});

/** A chunk of an action's output (topic `action:`). */
export const ActionOutputEvent = z.object({
  type: z.literal('action.output'),
  actionId: Id,
  stream: z.enum(['stdout', 'stderr']),
  data: z.string(),
});

/** Messages may have been missed on these topics (backplane outage): refetch over HTTP. */
export const GapEvent = z.object({ type: z.literal('gap'), topics: z.array(Topic), reason: z.string() });

export const ServerToClient = z.discriminatedUnion('type', [
  ClientWelcome,
  ServerAck,
  ServerError,
  HostStatusEvent,
  HostUpsertEvent,
  HostRemovedEvent,
  HostSummaryEvent,
  HostAgentEvent,
  MetricsEvent,
  LogsLinesEvent,
  LogsDroppedEvent,
  LogsInterruptedEvent,
  LogsResumedEvent,
  LogsEndedEvent,
  ActionStatusEvent,
  ActionOutputEvent,
  GapEvent,
  AlertFiringEvent,
  AlertResolvedEvent,
]);
export type ServerToClient = z.infer<typeof ServerToClient>;
