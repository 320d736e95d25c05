/**
 * @module alert-forms — the rule and channel editors' drafts (what the inputs hold) and their validation
 * against the protocol's own schemas, so the form says what the server would answer before sending.
 */
import {
  ALERT_OPS,
  CONTAINER_SERIES,
  CreateChannelBody,
  CreateRuleBody,
  METRIC_SERIES,
  type AlertCondition,
  type AlertOp,
  type AlertRule,
  type AlertSeverity,
  type ChannelType,
  type NotificationChannel,
} from '@hostwire/protocol';

export type ConditionKind = AlertCondition['kind'];

export const CONDITION_LABELS: Record<ConditionKind, string> = {
  metric: 'Host metric',
  host_offline: 'Host offline',
  container_down: 'Container down',
  container_metric: 'Container metric',
};

export const SERIES_LABELS: Record<string, string> = {
  cpu: 'CPU %',
  memory: 'memory %',
  swap: 'swap %',
  disk: 'disk % (fullest)',
  diskRead: 'disk read B/s',
  diskWrite: 'disk write B/s',
  netRx: 'network in B/s',
  netTx: 'network out B/s',
  load1: 'load 1 min',
  load5: 'load 5 min',
  load15: 'load 15 min',
};

export const CONTAINER_SERIES_LABELS: Record<string, string> = {
  cpu: 'CPU % of a core',
  memory: 'memory bytes',
  netRx: 'network in B/s',
  netTx: 'network out B/s',
  blockRead: 'block read B/s',
  blockWrite: 'block write B/s',
};

export interface RuleDraft {
  name: string;
  kind: ConditionKind;
  series: string;
  containerSeries: string;
  op: AlertOp;
  threshold: string;
  container: string;
  forSeconds: string;
  allHosts: boolean;
  hostIds: string[];
  channelIds: string[];
  severity: AlertSeverity;
}

export function emptyRuleDraft(): RuleDraft {
  return {
    name: '',
    kind: 'metric',
    series: METRIC_SERIES[0],
    containerSeries: CONTAINER_SERIES[0],
    op: '>',
    threshold: '90',
    container: '',
    forSeconds: '60',
    allHosts: true,
    hostIds: [],
    channelIds: [],
    severity: 'warning',
  };
}

export function draftFromRule(rule: AlertRule): RuleDraft {
  const c = rule.condition;
  const draft = emptyRuleDraft();
  return {
    ...draft,
    name: rule.name,
    kind: c.kind,
    series: c.kind === 'metric' ? c.series : draft.series,
    containerSeries: c.kind === 'container_metric' ? c.series : draft.containerSeries,
    op: c.kind === 'metric' || c.kind === 'container_metric' ? c.op : draft.op,
    threshold: c.kind === 'metric' || c.kind === 'container_metric' ? String(c.threshold) : draft.threshold,
    container: c.kind === 'container_down' || c.kind === 'container_metric' ? c.container : '',
    forSeconds: String(rule.forSeconds),
    allHosts: rule.hostIds === null,
    hostIds: rule.hostIds ?? [],
    channelIds: rule.channelIds,
    severity: rule.severity,
  };
}

function conditionOf(d: RuleDraft): unknown {
  const threshold = d.threshold.trim() === '' ? Number.NaN : Number(d.threshold);
  switch (d.kind) {
    case 'metric':
      return { kind: 'metric', series: d.series, op: d.op, threshold };
    case 'host_offline':
      return { kind: 'host_offline' };
    case 'container_down':
      return { kind: 'container_down', container: d.container.trim() };
    case 'container_metric':
      return {
        kind: 'container_metric',
        container: d.container.trim(),
        series: d.containerSeries,
        op: d.op,
        threshold,
      };
  }
}

/** Field → message for what is wrong; the body to send when nothing is. */
export type Checked<T> = { ok: true; body: T } | { ok: false; errors: Record<string, string> };

export function checkRuleDraft(d: RuleDraft): Checked<CreateRuleBody> {
  const errors: Record<string, string> = {};
  if (d.name.trim() === '') errors.name = 'Give the rule a name.';
  const forSeconds = Number(d.forSeconds);
  if (!/^\d+$/.test(d.forSeconds.trim()) || forSeconds > 86_400)
    errors.forSeconds = 'A whole number of seconds from 0 to 86400.';
  if ((d.kind === 'metric' || d.kind === 'container_metric') && !Number.isFinite(Number(d.threshold)))
    errors.threshold = 'A number.';
  if (
    (d.kind === 'container_down' || d.kind === 'container_metric') &&
    !/^[A-Za-z0-9_.*?-]{1,255}$/.test(d.container.trim())
  )
    errors.container = 'A container name or a glob (letters, digits, _ . - and * ?).';
  if (!d.allHosts && d.hostIds.length === 0) errors.hostIds = 'Choose at least one host, or every host.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const parsed = CreateRuleBody.safeParse({
    name: d.name.trim(),
    condition: conditionOf(d),
    forSeconds,
    hostIds: d.allHosts ? null : d.hostIds,
    channelIds: d.channelIds,
    severity: d.severity,
  });
  if (!parsed.success)
    return {
      ok: false,
      errors: { form: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') },
    };
  return { ok: true, body: parsed.data };
}

const UNITS: Record<string, string> = { cpu: '%', memory: '%', swap: '%', disk: '%' };

/** "cpu > 90 %", "host offline", "container web-* down", "container web-* memory > 500000000". */
export function describeCondition(c: AlertCondition): string {
  switch (c.kind) {
    case 'metric':
      return `${c.series} ${c.op} ${c.threshold}${UNITS[c.series] ? ` ${UNITS[c.series]}` : ''}`;
    case 'host_offline':
      return 'host offline';
    case 'container_down':
      return `container ${c.container} down`;
    case 'container_metric':
      return `container ${c.container} ${c.series} ${c.op} ${c.threshold}`;
  }
}

export const OPS = ALERT_OPS;

export interface ChannelDraft {
  name: string;
  type: ChannelType;
  url: string;
  secret: string;
  token: string;
  priority: string;
  tags: string;
  to: string;
}

export function emptyChannelDraft(): ChannelDraft {
  return { name: '', type: 'webhook', url: '', secret: '', token: '', priority: '', tags: '', to: '' };
}

/** An existing channel in the editor: secrets and the URL are left empty (write-only; empty keeps them). */
export function draftFromChannel(c: NotificationChannel): ChannelDraft {
  return {
    ...emptyChannelDraft(),
    name: c.name,
    type: c.type,
    priority: c.config.priority === undefined ? '' : String(c.config.priority),
    tags: (c.config.tags ?? []).join(', '),
    to: (c.config.to ?? []).join(', '),
  };
}

function configOf(d: ChannelDraft, editing: boolean): Record<string, unknown> {
  const list = (text: string) =>
    text
      .split(/[,\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);
  const config: Record<string, unknown> = {};
  if (d.type === 'email') {
    config.to = list(d.to);
    return config;
  }
  if (d.url.trim() !== '' || !editing) config.url = d.url.trim();
  if (d.type === 'webhook' && d.secret.trim() !== '') config.secret = d.secret.trim();
  if (d.type === 'ntfy') {
    if (d.token.trim() !== '') config.token = d.token.trim();
    config.priority = d.priority.trim() === '' ? (editing ? null : undefined) : Number(d.priority);
    const tags = list(d.tags);
    config.tags = tags.length > 0 ? tags : editing ? null : undefined;
    for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  }
  return config;
}

/** A new channel's body, or (with `editing`) the PATCH body: empty secret and URL fields keep the stored ones. */
export function checkChannelDraft(
  d: ChannelDraft,
  editing = false,
): Checked<{ name: string; type: ChannelType; config: Record<string, unknown> }> {
  const errors: Record<string, string> = {};
  if (d.name.trim() === '') errors.name = 'Give the channel a name.';
  const config = configOf(d, editing);
  if (!editing || config.url !== undefined || d.type === 'email') {
    const candidate = { name: d.name.trim() || 'x', type: d.type, config: withKeptSecrets(config, editing) };
    const parsed = CreateChannelBody.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path[1] === undefined ? 'form' : String(issue.path[1]);
        errors[field] ??= issue.message;
      }
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, body: { name: d.name.trim(), type: d.type, config } };
}

/** Fields set to null (cleared in an edit) are checked as absent. */
function withKeptSecrets(config: Record<string, unknown>, editing: boolean): Record<string, unknown> {
  if (!editing) return config;
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null));
}
