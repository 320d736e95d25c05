/** @module endpoints — one typed function per HTTP API route the UI calls. */
import {
  Account,
  ActionRecord,
  AuthConfig,
  Alert,
  AlertRule,
  Delivery,
  NotificationChannel,
  type CreateRuleBody,
  type UpdateRuleBody,
  AgentRelease,
  ApiToken,
  CreatedApiToken,
  AuditEvent,
  ContainerMetricsHistory,
  Host,
  HostContainers,
  Me,
  CreatedInvitation,
  Invitation,
  InvitationPreview,
  Member,
  MetricsHistory,
  Organization,
  RecoveryCodes,
  TotpSetup,
  type ActionParams,
  type Role,
} from '@hostwire/protocol';
import { z } from 'zod';
import { http } from './http.js';

const SetupState = z.object({ setupRequired: z.boolean() });
const HostList = z.object({ hosts: z.array(Host) });
const HostOne = z.object({ host: Host });
const Enrollment = z.object({ enrollmentToken: z.string(), enrollmentExpiresAt: z.number() });
const CreatedHost = Enrollment.extend({ host: Host });
const ActionList = z.object({ actions: z.array(ActionRecord) });
const ActionOne = z.object({ action: ActionRecord });
const MemberList = z.object({ members: z.array(Member) });
const MemberOne = z.object({ member: Member });
const InvitationList = z.object({ invitations: z.array(Invitation) });
const AuditList = z.object({ events: z.array(AuditEvent) });
const Ticket = z.object({ ticket: z.string(), expiresAt: z.number() });
const OrganizationOne = z.object({ organization: Organization });
const ApiTokenList = z.object({ apiTokens: z.array(ApiToken) });
const AlertList = z.object({ alerts: z.array(Alert) });
const RuleList = z.object({ rules: z.array(AlertRule) });
const RuleOne = z.object({ rule: AlertRule });
const ChannelList = z.object({ channels: z.array(NotificationChannel) });
/** A created channel, or an edited one: a webhook moved to another origin gets a new key, shown once. */
const CreatedChannel = z.object({ channel: NotificationChannel, secret: z.string().optional() });
const DeliveryList = z.object({ deliveries: z.array(Delivery) });
const DeliveryOne = z.object({ delivery: Delivery });

/** A freshly created host with the one-time token its agent enrolls with. */
export type CreatedHost = z.infer<typeof CreatedHost>;

const enc = encodeURIComponent;

/** Where the browser goes to sign in with single sign-on (a full-page navigation, not a fetch). */
export function ssoStartUrl(options: { invitation?: string; returnTo?: string } = {}): string {
  const params = new URLSearchParams();
  if (options.invitation) params.set('invitation', options.invitation);
  if (options.returnTo) params.set('returnTo', options.returnTo);
  const query = params.toString();
  return `/api/auth/oidc/start${query ? `?${query}` : ''}`;
}

/** Every route of the HTTP API used by the UI. */
export const api = {
  setupState: () => http.get('/api/auth/setup', SetupState),
  setup: (body: { email: string; password: string; organizationName: string; setupCode: string }) =>
    http.post('/api/auth/setup', body, Me),
  login: (body: { email: string; password: string; code?: string }) => http.post('/api/auth/login', body, Me),
  logout: () => http.post<undefined>('/api/auth/logout'),
  me: () => http.get('/api/auth/me', Me),
  authConfig: () => http.get('/api/auth/config', AuthConfig),
  account: () => http.get('/api/auth/account', Account),
  changePassword: (body: { currentPassword: string; newPassword: string }) =>
    http.post<undefined>('/api/auth/password', body),
  logoutAll: () => http.post<undefined>('/api/auth/logout-all'),
  totpSetup: () => http.post('/api/auth/totp/setup', {}, TotpSetup),
  totpEnable: (body: { code: string; password: string }) =>
    http.post('/api/auth/totp/enable', body, RecoveryCodes),
  totpDisable: (body: { password: string; code: string }) =>
    http.post<undefined>('/api/auth/totp/disable', body),
  /** The TOTP second step of a single sign-on (the provider already signed the person in). */
  ssoCode: (code: string) =>
    http.post('/api/auth/oidc/code', { code }, z.object({ me: Me, returnTo: z.string() })),
  /** Starts linking SSO to the signed-in account: where to send the browser. */
  ssoLink: (body: { password?: string }) =>
    http.post('/api/auth/oidc/link', body, z.object({ url: z.string() })),
  wsTicket: () => http.post('/api/ws-ticket', {}, Ticket),
  createOrganization: (name: string) => http.post('/api/orgs', { name }, OrganizationOne),

  hosts: (orgId: string) => http.get(`/api/orgs/${enc(orgId)}/hosts`, HostList),
  createHost: (orgId: string, name: string) =>
    http.post(`/api/orgs/${enc(orgId)}/hosts`, { name }, CreatedHost),
  host: (hostId: string) => http.get(`/api/hosts/${enc(hostId)}`, HostOne),
  deleteHost: (hostId: string) => http.delete(`/api/hosts/${enc(hostId)}`),
  rotateToken: (hostId: string) => http.post(`/api/hosts/${enc(hostId)}/rotate-token`, {}, Enrollment),
  agentRelease: () => http.get('/api/agent/release', AgentRelease),

  metrics: (hostId: string, from: number, to: number, signal?: AbortSignal) =>
    http.get(`/api/hosts/${enc(hostId)}/metrics?from=${from}&to=${to}`, MetricsHistory, signal),
  containers: (hostId: string, signal?: AbortSignal) =>
    http.get(`/api/hosts/${enc(hostId)}/containers`, HostContainers, signal),
  containerMetrics: (hostId: string, name: string, from: number, to: number, signal?: AbortSignal) =>
    http.get(
      `/api/hosts/${enc(hostId)}/containers/${enc(name)}/metrics?from=${from}&to=${to}`,
      ContainerMetricsHistory,
      signal,
    ),

  actions: (hostId: string) => http.get(`/api/hosts/${enc(hostId)}/actions`, ActionList),
  runAction: (hostId: string, action: string, params: ActionParams) =>
    http.post(`/api/hosts/${enc(hostId)}/actions`, { action, params }, ActionOne),
  action: (actionId: string) => http.get(`/api/actions/${enc(actionId)}`, ActionOne),
  cancelAction: (actionId: string) => http.post(`/api/actions/${enc(actionId)}/cancel`, {}, ActionOne),

  members: (orgId: string) => http.get(`/api/orgs/${enc(orgId)}/members`, MemberList),
  invite: (orgId: string, body: { email: string; role: Role }) =>
    http.post(`/api/orgs/${enc(orgId)}/invitations`, body, CreatedInvitation),
  invitations: (orgId: string) => http.get(`/api/orgs/${enc(orgId)}/invitations`, InvitationList),
  revokeInvitation: (invitationId: string) => http.delete(`/api/invitations/${enc(invitationId)}`),
  invitationByToken: (token: string) =>
    http.get(`/api/invitations/by-token/${enc(token)}`, InvitationPreview),
  acceptInvitation: (token: string, body: { password?: string }) =>
    http.post(`/api/invitations/by-token/${enc(token)}/accept`, body, Me),
  changeRole: (orgId: string, userId: string, role: Role) =>
    http.patch(`/api/orgs/${enc(orgId)}/members/${enc(userId)}`, { role }, MemberOne),
  removeMember: (orgId: string, userId: string) =>
    http.delete(`/api/orgs/${enc(orgId)}/members/${enc(userId)}`),

  apiTokens: (orgId: string) => http.get(`/api/orgs/${enc(orgId)}/api-tokens`, ApiTokenList),
  createApiToken: (orgId: string, body: { name: string; role: Role; expiresInDays?: number }) =>
    http.post(`/api/orgs/${enc(orgId)}/api-tokens`, body, CreatedApiToken),
  revokeApiToken: (tokenId: string) => http.delete(`/api/api-tokens/${enc(tokenId)}`),
  alerts: (orgId: string, state?: 'firing' | 'resolved') =>
    http.get(`/api/orgs/${enc(orgId)}/alerts${state ? `?state=${state}` : ''}`, AlertList),
  alertRules: (orgId: string) => http.get(`/api/orgs/${enc(orgId)}/alert-rules`, RuleList),
  createAlertRule: (orgId: string, body: CreateRuleBody) =>
    http.post(`/api/orgs/${enc(orgId)}/alert-rules`, body, RuleOne),
  updateAlertRule: (ruleId: string, body: UpdateRuleBody) =>
    http.patch(`/api/alert-rules/${enc(ruleId)}`, body, RuleOne),
  deleteAlertRule: (ruleId: string) => http.delete(`/api/alert-rules/${enc(ruleId)}`),
  channels: (orgId: string) => http.get(`/api/orgs/${enc(orgId)}/notification-channels`, ChannelList),
  createChannel: (orgId: string, body: { name: string; type: string; config: Record<string, unknown> }) =>
    http.post(`/api/orgs/${enc(orgId)}/notification-channels`, body, CreatedChannel),
  updateChannel: (channelId: string, body: { name?: string; config?: Record<string, unknown> }) =>
    http.patch(`/api/notification-channels/${enc(channelId)}`, body, CreatedChannel),
  deleteChannel: (channelId: string) => http.delete(`/api/notification-channels/${enc(channelId)}`),
  testChannel: (channelId: string) =>
    http.post(`/api/notification-channels/${enc(channelId)}/test`, {}, DeliveryOne),
  deliveries: (channelId: string) =>
    http.get(`/api/notification-channels/${enc(channelId)}/deliveries`, DeliveryList),

  /** A page of the audit log, newest first; every filter given narrows it. */
  audit: (orgId: string, query: AuditQuery) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return http.get(`/api/orgs/${enc(orgId)}/audit?${params.toString()}`, AuditList);
  },
};

/** Filters and paging of `GET /api/orgs/:orgId/audit`. */
export interface AuditQuery {
  limit: number;
  before?: number | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  targetId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}
