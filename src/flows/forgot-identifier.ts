import type { Logger } from 'pino';
import type { Account } from '../domain/account.js';
import type { AccountRepository, AuditLog, Mailer, SubscriptionRepository } from '../domain/ports.js';
import { translator } from '../i18n/messages.js';
import { renderMail } from './mail-content.js';

/**
 * "Forgot your identifier?": the identifiers on file for an address are e-mailed in the account's
 * language. It runs after the page has answered, so an address on file and an unknown one cost
 * the same time and read the same page. Suspended accounts get nothing.
 */
export function createForgotIdentifier(deps: { accounts: Pick<AccountRepository, 'findByEmail'>; subscriptions: Pick<SubscriptionRepository, 'findById'>; audit: AuditLog; mailer: Mailer; logger: Logger }) {
  async function identifiersOf(account: Account): Promise<string[]> {
    const ids: string[] = [];
    if (account.username) ids.push(account.username);
    if (account.subscriptionId && account.userNumber) {
      const subscription = await deps.subscriptions.findById(account.subscriptionId);
      if (subscription) ids.push(`${subscription.identifier} / ${account.userNumber}`);
    }
    return ids;
  }

  async function send(email: string, meta: { ip: string; userAgent: string; clientId: string }): Promise<void> {
    const accounts = (await deps.accounts.findByEmail(email)).filter((a) => a.status !== 'suspended' && a.email);
    for (const account of accounts) {
      const t = translator(account.locale);
      const identifiers = await identifiersOf(account);
      await deps.mailer.send({ to: account.email!, ...renderMail(t('mail.forgot.subject'), t('mail.forgot.body', { identifiers: identifiers.map((i) => `  • ${i}`).join('\n') })) });
      await deps.audit.record({ action: 'identifier.reminder', result: 'success', accountId: account.id, clientId: meta.clientId, ip: meta.ip, userAgent: meta.userAgent });
    }
    if (accounts.length === 0) await deps.audit.record({ action: 'identifier.reminder', result: 'failure', reason: 'no_matching_account', clientId: meta.clientId, ip: meta.ip, userAgent: meta.userAgent });
  }

  return {
    /** Fire and forget; failures are logged, never shown. `settled` lets tests wait for the mail. */
    request(email: string, meta: { ip: string; userAgent: string; clientId: string }): Promise<void> {
      const settled = send(email, meta).catch((err: unknown) => deps.logger.error({ err }, 'identifier reminder failed'));
      return settled;
    },
  };
}

export type ForgotIdentifier = ReturnType<typeof createForgotIdentifier>;
