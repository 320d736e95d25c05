/** @module domain/mailer — e-mail through the SMTP server of `SMTP_URL` (nodemailer); off when unset. */
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Whether e-mail is configured at all. */
  readonly enabled: boolean;
  /** Sends one message; resolves false (and logs why) when it could not be handed to the SMTP server. */
  send(mail: Mail): Promise<boolean>;
}

export function createMailer(config: Pick<Config, 'smtp'>, logger: Logger): Mailer {
  const smtp = config.smtp;
  if (!smtp) return { enabled: false, send: () => Promise.resolve(false) };
  const transport = nodemailer.createTransport(smtp.url);
  const log = logger.child({ component: 'mailer' });
  return {
    enabled: true,
    async send(mail) {
      try {
        await transport.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text });
        return true;
      } catch (error) {
        log.warn({ err: error, to: mail.to }, 'sending an e-mail failed');
        return false;
      }
    },
  };
}
