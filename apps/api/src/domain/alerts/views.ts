/** @module domain/alerts/views — rows to API shapes: rules, alerts, channels (secrets out, URLs masked). */
import {
  AlertCondition,
  maskUrl,
  type Alert,
  type AlertRule,
  type AlertSeverity,
  type AlertState,
  type ChannelType,
  type NotificationChannel,
} from '@hostwire/protocol';
import type { AlertRow, AlertRuleRow, ChannelRow } from '../../store/repositories/alerts.js';

function parseIds(text: string | null): string[] | null {
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
}

export function ruleView(row: AlertRuleRow): AlertRule {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    condition: AlertCondition.parse(JSON.parse(row.condition)),
    forSeconds: row.for_seconds,
    hostIds: parseIds(row.host_ids),
    channelIds: parseIds(row.channel_ids) ?? [],
    severity: row.severity as AlertSeverity,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function alertView(row: AlertRow): Alert {
  return {
    id: row.id,
    organizationId: row.organization_id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    hostId: row.host_id,
    hostName: row.host_name,
    container: row.container === '' ? null : row.container,
    severity: row.severity as AlertSeverity,
    state: row.state as AlertState,
    value: row.value,
    startedAt: row.started_at,
    firedAt: row.fired_at,
    resolvedAt: row.resolved_at,
  };
}

/** A channel's stored config (secrets included). */
export type ChannelConfig = Record<string, unknown> & { url?: string; secret?: string; token?: string };

export function channelConfig(row: ChannelRow): ChannelConfig {
  return JSON.parse(row.config) as ChannelConfig;
}

export function channelView(row: ChannelRow): NotificationChannel {
  const config = channelConfig(row);
  const shown: NotificationChannel['config'] = {};
  if (typeof config.url === 'string') shown.url = maskUrl(config.url);
  if (Array.isArray(config.to)) shown.to = config.to as string[];
  if (typeof config.priority === 'number') shown.priority = config.priority;
  if (Array.isArray(config.tags)) shown.tags = config.tags as string[];
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    type: row.type as ChannelType,
    config: shown,
    hasSecret: typeof config.secret === 'string' || typeof config.token === 'string',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
