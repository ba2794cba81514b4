import type { Logger } from 'pino';
import type { AccountRepository, AuditLog, Mailer } from '../domain/ports.js';
import type { LockoutEvent } from '../policy/lockout.js';
import { translator } from '../i18n/messages.js';
import { renderMail } from './mail-content.js';

/**
 * PSD2 RTS art. 4(4): the owner hears of every block, and of the last temporary one before the
 * permanent block. An audit event always; an e-mail when an address is on file.
 */
export function createLockoutAlerts(deps: { accounts: Pick<AccountRepository, 'findById'>; audit: AuditLog; mailer: Mailer; logger: Logger; maxAttempts: number }) {
  return async (event: LockoutEvent): Promise<void> => {
    const account = await deps.accounts.findById(event.credential.accountId);
    await deps.audit.record({
      action: event.lastTemporary ? 'credential.block_warning' : 'credential.block_alert',
      result: 'success',
      accountId: event.credential.accountId,
      reason: event.permanent ? 'permanent' : 'temporary',
      details: { kind: event.credential.kind, until: event.until?.toISOString() ?? null, lastTemporary: event.lastTemporary },
    });
    if (!account?.email) return;
    const t = translator(account.locale);
    const factor = t(event.credential.kind === 'pin' ? 'factor.pin' : 'factor.password');
    const n = String(deps.maxAttempts);
    const mail = event.permanent
      ? renderMail(t('mail.blocked.subject'), t('mail.blocked.body', { factor, n }))
      : renderMail(t('mail.blocked_temporary.subject'), t('mail.blocked_temporary.body', { factor, n, time: event.until!.toLocaleString(account.locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' }), warning: event.lastTemporary ? t('mail.blocked_last_warning') : '' }));
    try {
      await deps.mailer.send({ to: account.email, ...mail });
    } catch (err) {
      deps.logger.error({ err }, 'block alert mail failed');
    }
  };
}
