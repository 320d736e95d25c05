/**
 * @module domain/alerts/senders — one notification to one channel: Standard Webhooks 1.0 (signed JSON),
 * Slack and Discord incoming webhooks, ntfy, and e-mail over SMTP. Outbound only to http(s) hosts that
 * ALERT_ALLOWED_HOSTS allows; never follows redirects; every attempt has a deadline.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../../config.js';
import type { ChannelConfig } from './views.js';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
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
  organization?: { name: string };
  url?: string;
  message?: string;
}

/** True when `hostname` is on the allow-list (`*.example.com` also matches its subdomains); no list: all. */
export function hostAllowed(allowed: readonly string[] | undefined, url: string): boolean {
  if (!allowed) return true;
  let hostname: string;
  try {
    hostname = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    const pattern = entry.replace(/^\[|\]$/g, '');
    return pattern.startsWith('*.') ? hostname.endsWith(pattern.slice(1)) : hostname === pattern;
  });
}

/** One line for chat channels and subjects: `[FIRING] High CPU on web-1 (cpu 97.2)`. */
export function summarize(payload: Payload): { title: string; text: string } {
  if (payload.type === 'test' || !payload.alert)
    return {
      title: 'Hostwire test notification',
      text: payload.message ?? 'This is a test notification from Hostwire.',
    };
  const a = payload.alert;
  const state = payload.type === 'alert.resolved' ? 'RESOLVED' : 'FIRING';
  const where = `${payload.host?.name ?? '?'}${a.container ? ` / ${a.container}` : ''}`;
  const value = a.value === null ? '' : ` (value ${Math.round(a.value * 100) / 100})`;
  const title = `[${state}] ${payload.rule?.name ?? 'alert'} on ${where}`;
  return {
    title,
    text: `${title}${value}, ${a.severity}, since ${new Date(a.startedAt).toISOString()}\n${payload.url ?? ''}`,
  };
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export function createSenders(config: Pick<Config, 'alerts' | 'smtp'>) {
  const timeoutMs = config.alerts.deliveryTimeoutMs;
  let transport: Transporter | undefined;
  const smtp = config.smtp;

  async function post(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    if (!/^https?:\/\//i.test(url))
      return { ok: false, statusCode: null, error: 'only http(s) URLs are allowed' };
    if (!hostAllowed(config.alerts.allowedHosts, url))
      return { ok: false, statusCode: null, error: 'the host is not in ALERT_ALLOWED_HOSTS' };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'user-agent': 'Hostwire-Alerts/1', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      return { ok, statusCode: res.status, error: ok ? null : `HTTP ${res.status}` };
    } catch (error) {
      const name = (error as Error).name;
      const message =
        name === 'TimeoutError' || name === 'AbortError'
          ? `no answer within ${timeoutMs} ms`
          : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
      return { ok: false, statusCode: null, error: message.slice(0, 500) };
    }
  }

  async function email(to: string[], payload: Payload): Promise<SendResult> {
    if (!smtp) return { ok: false, statusCode: null, error: 'SMTP_URL is not set' };
    transport ??= nodemailer.createTransport({
      url: smtp.url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    const { title, text } = summarize(payload);
    const link = payload.url ? `<p><a href="${escapeHtml(payload.url)}">Open in Hostwire</a></p>` : '';
    try {
      await transport.sendMail({
        from: smtp.from,
        to,
        subject: title,
        text,
        html: `<p><strong>${escapeHtml(title)}</strong></p><p>${escapeHtml(text.split('\n')[0] ?? '')}</p>${link}`,
      });
      return { ok: true, statusCode: 250, error: null };
    } catch (error) {
      return { ok: false, statusCode: null, error: (error as Error).message.slice(0, 500) };
    }
  }

  return {
    /** Sends `body` (the stored JSON) once to a channel; `id` is the delivery's webhook-id. */
    send(type: string, cfg: ChannelConfig, id: string, body: string): Promise<SendResult> {
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
          return post(url, headers, body);
        }
        case 'slack': {
          const { text } = summarize(payload);
          return post(url, json, JSON.stringify({ text }));
        }
        case 'discord': {
          const { text } = summarize(payload);
          return post(url, json, JSON.stringify({ content: text.slice(0, 2000) }));
        }
        case 'ntfy': {
          const { title, text } = summarize(payload);
          const critical = payload.alert?.severity === 'critical' && payload.type === 'alert.firing';
          const headers: Record<string, string> = {
            'content-type': 'text/plain; charset=utf-8',
            title: title.replace(/[^\x20-\x7e]/g, '?'),
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
          return post(url, headers, text);
        }
        case 'email':
          return email(Array.isArray(cfg.to) ? (cfg.to as string[]) : [], payload);
        default:
          return Promise.resolve({ ok: false, statusCode: null, error: `unknown channel type ${type}` });
      }
    },
    close(): void {
      transport?.close();
    },
  };
}

export type Senders = ReturnType<typeof createSenders>;
