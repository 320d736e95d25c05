/**
 * @module domain/mailer — every e-mail the server sends (invitations, alert and test mail) through the SMTP
 * server of `SMTP_URL` (nodemailer; off when unset). Each message is charged to its organization's budget of
 * MAIL_RATE_PER_ORG_PER_HOUR recipients (a token bucket per instance), so no organization can use the server
 * as a mail relay. Plain text only. SMTP_URL is chosen by the operator, so it is not under the outbound guard.
 */
import nodemailer from 'nodemailer';
import { createRateLimiter } from '../auth/rate-limiter.js';
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { scrubSecrets } from '../scrub.js';

export interface Mail {
  /** Whose budget pays for it. */
  organizationId: string;
  to: readonly string[];
  /** Fixed text only: names chosen by users go into the body, quoted (see `quoted`). */
  subject: string;
  text: string;
}

export type MailResult = { ok: true } | { ok: false; error: string; retryAfterSeconds?: number };

/** Proof that a message's recipients were already charged to its organization (`reserve`). */
export interface MailPermit {
  readonly organizationId: string;
  readonly recipients: number;
}

export interface Mailer {
  /** Whether e-mail is configured at all. */
  readonly enabled: boolean;
  /**
   * Charges `recipients` to the organization now, for a message the caller sends next (an invitation must
   * not be created when it cannot be mailed); 429 `rate_limited` with Retry-After when over the budget.
   */
  reserve(organizationId: string, recipients: number): MailPermit;
  /** Sends one message (charged now unless a permit paid for it); never throws. */
  send(mail: Mail, permit?: MailPermit): Promise<MailResult>;
}

/** A name chosen by a user, as it appears in a message: in double quotes, escaped, one line, bounded. */
export function quoted(name: string): string {
  const flat = name.replace(/\p{Cc}+/gu, ' ').slice(0, 100);
  return JSON.stringify(flat);
}

/** What a user sees when the budget is spent (API answers, the delivery log). */
export const MAIL_RATE_LIMITED =
  "rate_limited: the organization's e-mail budget (MAIL_RATE_PER_ORG_PER_HOUR) is spent; sent later";

export function createMailer(
  config: Pick<Config, 'smtp' | 'mailPerOrgPerHour'> & {
    alerts: Pick<Config['alerts'], 'deliveryTimeoutMs'>;
  },
  logger: Logger,
): Mailer {
  const budget = createRateLimiter({ capacity: config.mailPerOrgPerHour, windowMs: 3600_000 });
  const charge = (organizationId: string, recipients: number) =>
    budget.take(organizationId, Math.max(1, recipients));
  const reserve = (organizationId: string, recipients: number): MailPermit => {
    const taken = charge(organizationId, recipients);
    if (!taken.ok)
      throw new ApiError(
        'rate_limited',
        "This organization's e-mail budget (MAIL_RATE_PER_ORG_PER_HOUR) is spent; try again later",
        undefined,
        { retryAfterSeconds: taken.retryAfterSeconds },
      );
    return { organizationId, recipients };
  };
  const smtp = config.smtp;
  if (!smtp)
    return {
      enabled: false,
      reserve,
      send: () => Promise.resolve({ ok: false, error: 'could not deliver: SMTP_URL is not set' }),
    };
  const timeoutMs = config.alerts.deliveryTimeoutMs;
  const transport = nodemailer.createTransport({
    url: smtp.url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const smtpUrl = new URL(smtp.url);
  const smtpSecrets = [smtpUrl.password, decodeURIComponentSafe(smtpUrl.password)];
  const log = logger.child({ component: 'mailer' });
  return {
    enabled: true,
    reserve,
    async send(mail, permit) {
      if (!permit || permit.organizationId !== mail.organizationId) {
        const taken = charge(mail.organizationId, mail.to.length);
        if (!taken.ok) {
          log.info({ organizationId: mail.organizationId }, 'an e-mail waits for its organization budget');
          return { ok: false, error: MAIL_RATE_LIMITED, retryAfterSeconds: taken.retryAfterSeconds };
        }
      }
      try {
        await transport.sendMail({
          from: smtp.from,
          to: [...mail.to],
          subject: mail.subject,
          text: mail.text,
        });
        return { ok: true };
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        log.warn(
          {
            organizationId: mail.organizationId,
            detail: scrubSecrets(String((error as Error).message), smtpSecrets),
          },
          'sending an e-mail failed',
        );
        return {
          ok: false,
          error:
            typeof code === 'number'
              ? `could not deliver: the SMTP server refused the message (${code})`
              : 'could not deliver: the SMTP server could not be reached',
        };
      }
    },
  };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
