/** @module audit-describe — audit events in plain words, with names instead of ids where they are known. */
import type { AuditEvent } from '@hostwire/protocol';

/** What the page knows to turn ids into names. */
export interface AuditNames {
  users: ReadonlyMap<string, string>;
  hosts: ReadonlyMap<string, string>;
}

/** The audit actions the server writes, with their labels (for the filter and the table). */
export const AUDIT_ACTIONS: Readonly<Record<string, string>> = {
  setup: 'First-run setup',
  login: 'Signed in',
  'organization.created': 'Organization created',
  'member.added': 'Member added',
  'member.role_changed': 'Role changed',
  'member.removed': 'Member removed',
  'host.created': 'Host created',
  'host.enrolled': 'Host enrolled',
  'host.token_rotated': 'Enrollment token renewed',
  'host.deleted': 'Host deleted',
  'action.run': 'Action run',
  'action.cancel': 'Action stopped',
  'login.totp': 'Two-factor code refused',
  'password.changed': 'Password changed',
  'logout.all': 'Signed out everywhere',
  'totp.enabled': 'Two-factor turned on',
  'totp.disabled': 'Two-factor turned off',
  'sso.linked': 'Single sign-on linked',
  'api_token.created': 'API token created',
  'api_token.revoked': 'API token revoked',
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** A short id: enough to tell two apart. */
function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 8)}…` : id;
}

/** Who did it: an email, an API token by name, a host (for agents), or "system". */
export function describeActor(event: AuditEvent, names: AuditNames): string {
  if (event.actorType === 'system' || !event.actorId) return 'system';
  if (event.actorType === 'api_token') return `API token ${event.actorName ?? shortId(event.actorId)}`;
  if (event.actorType === 'agent')
    return `agent of ${names.hosts.get(event.actorId) ?? shortId(event.actorId)}`;
  return names.users.get(event.actorId) ?? `user ${shortId(event.actorId)}`;
}

/** What it was done to: a host or member name where known. */
export function describeTarget(event: AuditEvent, names: AuditNames): string {
  const id = event.targetId;
  if (!event.targetType || !id) return '–';
  const details = event.details ?? {};
  if (event.targetType === 'host') return names.hosts.get(id) ?? text(details.name) ?? `host ${shortId(id)}`;
  if (event.targetType === 'user') return names.users.get(id) ?? text(details.email) ?? `user ${shortId(id)}`;
  if (event.targetType === 'organization') return 'organization';
  if (event.targetType === 'api_token') return `API token ${text(details.name) ?? shortId(id)}`;
  return `${event.targetType} ${shortId(id)}`;
}

/** The details as a sentence (never raw JSON). */
export function describeDetails(event: AuditEvent): string {
  const d = event.details ?? {};
  const params =
    d.params && typeof d.params === 'object' ? Object.entries(d.params as Record<string, unknown>) : [];
  const paramText = params.map(([k, v]) => `${k}=${text(v) ?? JSON.stringify(v)}`).join(', ');
  switch (event.action) {
    case 'setup':
    case 'member.added':
    case 'member.removed':
      return [text(d.email), text(d.role) ? `as ${text(d.role)}` : undefined].filter(Boolean).join(' ');
    case 'member.role_changed':
      return `from ${text(d.from) ?? '?'} to ${text(d.to) ?? '?'}`;
    case 'host.created':
    case 'host.deleted':
      return text(d.name) ?? '';
    case 'action.run': {
      const parts = [text(d.action) ?? 'action'];
      if (paramText) parts.push(`(${paramText})`);
      if (text(d.outcome)) parts.push(`— ${text(d.outcome)?.replace(/_/g, ' ')}`);
      if (text(d.reason)) parts.push(`— refused: ${text(d.reason)?.replace(/_/g, ' ')}`);
      return parts.join(' ');
    }
    case 'action.cancel':
      return text(d.action) ?? '';
    case 'api_token.created':
    case 'api_token.revoked':
      return [text(d.name), text(d.role) ? `as ${text(d.role)}` : undefined].filter(Boolean).join(' ');
    default:
      return Object.entries(d)
        .map(([k, v]) => `${k}: ${text(v) ?? JSON.stringify(v)}`)
        .join(', ');
  }
}
