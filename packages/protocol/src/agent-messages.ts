/** @module agent-messages — every frame on `/ws/agent/:hostId`, one discriminated union per direction. */
import { z } from 'zod/mini';
import { ActionDescriptor, ActionOutcome } from './actions.js';
import { Id, RequestId, Timestamp } from './common.js';
import { ERROR_CODE_NAMES } from './errors.js';
import { LogLine, LogFilter, LogSourceDescriptor, LogSourceName, MAX_LOG_BACKFILL } from './logs.js';
import { MetricsSample } from './metrics.js';

const Envelope = { id: z.optional(RequestId) };
const NonNegativeInt = z.int().check(z.nonnegative());
const PositiveInt = z.int().check(z.positive());
/** A string of at most `n` characters. */
const text = (n: number) => z.string().check(z.maxLength(n));

// ---- agent → server -------------------------------------------------------------------------

/** First frame of an agent: who it is, what it can do (its action catalog and log sources). */
export const AgentHello = z.object({
  type: z.literal('hello'),
  ...Envelope,
  agentVersion: text(64),
  hostname: text(256),
  os: z.object({ platform: text(64), release: text(128), arch: text(32) }),
  capabilities: z._default(z.array(text(64)).check(z.maxLength(64)), []),
  actions: z._default(z.array(ActionDescriptor).check(z.maxLength(256)), []),
  logSources: z._default(z.array(LogSourceDescriptor).check(z.maxLength(256)), []),
  /** Samples waiting in the agent's outbox (replayed right after `welcome`). */
  outbox: z.optional(z.object({ pending: NonNegativeInt })),
});

/** A batch of samples, oldest first; the server answers `metrics.ack` with the seqs it has stored. */
export const AgentMetrics = z.object({
  type: z.literal('metrics'),
  ...Envelope,
  samples: z.array(MetricsSample).check(z.minLength(1), z.maxLength(500)),
});

/** Lines of a running tail; `dropped` counts lines the agent's rate limit discarded before these. */
export const AgentLogLines = z.object({
  type: z.literal('logs.lines'),
  streamId: Id,
  lines: z.array(LogLine).check(z.maxLength(1000)),
  dropped: z.optional(NonNegativeInt),
});

/** A tail ended on the agent's side (file removed, journalctl exited, …). */
export const AgentLogEnded = z.object({
  type: z.literal('logs.ended'),
  streamId: Id,
  reason: text(500),
});

/** The agent's log sources as it finds them now, answering `logs.check` (same shape as in `hello`). */
export const AgentLogSources = z.object({
  type: z.literal('logs.sources'),
  logSources: z.array(LogSourceDescriptor).check(z.maxLength(256)),
});

/** The agent accepted a signed command and started the process. */
export const AgentActionStarted = z.object({
  type: z.literal('action.started'),
  actionId: Id,
  startedAt: Timestamp,
});

/** A chunk of an action's output (UTF-8 text). */
export const AgentActionOutput = z.object({
  type: z.literal('action.output'),
  actionId: Id,
  stream: z.enum(['stdout', 'stderr']),
  data: text(32 * 1024),
});

/**
 * The end of an action (or its refusal: `rejected` with `error`). With an `id`, the server answers
 * `ack` once the result is stored, and the agent keeps the result until then.
 */
export const AgentActionResult = z.object({
  type: z.literal('action.result'),
  ...Envelope,
  actionId: Id,
  status: ActionOutcome,
  exitCode: z.nullable(z.int()),
  signal: z._default(z.nullable(text(32)), null),
  error: z.optional(text(1000)),
  truncated: z._default(z.boolean(), false),
  finishedAt: Timestamp,
});

/** Answer to a server request that carried an `id`. */
export const AgentAck = z.object({ type: z.literal('ack'), id: RequestId });
export const AgentError = z.object({
  type: z.literal('error'),
  id: z.optional(RequestId),
  code: z.enum(ERROR_CODE_NAMES),
  message: text(1000),
});

export const AgentToServer = z.discriminatedUnion('type', [
  AgentHello,
  AgentMetrics,
  AgentLogLines,
  AgentLogEnded,
  AgentLogSources,
  AgentActionStarted,
  AgentActionOutput,
  AgentActionResult,
  AgentAck,
  AgentError,
]);
export type AgentToServer = z.infer<typeof AgentToServer>;
export type AgentHello = z.infer<typeof AgentHello>;

// ---- server → agent -------------------------------------------------------------------------

/** First frame from the server on both sockets, sent as soon as the connection opens. */
export const ServerWelcome = z.object({
  type: z.literal('welcome'),
  serverTime: Timestamp,
  heartbeatIntervalMs: PositiveInt,
  limits: z.object({
    maxPayloadBytes: PositiveInt,
    messagesPerSecond: z.number().check(z.positive()),
  }),
});

/** The sequence numbers the server has durably stored; the agent drops them from its outbox. */
export const ServerMetricsAck = z.object({
  type: z.literal('metrics.ack'),
  seqs: z.array(PositiveInt).check(z.maxLength(500)),
});

/** How often to sample: 1 s while someone watches the host, the configured slow interval otherwise. */
export const ServerMetricsInterval = z.object({
  type: z.literal('metrics.interval'),
  intervalMs: z.int().check(z.gte(250), z.lte(3_600_000)),
});

/** Start a tail; the agent answers `ack` (or `error` `unknown_source`) and sends `logs.lines`. */
export const ServerLogsStart = z.object({
  type: z.literal('logs.start'),
  id: RequestId,
  streamId: Id,
  source: LogSourceName,
  filter: z.optional(LogFilter),
  backfill: z._default(z.int().check(z.gte(0), z.lte(MAX_LOG_BACKFILL)), 0),
});

/** Stop a tail. */
export const ServerLogsStop = z.object({ type: z.literal('logs.stop'), streamId: Id });

/** Check which log sources exist now; the agent answers `logs.sources`. */
export const ServerLogsCheck = z.object({ type: z.literal('logs.check') });

/** A signed action command: `payload` is the JSON text of an ActionCommand, `signature` Ed25519 base64url. */
export const ServerCommand = z.object({
  type: z.literal('command'),
  payload: text(16 * 1024),
  signature: text(200),
});

export const ServerAck = z.object({
  type: z.literal('ack'),
  id: RequestId,
  streamId: z.optional(Id),
  actionId: z.optional(Id),
});
export const ServerError = z.object({
  type: z.literal('error'),
  id: z.optional(RequestId),
  code: z.enum(ERROR_CODE_NAMES),
  message: z.string(),
  details: z.optional(z.unknown()),
});

export const ServerToAgent = z.discriminatedUnion('type', [
  ServerWelcome,
  ServerMetricsAck,
  ServerMetricsInterval,
  ServerLogsStart,
  ServerLogsStop,
  ServerLogsCheck,
  ServerCommand,
  ServerAck,
  ServerError,
]);
export type ServerToAgent = z.infer<typeof ServerToAgent>;
