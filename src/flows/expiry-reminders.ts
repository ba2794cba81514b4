import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CredentialKind, SecretCredential } from '../domain/credential.js';
import type { AccountRepository, AuditLog, CredentialRepository, ExpiringStore, Mailer } from '../domain/ports.js';
import type { Clock } from '../lib/clock.js';
import { translator } from '../i18n/messages.js';
import { renderMail } from './mail-content.js';

const DAY = 86_400_000;
/** An expiry older than this gets no "has expired" mail any more (a job that was down for long stays quiet). */
const LATE_LIMIT_DAYS = 7;
const BATCH = 500;

export interface ExpiryReminderDependencies {
  credentials: Pick<CredentialRepository, 'listExpiring'>;
  accounts: Pick<AccountRepository, 'findById'>;
  store: ExpiringStore;
  mailer: Mailer;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  config: Readonly<Pick<Config, 'expiry' | 'issuer'>>;
}

/**
 * The reminder due now for a secret: the most urgent of the configured "N days before" that has
 * been reached (0 = it has expired). Pure, so the schedule is tested without a clock.
 */
export function dueReminder(expiresAt: Date, now: Date, daysBefore: readonly number[]): number | null {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return left > -LATE_LIMIT_DAYS * DAY ? 0 : null;
  const reached = daysBefore.filter((d) => left <= d * DAY);
  return reached.length > 0 ? Math.min(...reached) : null;
}

/**
 * Reminder e-mails before and at a secret's expiry. Every process runs the job; a lock in the
 * shared store (SET NX, per credential, expiry date and reminder) makes each mail go out once
 * whichever process gets there first, and a secret changed since has a new expiry, hence new locks.
 */
export function createExpiryReminders(deps: ExpiryReminderDependencies) {
  const { config } = deps;

  async function remind(kind: CredentialKind, credential: SecretCredential, days: number): Promise<boolean> {
    const expiresAt = credential.expiresAt!;
    const lock = `expiry-reminder:${credential.id}:${expiresAt.getTime()}:${days}`;
    const ttl = Math.ceil((expiresAt.getTime() - deps.clock.now().getTime()) / 1000) + (LATE_LIMIT_DAYS + 1) * 86_400;
    if (!(await deps.store.setIfAbsent(lock, '1', Math.max(ttl, 3600)))) return false;
    const account = await deps.accounts.findById(credential.accountId);
    if (!account || account.status === 'suspended' || !account.email) return false;
    const t = translator(account.locale);
    const date = expiresAt.toLocaleDateString(account.locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' });
    const params = { kind: t(`expiry.kind.${kind}`), days: String(days), date, link: new URL('/account', config.issuer).href };
    const mail = days === 0 ? renderMail(t('mail.expiry.now.subject', params), t('mail.expiry.now.body', params)) : renderMail(t('mail.expiry.soon.subject', params), t('mail.expiry.soon.body', params));
    await deps.mailer.send({ to: account.email, ...mail });
    await deps.audit.record({ action: 'credential.expiry_reminder', result: 'success', actor: 'system:expiry-job', accountId: account.id, details: { kind, daysBefore: days, expiresAt: expiresAt.toISOString() } });
    return true;
  }

  /** One pass over every kind whose expiry is on; returns how many mails this process sent. */
  async function runOnce(): Promise<number> {
    let sent = 0;
    const now = deps.clock.now();
    for (const kind of ['password', 'pin'] as const) {
      const rule = config.expiry[kind];
      if (rule.days === 0) continue;
      const horizon = new Date(now.getTime() + Math.max(0, ...rule.remindDaysBefore) * DAY + 1);
      let since = new Date(now.getTime() - LATE_LIMIT_DAYS * DAY);
      for (;;) {
        const batch = await deps.credentials.listExpiring(kind, since, horizon, BATCH);
        for (const credential of batch) {
          const days = dueReminder(credential.expiresAt!, now, rule.remindDaysBefore);
          if (days !== null && (await remind(kind, credential, days))) sent++;
        }
        if (batch.length < BATCH) break;
        since = new Date(batch[batch.length - 1]!.expiresAt!.getTime() + 1);
      }
    }
    return sent;
  }

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  return {
    runOnce,
    /** Runs at once, then every `expiry.jobIntervalSeconds`; failures are logged and retried next time. */
    start(): void {
      if (timer || (config.expiry.password.days === 0 && config.expiry.pin.days === 0)) return;
      const tick = () => {
        running = runOnce().catch((err: unknown) => deps.logger.error({ err }, 'expiry reminders failed'));
      };
      tick();
      timer = setInterval(tick, config.expiry.jobIntervalSeconds * 1000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type ExpiryReminders = ReturnType<typeof createExpiryReminders>;
