import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Mailer } from '../domain/ports.js';
import { randomToken } from '../lib/random.js';

/**
 * nodemailer over SMTP (SMTP_URL). Without SMTP, each message is written as an .eml file in
 * `folder` and only its subject and file name are logged (the body may hold a code).
 */
export function createMailer(options: { smtpUrl?: string | undefined; from: string; folder: string; logger: Logger }): Mailer {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      async send(message) {
        await transport.sendMail({ from: options.from, ...message });
        options.logger.info({ event: 'mail.sent', subject: message.subject }, 'mail sent');
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      const info = await transport.sendMail({ from: options.from, ...message });
      mkdirSync(options.folder, { recursive: true });
      const file = join(options.folder, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomToken(4)}.eml`);
      writeFileSync(file, info.message as Buffer);
      options.logger.info({ event: 'mail.written', subject: message.subject, file }, 'mail written to folder (no SMTP_URL)');
    },
  };
}
