import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManualClock } from '../../src/lib/clock.js';
import { createExpiryReminders } from '../../src/flows/expiry-reminders.js';
import { seedBasics, startGuichet, type RunningGuichet } from '../helpers/guichet.js';
import { startSmtpServer } from '../helpers/smtp.js';

const DAY = 86_400_000;

/** Reminder e-mails before and at expiry, sent once per account and reminder across processes. */
describe('password expiry reminders', () => {
  const clock = new ManualClock(new Date('2027-01-04T08:00:00Z'));
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let g: RunningGuichet;
  const start = clock.now().getTime();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    g = await startGuichet({ clock, config: { smtpUrl: smtp.url, expiry: { password: { days: 90, remindDaysBefore: [14, 3] } } } });
    await seedBasics(g);
    await g.admin.seed({ subscriptions: [], clients: [], accounts: [{ username: 'emma', status: 'active', email: 'emma@example.com', emailVerified: true, locale: 'en', roles: [], preferences: {}, password: 'emma long password 2027', passwordMustChange: false }] });
    for (const username of ['alice', 'bob', 'emma']) {
      const account = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username }))!;
      const credential = (await g.container.repos.credentials.find(account.id, 'password'))!;
      await g.container.repos.credentials.upsert({ accountId: account.id, kind: 'password', secretHash: credential.secretHash, setAt: clock.now(), mustChange: false, expiresAt: new Date(start + 90 * DAY) });
    }
  });
  afterAll(async () => {
    await g.stop();
    await smtp.stop();
  });

  /** Two processes' jobs running at the same moment, sharing the store (Redis) and the database. */
  const twoProcesses = () => {
    const c = g.container;
    const deps = { credentials: c.repos.credentials, accounts: c.repos.accounts, store: c.store, mailer: c.mailer, audit: c.repos.audit, clock, logger: c.logger, config: c.config };
    return [createExpiryReminders(deps), createExpiryReminders(deps)] as const;
  };

  test('no mail before the first reminder', async () => {
    clock.set(new Date(start + 60 * DAY));
    const [a, b] = twoProcesses();
    expect((await a.runOnce()) + (await b.runOnce())).toBe(0);
  });

  test('14 days before: one mail per account although two processes run the job at once, in the account’s language; none to a suspended account', async () => {
    clock.set(new Date(start + 76 * DAY));
    const [a, b] = twoProcesses();
    const sent = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce()]);
    expect(sent.reduce((x, y) => x + y, 0)).toBe(2);
    const mails = await smtp.waitFor(2);
    const byRecipient = Object.fromEntries(mails.map((m) => [m.to, m]));
    expect(Object.keys(byRecipient).sort()).toEqual(['alice@example.com', 'emma@example.com']);
    expect(byRecipient['alice@example.com']!.subject).toBe('Votre mot de passe Guichet expire dans 14 jours');
    expect(byRecipient['emma@example.com']!.subject).toBe('Your Guichet password expires in 14 days');
    expect(byRecipient['emma@example.com']!.text).toContain(`${g.url}/account`);
    expect(byRecipient['emma@example.com']!.html).toContain('<p>');
    // Running again the same day sends nothing more.
    expect(await a.runOnce()).toBe(0);
  });

  test('3 days before, then at expiry: the next reminders, once each', async () => {
    clock.set(new Date(start + 88 * DAY));
    const [a, b] = twoProcesses();
    expect((await Promise.all([a.runOnce(), b.runOnce()])).reduce((x, y) => x + y, 0)).toBe(2);
    clock.set(new Date(start + 90 * DAY + 3600_000));
    expect((await Promise.all([a.runOnce(), b.runOnce()])).reduce((x, y) => x + y, 0)).toBe(2);
    const mails = await smtp.waitFor(6);
    expect(mails.filter((m) => m.to === 'emma@example.com').map((m) => m.subject)).toEqual(['Your Guichet password expires in 14 days', 'Your Guichet password expires in 3 days', 'Your Guichet password has expired']);
    expect(await a.runOnce()).toBe(0);
  });

  test('the audit records each reminder without any secret', async () => {
    const events = await g.container.repos.audit.list({ action: 'credential.expiry_reminder' });
    expect(events).toHaveLength(6);
    expect(JSON.stringify(events)).not.toContain('emma long password');
  });
});
