/** @module config/schema — the schema of the agent's own config file (agent.json), in `zod/mini` like the protocol. */
import { ActionDescriptor, Id, LogSourceName } from '@hostwire/protocol/agent';
import { z } from 'zod/mini';
import { DEFAULT_METRICS } from './defaults.js';

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** The names of the `{{param}}` placeholders used in one argv element. */
export function placeholdersIn(element: string): string[] {
  return [...element.matchAll(PLACEHOLDER)].map((m) => (m[1] ?? '').trim());
}

/** One allow-listed action: what the server may name, and the argv the agent runs for it. */
export const ActionConfig = z
  .extend(ActionDescriptor, {
    argv: z
      .array(z.string().check(z.minLength(1), z.maxLength(4096)))
      .check(z.minLength(1), z.maxLength(256)),
    timeoutMs: z._default(z.int().check(z.positive(), z.lte(24 * 3600_000)), 60_000),
    outputCapBytes: z._default(z.int().check(z.positive(), z.lte(64 * 1024 * 1024)), 1024 * 1024),
  })
  .check(
    z.superRefine((action, ctx) => {
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
    }),
  );
export type ActionConfig = z.infer<typeof ActionConfig>;

const SourceBase = { name: LogSourceName, description: z._default(z.string().check(z.maxLength(500)), '') };

/** A log source the agent offers: a file, a journald unit, or a docker container. */
export const LogSourceConfig = z.discriminatedUnion('kind', [
  z.object({ ...SourceBase, kind: z.literal('file'), path: z.string().check(z.minLength(1)) }),
  z.object({
    ...SourceBase,
    kind: z.literal('journald'),
    unit: z.string().check(z.minLength(1), z.maxLength(256)),
  }),
  z.object({
    ...SourceBase,
    kind: z.literal('docker'),
    container: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/)),
  }),
]);
export type LogSourceConfig = z.infer<typeof LogSourceConfig>;

export const MetricsConfig = z.object({
  /** The slow sampling interval (the server switches to 1 s while someone watches). */
  intervalMs: z._default(z.int().check(z.gte(250), z.lte(3_600_000)), DEFAULT_METRICS.intervalMs),
  /** Outbox bound: at most this many samples are kept while the server is unreachable. */
  outboxMaxSamples: z._default(
    z.int().check(z.positive(), z.lte(10_000_000)),
    DEFAULT_METRICS.outboxMaxSamples,
  ),
  /** Outbox bound: samples older than this are dropped (ms). */
  outboxMaxAgeMs: z._default(z.int().check(z.positive()), DEFAULT_METRICS.outboxMaxAgeMs),
  /** How many unacknowledged metrics batches may be in flight at once. */
  maxBatchesInFlight: z._default(z.int().check(z.gte(1), z.lte(64)), DEFAULT_METRICS.maxBatchesInFlight),
});
export type MetricsConfig = z.infer<typeof MetricsConfig>;

export const LogsConfig = z.object({
  linesPerSecond: z._default(z.int().check(z.positive(), z.lte(100_000)), 200),
  batchMs: z._default(z.int().check(z.gte(10), z.lte(5000)), 100),
  /** Missing means none: `enroll` writes the default sources explicitly. */
  sources: z._default(z.array(LogSourceConfig).check(z.maxLength(256)), []),
});
export type LogsConfig = z.infer<typeof LogsConfig>;

const PositiveInt = z.int().check(z.positive());

export const ConnectionConfig = z.object({
  backoffInitialMs: z._default(PositiveInt, 1000),
  backoffMaxMs: z._default(PositiveInt, 60_000),
  /** How long to wait for `welcome` after the socket opens. */
  welcomeTimeoutMs: z._default(PositiveInt, 15_000),
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
    organizationId: z.optional(Id),
    agentToken: z.string().check(z.minLength(1)),
    commandPublicKey: z
      .string()
      .check(z.includes('BEGIN PUBLIC KEY', { message: 'must be an Ed25519 SPKI PEM' })),
    /**
     * The pinned release key (base64 of the raw Ed25519 public key): `update` installs only executables whose
     * SHA256SUMS it signed. Written by `enroll` (from install.sh or `--release-key`), `update` or `pin-release-key`.
     */
    releaseKey: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a base64 Ed25519 public key')),
    ),
    /** `enroll --insecure-http` was given: `update` may use a plain-http server that is not this machine. */
    insecureHttp: z.optional(z.boolean()),
    /** Directory for the outbox files and status file; default: `state` next to the config file. */
    stateDir: z.optional(z.string().check(z.minLength(1))),
    logLevel: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'),
    /** Accepted clock difference when checking a command's `expiresAt` (ms). */
    commandClockSkewMs: z._default(z.int().check(z.gte(0), z.lte(300_000)), 5000),
    connection: z._default(ConnectionConfig, () => ConnectionConfig.parse({})),
    metrics: z._default(MetricsConfig, () => MetricsConfig.parse({})),
    logs: z._default(LogsConfig, () => LogsConfig.parse({})),
    /** Deny by default: a config without `actions` offers none (`enroll` writes the default catalog). */
    actions: z._default(z.array(ActionConfig).check(z.maxLength(256)), []),
    containers: z._default(ContainersConfig, { actions: false }),
  })
  .check(
    z.superRefine((config, ctx) => {
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
    }),
  );
export type AgentConfig = z.infer<typeof AgentConfig>;
export type AgentConfigInput = z.input<typeof AgentConfig>;
