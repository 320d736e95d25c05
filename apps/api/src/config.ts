/** @module config — the environment, parsed once into a typed configuration; generated secrets in DATA_DIR. */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './client-ip.js';
import { parseOutboundAllow, type OutboundAllow } from './outbound/policy.js';

const MIN_SECRET_BYTES = 32;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const secret = z
  .string()
  .refine((value) => Buffer.byteLength(value, 'utf8') >= MIN_SECRET_BYTES, {
    message: `must be at least ${MIN_SECRET_BYTES} bytes`,
  })
  .optional();

/** Every setting, its default and its bounds. Documented in README.md and docs/operations.md. */
export const EnvSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (unset for SQLite)')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  AGENT_JWT_SECRET: secret,
  SESSION_JWT_SECRET: secret,
  COMMAND_SIGNING_KEY: z
    .string()
    .includes('PRIVATE KEY', { message: 'must be a PKCS#8 PEM Ed25519 private key' })
    .optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  ALLOWED_ORIGINS: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().default('false'),
  SETUP_CODE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,128}$/, 'must be 8-128 characters of A-Z a-z 0-9 _ -')
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  SMTP_FROM: z.string().min(3).optional(),
  MAIL_RATE_PER_ORG_PER_HOUR: int(1, 1_000_000).default(100),
  OUTBOUND_ALLOW: z.string().optional(),
  ORG_CREATION: z.enum(['admins', 'anyone']).default('admins'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(512).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(4096).optional(),
  OIDC_NAME: z.string().trim().min(1).max(60).optional(),
  SESSION_TTL_HOURS: int(1, 24 * 90).default(168),
  ENROLLMENT_TOKEN_TTL_MINUTES: int(1, 7 * 24 * 60).default(60),
  LOGIN_MAX_ATTEMPTS: int(1, 10_000).default(10),
  LOGIN_WINDOW_SECONDS: int(1, 86_400).default(900),
  WS_MAX_PAYLOAD_BYTES: int(1024, 16 * 1024 * 1024).default(64 * 1024),
  WS_HEARTBEAT_MS: int(50, 600_000).default(10_000),
  WS_HANDSHAKE_TIMEOUT_MS: int(50, 60_000).default(5_000),
  WS_MESSAGES_PER_SECOND: int(1, 100_000).default(100),
  WS_MAX_INVALID_MESSAGES: int(1, 1000).default(10),
  WS_AGENT_BYTES_PER_SECOND: int(16 * 1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
  LOG_TAILS_PER_SOCKET: int(1, 10_000).default(20),
  LOG_TAILS_PER_USER: int(1, 100_000).default(50),
  LOG_TAILS_PER_HOST: int(1, 100_000).default(100),
  INGEST_SAMPLES_PER_MINUTE: int(1, 1_000_000).default(600),
  METRICS_MAX_CLOCK_SKEW_SECONDS: int(1, 30 * 86_400).default(300),
  WS_MAX_CONNECTIONS_PER_IP: int(1, 1_000_000).default(10_000),
  WS_MAX_CONNECTIONS_PER_USER: int(1, 100_000).default(20),
  WS_MAX_AGENTS_BEFORE_HELLO_PER_HOST: int(1, 10_000).default(16),
  WS_MAX_AGENTS_BEFORE_HELLO_PER_IP: int(1, 1_000_000).default(1000),
  WS_UPGRADES_PER_SECOND_PER_IP: int(1, 100_000).default(200),
  WS_MAX_CONNECTIONS: int(1, 10_000_000).default(100_000),
  WS_SEND_BUFFER_SOFT_BYTES: int(1024, 256 * 1024 * 1024).default(1024 * 1024),
  WS_SEND_BUFFER_HARD_BYTES: int(1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  METRICS_RAW_RETENTION_HOURS: int(1, 24 * 365).default(48),
  METRICS_1M_RETENTION_DAYS: int(1, 3650).default(30),
  METRICS_1H_RETENTION_DAYS: int(1, 36500).default(365),
  METRICS_SLOW_INTERVAL_MS: int(1000, 3_600_000).default(10_000),
  METRICS_LIVE_INTERVAL_MS: int(250, 60_000).default(1_000),
  ACTION_OUTPUT_CAP_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  ACTION_COMMAND_TTL_SECONDS: int(5, 3600).default(60),
  ALERT_ALLOWED_HOSTS: z
    .string()
    .regex(
      /^\s*(\*\.)?[A-Za-z0-9.:[\]-]+\s*(,\s*(\*\.)?[A-Za-z0-9.:[\]-]+\s*)*$/,
      'must be a comma-separated list of host names (optionally *.example.com)',
    )
    .optional(),
  ALERT_SWEEP_MS: int(50, 600_000).default(5_000),
  ALERT_DELIVERY_TIMEOUT_MS: int(100, 120_000).default(10_000),
  ALERT_DELIVERY_CONCURRENCY: int(1, 256).default(16),
  ALERT_RETRY_BASE_MS: int(10, 60_000).default(5_000),
  ALERT_RETRY_HOURS: int(1, 24 * 30).default(25),
  ALERT_CONTAINER_GONE_SECONDS: int(1, 86_400).default(600),
  // At least one container against every rule an organization may have (MAX_RULES in domain/alerts), so no
  // rule that can be created is never evaluated; the default lets 500 rules see 256 containers per sample.
  ALERT_EVALUATIONS_PER_SAMPLE: int(500, 10_000_000).default(128_000),
  // A sample holds at most 500 containers (MAX_CONTAINERS_PER_SAMPLE), so 500 never limits anything.
  ALERT_MAX_OPEN_PER_EVALUATION: int(1, 500).default(100),
  LOCAL_AGENT: z.enum(['true', 'false']).default('false'),
  WEB_DIST_DIR: z.string().optional(),
  AGENT_BINARIES_DIR: z.string().optional(),
  RELEASE_SIGNING_KEY: z.string().min(1).optional(),
});
export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  redisUrl: string | undefined;
  secrets: { agentJwt: Uint8Array; sessionJwt: Uint8Array; commandSigningKeyPem: string | undefined };
  publicUrl: string;
  allowedOrigins: ReadonlySet<string>;
  secureCookies: boolean;
  logLevel: Env['LOG_LEVEL'];
  trustProxy: TrustProxy;
  /** The one-time first-run setup code from SETUP_CODE (else generated into DATA_DIR/setup-code). */
  setupCode: string | undefined;
  smtp: { url: string; from: string } | undefined;
  /** E-mail recipients an organization may be sent per hour (invitations, alerts, tests), per instance. */
  mailPerOrgPerHour: number;
  /** What the outbound guard opens beyond public addresses (OUTBOUND_ALLOW). */
  outboundAllow: OutboundAllow;
  metricsToken: string | undefined;
  /** Who may `POST /api/orgs`: instance administrators only (`admins`, the default) or every signed-in user. */
  organizationCreation: Env['ORG_CREATION'];
  /** OpenID Connect single sign-on (all of OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET), else undefined. */
  oidc: OidcSettings | undefined;
  logTails: { perSocket: number; perUser: number; perHost: number };
  ingest: { samplesPerMinute: number; maxClockSkewMs: number };
  sessionTtlMs: number;
  enrollmentTokenTtlMs: number;
  login: { maxAttempts: number; windowMs: number };
  ws: {
    maxPayloadBytes: number;
    heartbeatMs: number;
    handshakeTimeoutMs: number;
    messagesPerSecond: number;
    maxInvalidMessages: number;
    agentBytesPerSecond: number;
    maxConnectionsPerIp: number;
    /** Agent sockets welcomed but not yet past `hello`, per host and per client IP (→ 429 at the upgrade). */
    maxAgentsBeforeHelloPerHost: number;
    maxAgentsBeforeHelloPerIp: number;
    maxConnectionsPerUser: number;
    maxConnections: number;
    upgradesPerSecondPerIp: number;
    sendBufferSoftBytes: number;
    sendBufferHardBytes: number;
  };
  shutdownTimeoutMs: number;
  metrics: {
    rawRetentionMs: number;
    minuteRetentionMs: number;
    hourRetentionMs: number;
    slowIntervalMs: number;
    liveIntervalMs: number;
  };
  actions: { outputCapBytes: number; commandTtlMs: number };
  alerts: {
    /** Host names (or `*.suffix`) notifications may go to, on top of the outbound guard; undefined: any. */
    allowedHosts: string[] | undefined;
    sweepMs: number;
    deliveryTimeoutMs: number;
    deliveryConcurrency: number;
    retryBaseMs: number;
    /** How long a delivery is retried before it is given up (at least 24 h by default). */
    retryForMs: number;
    /** An alert of a container that has not been in any sample for this long resolves (the container is gone). */
    containerGoneMs: number;
    /** (container rule, container) pairs evaluated per sample at most; the rules created last are left out. */
    maxContainerEvaluationsPerSample: number;
    /** New alerts one rule opens at one evaluation (one sample of one host) at most; the rest wait for a later sample. */
    maxOpenPerEvaluation: number;
  };
  localAgent: boolean;
  webDistDir: string | undefined;
  /** Where the compiled hostwire-agent executables and SHA256SUMS are served from (`/downloads/…`). */
  agentBinariesDir: string | undefined;
  /**
   * The public half of the release key (base64 of the raw 32-byte Ed25519 key) from the RELEASE_SIGNING_KEY
   * file, which may hold the private key or only the public one; the server never signs with it.
   * Undefined: the one `npm run build` wrote beside the executables (`release-key.pub`).
   */
  releasePublicKey: string | undefined;
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The sign-in button says "Sign in with <name>". */
  name: string;
  /** `<PUBLIC_URL>/api/auth/oidc/callback`: register it at the provider. */
  redirectUri: string;
  /** Plain HTTP to the provider, allowed only for a loopback issuer (a provider on this machine). */
  allowHttp: boolean;
}

/** Raised for an invalid environment; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses an environment (process.env in production, an explicit object in tests) into a Config.
 * Unset JWT secrets are generated once into DATA_DIR (mode 0600) and read back on later starts.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // An existing DATA_DIR is tightened too: it holds the database and the secrets.
  if ((statSync(dataDir).mode & 0o077) !== 0) chmodSync(dataDir, 0o700);
  let trustProxy: TrustProxy;
  try {
    trustProxy = parseTrustProxy(e.TRUST_PROXY).trust;
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  TRUST_PROXY: ${(error as Error).message}`);
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const origins = (e.ALLOWED_ORIGINS ?? publicUrl)
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      throw new ConfigError(
        `Invalid configuration:\n  ALLOWED_ORIGINS: "${origin}" is not an origin like https://example.com`,
      );
  }
  let outboundAllow: OutboundAllow;
  try {
    // Upgrades: before OUTBOUND_ALLOW, ALERT_ALLOWED_HOSTS was how an operator reached an internal receiver.
    // The hosts it names exactly (not its *.wildcards) stay reachable until OUTBOUND_ALLOW is set.
    outboundAllow = parseOutboundAllow(
      e.OUTBOUND_ALLOW ??
        e.ALERT_ALLOWED_HOSTS?.split(',')
          .map((h) => h.trim())
          .filter((h) => h !== '' && !h.startsWith('*.'))
          .join(','),
    );
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  OUTBOUND_ALLOW: ${(error as Error).message}`);
  }
  const day = 24 * 3600_000;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: path.join(dataDir, 'hostwire.db') },
    redisUrl: e.REDIS_URL,
    secrets: {
      agentJwt: Buffer.from(e.AGENT_JWT_SECRET ?? readOrCreateSecret(dataDir, 'agent-jwt.secret'), 'utf8'),
      sessionJwt: Buffer.from(
        e.SESSION_JWT_SECRET ?? readOrCreateSecret(dataDir, 'session-jwt.secret'),
        'utf8',
      ),
      commandSigningKeyPem: e.COMMAND_SIGNING_KEY,
    },
    publicUrl,
    allowedOrigins: new Set(origins),
    secureCookies: publicUrl.startsWith('https://'),
    logLevel: e.LOG_LEVEL,
    trustProxy,
    setupCode: e.SETUP_CODE,
    smtp: e.SMTP_URL
      ? { url: e.SMTP_URL, from: e.SMTP_FROM ?? `Hostwire <hostwire@${new URL(publicUrl).hostname}>` }
      : undefined,
    mailPerOrgPerHour: e.MAIL_RATE_PER_ORG_PER_HOUR,
    outboundAllow,
    metricsToken: e.METRICS_TOKEN,
    organizationCreation: e.ORG_CREATION,
    oidc: oidcSettings(e, publicUrl),
    logTails: {
      perSocket: e.LOG_TAILS_PER_SOCKET,
      perUser: e.LOG_TAILS_PER_USER,
      perHost: e.LOG_TAILS_PER_HOST,
    },
    ingest: {
      samplesPerMinute: e.INGEST_SAMPLES_PER_MINUTE,
      maxClockSkewMs: e.METRICS_MAX_CLOCK_SKEW_SECONDS * 1000,
    },
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    enrollmentTokenTtlMs: e.ENROLLMENT_TOKEN_TTL_MINUTES * 60_000,
    login: { maxAttempts: e.LOGIN_MAX_ATTEMPTS, windowMs: e.LOGIN_WINDOW_SECONDS * 1000 },
    ws: {
      maxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
      heartbeatMs: e.WS_HEARTBEAT_MS,
      handshakeTimeoutMs: e.WS_HANDSHAKE_TIMEOUT_MS,
      messagesPerSecond: e.WS_MESSAGES_PER_SECOND,
      maxInvalidMessages: e.WS_MAX_INVALID_MESSAGES,
      agentBytesPerSecond: Math.max(e.WS_AGENT_BYTES_PER_SECOND, 2 * e.WS_MAX_PAYLOAD_BYTES),
      maxConnectionsPerIp: e.WS_MAX_CONNECTIONS_PER_IP,
      maxAgentsBeforeHelloPerHost: e.WS_MAX_AGENTS_BEFORE_HELLO_PER_HOST,
      maxAgentsBeforeHelloPerIp: e.WS_MAX_AGENTS_BEFORE_HELLO_PER_IP,
      maxConnectionsPerUser: e.WS_MAX_CONNECTIONS_PER_USER,
      maxConnections: e.WS_MAX_CONNECTIONS,
      upgradesPerSecondPerIp: e.WS_UPGRADES_PER_SECOND_PER_IP,
      sendBufferSoftBytes: e.WS_SEND_BUFFER_SOFT_BYTES,
      sendBufferHardBytes: Math.max(e.WS_SEND_BUFFER_HARD_BYTES, e.WS_SEND_BUFFER_SOFT_BYTES),
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    metrics: {
      rawRetentionMs: e.METRICS_RAW_RETENTION_HOURS * 3600_000,
      minuteRetentionMs: e.METRICS_1M_RETENTION_DAYS * day,
      hourRetentionMs: e.METRICS_1H_RETENTION_DAYS * day,
      slowIntervalMs: e.METRICS_SLOW_INTERVAL_MS,
      liveIntervalMs: e.METRICS_LIVE_INTERVAL_MS,
    },
    actions: { outputCapBytes: e.ACTION_OUTPUT_CAP_BYTES, commandTtlMs: e.ACTION_COMMAND_TTL_SECONDS * 1000 },
    alerts: {
      allowedHosts: e.ALERT_ALLOWED_HOSTS?.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      sweepMs: e.ALERT_SWEEP_MS,
      deliveryTimeoutMs: e.ALERT_DELIVERY_TIMEOUT_MS,
      deliveryConcurrency: e.ALERT_DELIVERY_CONCURRENCY,
      retryBaseMs: e.ALERT_RETRY_BASE_MS,
      retryForMs: e.ALERT_RETRY_HOURS * 3600_000,
      containerGoneMs: e.ALERT_CONTAINER_GONE_SECONDS * 1000,
      maxContainerEvaluationsPerSample: e.ALERT_EVALUATIONS_PER_SAMPLE,
      maxOpenPerEvaluation: e.ALERT_MAX_OPEN_PER_EVALUATION,
    },
    localAgent: e.LOCAL_AGENT === 'true',
    webDistDir: e.WEB_DIST_DIR,
    agentBinariesDir: e.AGENT_BINARIES_DIR,
    releasePublicKey: e.RELEASE_SIGNING_KEY ? readReleasePublicKey(e.RELEASE_SIGNING_KEY) : undefined,
  };
}

/** base64 of the raw 32-byte key of an Ed25519 public key (what install.sh and agents pin). */
export function rawEd25519PublicKey(key: KeyObject): string {
  // The SPKI DER of an Ed25519 key is a fixed 12-byte header and the 32-byte key.
  return key.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
}

/** The public half of the Ed25519 PEM (private PKCS#8 or public SPKI) at `file`. */
function readReleasePublicKey(file: string): string {
  let key: KeyObject;
  try {
    const pem = readFileSync(file, 'utf8');
    key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration:\n  RELEASE_SIGNING_KEY: cannot read an Ed25519 PEM key from ${file}: ${(error as Error).message}`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new ConfigError(
      `Invalid configuration:\n  RELEASE_SIGNING_KEY: ${file} holds a ${key.asymmetricKeyType ?? 'non-Ed25519'} key, not an Ed25519 one`,
    );
  return rawEd25519PublicKey(key);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function oidcSettings(e: Env, publicUrl: string): OidcSettings | undefined {
  const given = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET];
  if (given.every((value) => value === undefined)) return undefined;
  if (!e.OIDC_ISSUER || !e.OIDC_CLIENT_ID || !e.OIDC_CLIENT_SECRET)
    throw new ConfigError(
      'Invalid configuration:\n  OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: set all three for single sign-on, or none',
    );
  const issuer = new URL(e.OIDC_ISSUER);
  const allowHttp = issuer.protocol === 'http:';
  if (allowHttp && !LOOPBACK.has(issuer.hostname))
    throw new ConfigError(
      'Invalid configuration:\n  OIDC_ISSUER: must be an https:// URL (http:// only for a provider on this machine)',
    );
  return {
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID,
    clientSecret: e.OIDC_CLIENT_SECRET,
    name: e.OIDC_NAME ?? 'single sign-on',
    redirectUri: `${publicUrl}/api/auth/oidc/callback`,
    allowHttp,
  };
}

/** The process environment: the only place the API reads it. */
export function readEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/** Reads a generated secret file, creating it (0600) with 48 random bytes on first use. */
export function readOrCreateSecret(
  dataDir: string,
  name: string,
  create: () => string = () => randomBytes(48).toString('base64url'),
): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (name.endsWith('.secret') && Buffer.byteLength(value) < MIN_SECRET_BYTES) {
      throw new ConfigError(
        `${file} holds a secret shorter than ${MIN_SECRET_BYTES} bytes; delete it to generate a new one`,
      );
    }
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return value;
  }
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}
