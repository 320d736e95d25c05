/**
 * @module domain/alerts/senders — one notification to one channel: Standard Webhooks 1.0 (signed JSON),
 * Slack and Discord incoming webhooks, ntfy, and e-mail. HTTP goes through the outbound guard (public
 * addresses only unless OUTBOUND_ALLOW opens more, no redirects, a deadline); e-mail through the mailer (the
 * organization's budget). Names chosen by users stay out of subjects and titles and are quoted in bodies.
 */
import { Webhook } from 'standardwebhooks';
import type { Outbound } from '../../outbound/client.js';
import { quoted, type Mailer } from '../mailer.js';
import type { ChannelConfig } from './views.js';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  /** For users (delivery log, API): generic, see OUTBOUND_ERRORS. */
  error: string | null;
  /** For debug logs only, scrubbed there: what really happened. */
  detail?: string;
  /** Not attempted because the organization's e-mail budget is spent: try again after this long. */
  retryAfterSeconds?: number;
}

/** The body every channel gets (DESIGN "Alerts"), or a test message. */
interface Payload {
  type: string;
  alert?: {
    state: string;
    value: number | null;
    container: string | null;
    severity: string;
    startedAt: number;
  };
  rule?: { name: string };
  host?: { name: string };
  channel?: { name: string };
  organization?: { name: string };
  url?: string;
}

/**
 * A fixed title (`Hostwire: alert firing`) and a plain-text body in which every user-chosen name is quoted:
 * `Rule "High CPU" is firing on host "web-1" (value 97.2), warning, since …` and the link.
 */
export function summarize(payload: Payload): { title: string; text: string } {
  if (payload.type === 'test' || !payload.alert) {
    const channel = payload.channel ? ` for the channel ${quoted(payload.channel.name)}` : '';
    const organization = payload.organization
      ? ` of the organization ${quoted(payload.organization.name)}`
      : '';
    return {
      title: 'Hostwire: test notification',
      text: `Hostwire: test notification${channel}${organization}.${payload.url ? `\n${payload.url}` : ''}`,
    };
  }
  const a = payload.alert;
  const state = payload.type === 'alert.resolved' ? 'resolved' : 'firing';
  const title = `Hostwire: alert ${state}`;
  const container = a.container ? `, container ${quoted(a.container)}` : '';
  const value = a.value === null ? '' : ` (value ${Math.round(a.value * 100) / 100})`;
  const line =
    `Rule ${quoted(payload.rule?.name ?? '')} is ${state} on host ${quoted(payload.host?.name ?? '')}` +
    `${container}${value}, ${a.severity}, since ${new Date(a.startedAt).toISOString()}`;
  return { title, text: `${title}\n${line}\n${payload.url ?? ''}`.trimEnd() };
}

/** Slack reads `<…>` as links and mentions and `&` as entities: text is escaped as its docs say. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function createSenders(services: { outbound: Outbound; mailer: Mailer }) {
  const { outbound, mailer } = services;

  async function email(organizationId: string, to: string[], payload: Payload): Promise<SendResult> {
    if (!mailer.enabled)
      return { ok: false, statusCode: null, error: 'could not deliver: SMTP_URL is not set' };
    const { title, text } = summarize(payload);
    const sent = await mailer.send({ organizationId, to, subject: title, text });
    if (sent.ok) return { ok: true, statusCode: 250, error: null };
    return sent.retryAfterSeconds === undefined
      ? { ok: false, statusCode: null, error: sent.error }
      : { ok: false, statusCode: null, error: sent.error, retryAfterSeconds: sent.retryAfterSeconds };
  }

  return {
    /** Sends `body` (the stored JSON) once to a channel of `organizationId`; `id` is the webhook-id. */
    send(
      type: string,
      cfg: ChannelConfig,
      id: string,
      body: string,
      organizationId: string,
    ): Promise<SendResult> {
      const payload = JSON.parse(body) as Payload;
      const url = typeof cfg.url === 'string' ? cfg.url : '';
      const json = { 'content-type': 'application/json' };
      switch (type) {
        case 'webhook': {
          const headers: Record<string, string> = { ...json, 'webhook-id': id };
          const now = new Date();
          headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
          if (typeof cfg.secret === 'string')
            headers['webhook-signature'] = new Webhook(cfg.secret).sign(id, now, body);
          return outbound.post(url, headers, body);
        }
        case 'slack': {
          const { text } = summarize(payload);
          return outbound.post(url, json, JSON.stringify({ text: slackEscape(text) }));
        }
        case 'discord': {
          const { text } = summarize(payload);
          // No @everyone, @here or role pings from a name.
          const message = { content: text.slice(0, 2000), allowed_mentions: { parse: [] } };
          return outbound.post(url, json, JSON.stringify(message));
        }
        case 'ntfy': {
          const { title, text } = summarize(payload);
          const critical = payload.alert?.severity === 'critical' && payload.type === 'alert.firing';
          const headers: Record<string, string> = {
            'content-type': 'text/plain; charset=utf-8',
            title,
            priority: String(typeof cfg.priority === 'number' ? cfg.priority : critical ? 4 : 3),
          };
          const tags = Array.isArray(cfg.tags) ? (cfg.tags as string[]) : [];
          const stateTag =
            payload.type === 'alert.resolved'
              ? 'white_check_mark'
              : payload.type === 'test'
                ? 'test_tube'
                : 'warning';
          headers.tags = [stateTag, ...tags].join(',');
          if (payload.url) headers.click = payload.url;
          if (typeof cfg.token === 'string') headers.authorization = `Bearer ${cfg.token}`;
          return outbound.post(url, headers, text);
        }
        case 'email':
          return email(organizationId, Array.isArray(cfg.to) ? (cfg.to as string[]) : [], payload);
        default:
          return Promise.resolve({
            ok: false,
            statusCode: null,
            error: `could not deliver: unknown channel type ${type}`,
          });
      }
    },
  };
}

export type Senders = ReturnType<typeof createSenders>;
