/** @module api — response shapes of the HTTP API, shared by the server and the web UI. */
import { z } from 'zod';
import { ActionDescriptor, ActionStatus } from './actions.js';
import { HostStatus, Id, Role, Timestamp } from './common.js';
import { LogSourceDescriptor } from './logs.js';
import { ContainerInfo, ContainerName, ContainerSeriesName } from './containers.js';
import { HostSummary, Resolution, SeriesColumns } from './metrics.js';

export const User = z.object({ id: Id, email: z.string() });
export type User = z.infer<typeof User>;

/** The signed-in user in `Me`: `instanceAdmin` marks an instance administrator (the setup user is one). */
export const MeUser = User.extend({ instanceAdmin: z.boolean() });
export type MeUser = z.infer<typeof MeUser>;

export const Organization = z.object({ id: Id, name: z.string(), role: Role });
export type Organization = z.infer<typeof Organization>;

/**
 * `GET /api/auth/me`. `mayCreateOrganizations`: whether `POST /api/orgs` is open to this user
 * (an instance administrator, or everyone under `ORG_CREATION=anyone`).
 */
export const Me = z.object({
  user: MeUser,
  organizations: z.array(Organization),
  mayCreateOrganizations: z.boolean(),
});
export type Me = z.infer<typeof Me>;

/** What the agent announced in its last `hello`. */
export const AgentInfo = z.object({
  agentVersion: z.string(),
  hostname: z.string(),
  os: z.object({ platform: z.string(), release: z.string(), arch: z.string() }),
  actions: z.array(ActionDescriptor),
  logSources: z.array(LogSourceDescriptor),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

export const Host = z.object({
  id: Id,
  organizationId: Id,
  name: z.string(),
  status: HostStatus,
  lastSeenAt: z.nullable(Timestamp),
  createdAt: Timestamp,
  enrolledAt: z.nullable(Timestamp),
  agent: AgentInfo.nullable(),
  summary: z.nullable(HostSummary),
});
export type Host = z.infer<typeof Host>;

export const Member = z.object({ userId: Id, email: z.string(), role: Role, createdAt: Timestamp });
export type Member = z.infer<typeof Member>;

/** A pending invitation to an organization (the link's token is shown once, at creation). */
export const Invitation = z.object({
  id: Id,
  email: z.string(),
  role: Role,
  createdAt: Timestamp,
  expiresAt: Timestamp,
});
export type Invitation = z.infer<typeof Invitation>;

/**
 * `POST /api/orgs/:orgId/invitations` → the invitation; its single-use link only when the server sends no
 * e-mail (SMTP_URL unset), since then the inviter must pass it on. An e-mailed link goes to the address only.
 */
export const CreatedInvitation = z.object({
  invitation: Invitation,
  inviteUrl: z.string().optional(),
  emailed: z.boolean(),
});
export type CreatedInvitation = z.infer<typeof CreatedInvitation>;

/** `GET /api/invitations/by-token/:token` → what the invitee is invited to. */
export const InvitationPreview = z.object({
  organization: z.object({ name: z.string() }),
  email: z.string(),
  role: Role,
});
export type InvitationPreview = z.infer<typeof InvitationPreview>;

/** An organization API token as listed (the token itself is shown once, at creation). */
export const ApiToken = z.object({
  id: Id,
  name: z.string(),
  role: Role,
  createdAt: Timestamp,
  expiresAt: z.nullable(Timestamp),
  lastUsedAt: z.nullable(Timestamp),
  /** Who created it (null once that account is gone). */
  createdBy: z.object({ id: Id, email: z.string() }).nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

/** `POST /api/orgs/:orgId/api-tokens` → the token's record and the token (`hwt_…`), shown this once. */
export const CreatedApiToken = z.object({ apiToken: ApiToken, token: z.string() });
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;

export const AuditEvent = z.object({
  id: z.number().int(),
  organizationId: z.nullable(Id),
  actorType: z.enum(['user', 'agent', 'system', 'api_token']),
  actorId: z.string().nullable(),
  /** The actor's name when it acted (an API token's name); null for users, agents and the system. */
  actorName: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  decision: z.enum(['allowed', 'denied']),
  details: z.record(z.string(), z.unknown()).nullable(),
  ip: z.string().nullable(),
  createdAt: Timestamp,
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export const ActionRecord = z.object({
  id: Id,
  hostId: Id,
  organizationId: Id,
  userId: z.nullable(Id),
  action: z.string(),
  params: z.record(z.string(), z.unknown()),
  status: ActionStatus,
  exitCode: z.number().int().nullable(),
  error: z.string().nullable(),
  output: z.string().optional(),
  outputTruncated: z.boolean(),
  createdAt: Timestamp,
  startedAt: z.nullable(Timestamp),
  finishedAt: z.nullable(Timestamp),
});
export type ActionRecord = z.infer<typeof ActionRecord>;

/** The error body of every failed HTTP request. */
export const ApiErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/**
 * `GET /api/agent/release` — the agent executables this server hands out (null version when not built),
 * the URL agents and install lines use (`PUBLIC_URL`) and the release public key that signs SHA256SUMS
 * (base64 of the raw 32-byte Ed25519 key; null when none is configured or built).
 */
export const AgentRelease = z.object({
  version: z.string().nullable(),
  platforms: z.array(z.string()),
  serverUrl: z.string(),
  releaseKey: z.string().nullable(),
});
export type AgentRelease = z.infer<typeof AgentRelease>;

/** `GET /api/auth/config` — what the sign-in page offers: single sign-on and its button's name. */
export const AuthConfig = z.object({
  sso: z.object({ enabled: z.boolean(), name: z.string().nullable() }),
});
export type AuthConfig = z.infer<typeof AuthConfig>;

/** `GET /api/auth/account` — the signed-in account: a password (SSO accounts have none) and two-factor. */
export const Account = z.object({
  user: User,
  hasPassword: z.boolean(),
  twoFactor: z.object({ enabled: z.boolean(), recoveryCodesLeft: z.number().int().nonnegative() }),
  /** Single sign-on identities linked to the account (`POST /api/auth/oidc/link` adds one). */
  identities: z.array(z.object({ issuer: z.string(), email: z.string(), createdAt: Timestamp })),
});
export type Account = z.infer<typeof Account>;

/** `POST /api/auth/totp/setup` — the new secret (base32) and its otpauth:// URL (for a QR code). */
export const TotpSetup = z.object({ secret: z.string(), otpauthUrl: z.string() });
export type TotpSetup = z.infer<typeof TotpSetup>;

/** `POST /api/auth/totp/enable` — ten single-use recovery codes, shown once. */
export const RecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
export type RecoveryCodes = z.infer<typeof RecoveryCodes>;

/**
 * `GET /api/hosts/:hostId/containers/:name/metrics` response: the same columnar shape as a host's
 * history, with the container series (`cpu`, `memory`, `netRx`, `netTx`, `blockRead`, `blockWrite`).
 */
export const ContainerMetricsHistory = z.object({
  hostId: z.string(),
  container: ContainerName,
  resolution: Resolution,
  stepMs: z.number().int().nonnegative(),
  from: Timestamp,
  to: Timestamp,
  t: z.array(Timestamp),
  series: z.record(ContainerSeriesName, SeriesColumns),
});
export type ContainerMetricsHistory = z.infer<typeof ContainerMetricsHistory>;

/** A container as `GET /api/hosts/:hostId/containers` lists it: its newest figures and when they were seen. */
export const HostContainer = z.object({ ...ContainerInfo.shape, lastSeenAt: Timestamp });
export type HostContainer = z.infer<typeof HostContainer>;

/** `GET /api/hosts/:hostId/containers` response. */
export const HostContainers = z.object({ containers: z.array(HostContainer) });
export type HostContainers = z.infer<typeof HostContainers>;
