/** @module config/schema — the zod schema of the agent's own config file (agent.json). */
import { ActionDescriptor, Id, LogSourceName } from '@hostwire/protocol';
import { z } from 'zod';
import { DEFAULT_METRICS } from './defaults.js';

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** The names of the `{{param}}` placeholders used in one argv element. */
export function placeholdersIn(element: string): string[] {
  return [...element.matchAll(PLACEHOLDER)].map((m) => (m[1] ?? '').trim());
}

/** One allow-listed action: what the server may name, and the argv the agent runs for it. */
export const ActionConfig = ActionDescriptor.extend({
  argv: z.array(z.string().min(1).max(4096)).min(1).max(256),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(24 * 3600_000)
    .default(60_000),
  outputCapBytes: z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
}).superRefine((action, ctx) => {
  const [program] = action.argv;
  if (program !== undefined && placeholdersIn(program).length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['argv', 0],
      message: 'the program (argv[0]) may not contain a placeholder',
    });
  }
  action.argv.forEach((element, index) => {
    for (const name of placeholdersIn(element)) {
      if (!Object.hasOwn(action.params, name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['argv', index],
          message: `placeholder {{${name}}} names no parameter`,
        });
      }
    }
  });
});
export type ActionConfig = z.infer<typeof ActionConfig>;

const SourceBase = { name: LogSourceName, description: z.string().max(500).default('') };

/** A log source the agent offers: a file, a journald unit, or a docker container. */
export const LogSourceConfig = z.discriminatedUnion('kind', [
  z.object({ ...SourceBase, kind: z.literal('file'), path: z.string().min(1) }),
  z.object({ ...SourceBase, kind: z.literal('journald'), unit: z.string().min(1).max(256) }),
  z.object({
    ...SourceBase,
    kind: z.literal('docker'),
    container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/),
  }),
]);
export type LogSourceConfig = z.infer<typeof LogSourceConfig>;

export const MetricsConfig = z.object({
  /** The slow sampling interval (the server switches to 1 s while someone watches). */
  intervalMs: z.number().int().min(250).max(3_600_000).default(DEFAULT_METRICS.intervalMs),
  /** Outbox bound: at most this many samples are kept while the server is unreachable. */
  outboxMaxSamples: z.number().int().positive().max(10_000_000).default(DEFAULT_METRICS.outboxMaxSamples),
  /** Outbox bound: samples older than this are dropped (ms). */
  outboxMaxAgeMs: z.number().int().positive().default(DEFAULT_METRICS.outboxMaxAgeMs),
  /** How many unacknowledged metrics batches may be in flight at once. */
  maxBatchesInFlight: z.number().int().min(1).max(64).default(DEFAULT_METRICS.maxBatchesInFlight),
});
export type MetricsConfig = z.infer<typeof MetricsConfig>;

export const LogsConfig = z.object({
  linesPerSecond: z.number().int().positive().max(100_000).default(200),
  batchMs: z.number().int().min(10).max(5000).default(100),
  /** Missing means none: `enroll` writes the default sources explicitly. */
  sources: z.array(LogSourceConfig).max(256).default([]),
});
export type LogsConfig = z.infer<typeof LogsConfig>;

export const ConnectionConfig = z.object({
  backoffInitialMs: z.number().int().positive().default(1000),
  backoffMaxMs: z.number().int().positive().default(60_000),
  /** How long to wait for `welcome` after the socket opens. */
  welcomeTimeoutMs: z.number().int().positive().default(15_000),
});
export type ConnectionConfig = z.infer<typeof ConnectionConfig>;

/** The container engine (Docker Engine API on a unix socket: Docker, or Podman's compatible socket). */
export const ContainersConfig = z.object({
  /**
   * The engine's socket. Unset: `DOCKER_HOST` when it is `unix://<path>`, else `/var/run/docker.sock`
   * (resolved at load, see `resolveContainerSocket`). No socket there: samples carry no containers.
   */
  socket: z.optional(z.string().check(z.startsWith('/', 'must be an absolute path'), z.maxLength(1024))),
  /** Offer the built-in actions `container-start`, `container-stop`, `container-restart`. */
  actions: z._default(z.boolean(), false),
});
export type ContainersConfig = z.infer<typeof ContainersConfig>;

/** The whole config file. `server`, `hostId`, `agentToken` and `commandPublicKey` come from `enroll`. */
export const AgentConfig = z
  .object({
    server: z.url({ protocol: /^https?$/ }),
    hostId: Id,
    organizationId: Id.optional(),
    agentToken: z.string().min(1),
    commandPublicKey: z.string().includes('BEGIN PUBLIC KEY', { message: 'must be an Ed25519 SPKI PEM' }),
    /** Directory for the outbox database and status file; default: `state` next to the config file. */
    stateDir: z.string().min(1).optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Accepted clock difference when checking a command's `expiresAt` (ms). */
    commandClockSkewMs: z.number().int().min(0).max(300_000).default(5000),
    connection: ConnectionConfig.default(ConnectionConfig.parse({})),
    metrics: MetricsConfig.default(MetricsConfig.parse({})),
    logs: LogsConfig.default(LogsConfig.parse({})),
    /** Deny by default: a config without `actions` offers none (`enroll` writes the default catalog). */
    actions: z.array(ActionConfig).max(256).default([]),
    containers: z._default(ContainersConfig, { actions: false }),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.actions.forEach((action, i) => {
      if (seen.has(action.name))
        ctx.addIssue({ code: 'custom', path: ['actions', i, 'name'], message: 'duplicate action name' });
      seen.add(action.name);
    });
    if (config.containers.actions) {
      config.actions.forEach((action, i) => {
        if (action.name.startsWith('container-'))
          ctx.addIssue({
            code: 'custom',
            path: ['actions', i, 'name'],
            message: 'container-* names belong to the built-in container actions (containers.actions)',
          });
      });
    }
    const sources = new Set<string>();
    config.logs.sources.forEach((source, i) => {
      if (sources.has(source.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['logs', 'sources', i, 'name'],
          message: 'duplicate source name',
        });
      }
      sources.add(source.name);
      if (source.name.startsWith('container:'))
        ctx.addIssue({
          code: 'custom',
          path: ['logs', 'sources', i, 'name'],
          message: 'container:<name> sources are offered for every container without config',
        });
    });
  });
export type AgentConfig = z.infer<typeof AgentConfig>;
export type AgentConfigInput = z.input<typeof AgentConfig>;
