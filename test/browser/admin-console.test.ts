/**
 * The subscription administrators' page in Chromium: signed in through the real login pages, a
 * temporary code issued and shown once, the 403 page for others, axe-core clean in both languages.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import argon2 from 'argon2';
import type { Page } from 'playwright-core';
import { startGuichet, type RunningGuichet } from '../helpers/guichet.js';
import { expectNoAxeViolations, useChromium } from '../helpers/browser.js';
import type { Clock } from '../../src/lib/clock.js';
import type { MailMessage, Mailer } from '../../src/domain/ports.js';
import { translator } from '../../src/i18n/messages.js';

const fr = translator('fr');
const en = translator('en');
const ADMIN_PASSWORD = 'Admin-Console-Pass-2026';
const PLAIN_PASSWORD = 'Plain-Console-Pass-2026';

/** Real time plus an offset the test moves: the provider stamps auth_time on real time. */
const offset = { ms: 0 };
const clock: Clock = { now: () => new Date(Date.now() + offset.ms) };
const sent: MailMessage[] = [];
const mailer: Mailer = { async send(message) { sent.push(message); } };

const chromium = useChromium();
let g: RunningGuichet;
const ids = {} as Record<'lea' | 'admin' | 'other', string>;

const person = (fields: Record<string, unknown>) => ({ status: 'active' as const, emailVerified: false, locale: 'fr' as const, roles: [] as string[], preferences: {}, passwordMustChange: false, ...fields });

beforeAll(async () => {
  g = await startGuichet({ clock, mailer, config: { abuse: { captchaAfterFailures: 0 } } });
  await g.admin.seed({
    subscriptions: [
      { identifier: 'CONS-A', name: 'Console A' },
      { identifier: 'CONS-B', name: 'Console B' },
    ],
    accounts: [
      person({ username: 'console.admin', subscription: 'CONS-A', userNumber: '90', familyName: 'Admin', givenName: 'Ada', roles: ['subscription_admin'], password: ADMIN_PASSWORD }),
      person({ username: 'console.plain', subscription: 'CONS-A', userNumber: '91', familyName: 'Plain', password: PLAIN_PASSWORD }),
      person({ subscription: 'CONS-A', userNumber: '01', familyName: 'Martin', givenName: 'Léa', pin: '482915' }),
      person({ subscription: 'CONS-A', userNumber: '02', familyName: 'Suspendu', status: 'suspended', pin: '593026' }),
      person({ subscription: 'CONS-B', userNumber: '01', familyName: 'Ailleurs', password: 'Other-Console-2026' }),
    ],
    clients: [],
  });
  for (const [key, sub, n] of [['lea', 'CONS-A', '01'], ['admin', 'CONS-A', '90'], ['other', 'CONS-B', '01']] as const) {
    ids[key] = (await g.container.repos.accounts.findByIdentifier({ scheme: 'subscription', subscription: sub, userNumber: n }))!.id;
  }
}, 30_000);
afterAll(async () => g?.stop());

const stepOf = (page: Page) => page.locator('[data-step]').first().getAttribute('data-step');

async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.locator(`${selector} button[type="submit"]`).first().click()]);
}

/** From a page that needs a login: identify, then password, as a person would. */
async function signIn(page: Page, username: string, password: string): Promise<void> {
  expect(await stepOf(page)).toBe('identify');
  await page.locator('form[data-step="identify"] input[name="identifier"]').fill(username);
  await submit(page, 'form[data-step="identify"]');
  await page.locator('form[data-step="password"] input[name="password"]').fill(password);
  await submit(page, 'form[data-step="password"]');
}

/** ASVS-15: no field on the page could take a secret for the user. */
async function expectNoSecretInput(page: Page): Promise<void> {
  expect(await page.locator('input[type="password"], input[name="password"], input[name="pin"], input[name="secret"], input[name="code"]').count()).toBe(0);
}

describe('admin page', () => {
  test('ASVS-11 PSD2-37 a subscription administrator signs in, issues a code shown once, and a reload does not show it again', async () => {
    const page = await chromium.newPage();
    await page.goto(`${g.url}/admin`);
    await signIn(page, 'console.admin', ADMIN_PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(await stepOf(page)).toBe('admin-users');
    expect(await page.locator('h1').innerText()).toBe(fr('admin.title'));
    // Only the administrator's own subscription; the suspended user and the administrator have no form.
    const users = await page.locator('li.user h2').allInnerTexts();
    expect(users).toEqual(['Léa Martin', 'Suspendu', 'Ada Admin', 'Plain']);
    expect(await page.locator('form[data-step="admin-temp-code"]').count()).toBe(2);
    expect(await page.locator('body').innerText()).not.toContain('Ailleurs');
    await expectNoSecretInput(page);
    await expectNoAxeViolations(page, 'admin-users (fr)');

    const lea = page.locator('li.user', { hasText: 'Léa Martin' });
    expect(await lea.locator('select[name="kind"]').inputValue()).toBe('pin');
    await Promise.all([page.waitForEvent('load'), lea.locator('button[type="submit"]').click()]);
    expect(await stepOf(page)).toBe('admin-temp-code-issued');
    const code = await page.locator('#temporary-code').innerText();
    expect(code).toMatch(/^\d{6}$/);
    const text = await page.locator('main').innerText();
    expect(text).toContain(fr('admin.issued.choose'));
    expect(text).toMatch(/Valable jusqu’au .+, pour une seule connexion/);
    await expectNoSecretInput(page);
    await expectNoAxeViolations(page, 'admin-temp-code-issued (fr)');

    const stored = (await g.container.repos.temporarySecrets.find(ids.lea!))!;
    expect(stored).toMatchObject({ kind: 'pin', purpose: 'admin', issuedBy: `account:${ids.admin}` });
    expect(await argon2.verify(stored.secretHash, code)).toBe(true);
    const minutes = (stored.expiresAt.getTime() - clock.now().getTime()) / 60_000;
    expect(minutes).toBeGreaterThan(9.5);
    expect(minutes).toBeLessThanOrEqual(10);

    const reloaded = await page.reload();
    expect(reloaded!.status()).toBe(410);
    expect(await stepOf(page)).toBe('admin-temp-code-gone');
    expect(await page.content()).not.toContain(code);
    await expectNoAxeViolations(page, 'admin-temp-code-gone');

    // PSD2-37: the audit says where it happened and how the administrator had authenticated, not the code.
    const [event] = await g.container.repos.audit.list({ action: 'admin.temporary_code.issued', accountId: ids.lea, limit: 1 });
    expect(event).toMatchObject({ result: 'success', actor: `account:${ids.admin}`, details: { environment: 'admin-page', delivery: 'show', kind: 'pin', actorAuthentication: { session: 'portal', authTime: expect.any(Number), amr: ['pwd'] } } });
    const { rows } = await g.container.db.raw('select * from audit_events');
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(g.logs.join('\n')).not.toContain(code);
  });

  test('the page in English, at 320 px, axe clean; a tampered form for another subscription is refused on the page', async () => {
    const page = await chromium.newPage({ locale: 'en-GB', viewport: { width: 320, height: 640 } });
    await page.goto(`${g.url}/admin?lang=en`);
    await signIn(page, 'console.admin', ADMIN_PASSWORD);
    expect(await stepOf(page)).toBe('admin-users');
    expect(await page.locator('h1').innerText()).toBe(en('admin.title'));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await expectNoAxeViolations(page, 'admin-users (en, 320 px)');

    // The form's hidden account changed to one of another subscription: the list comes back with the refusal.
    await page.locator('li.user', { hasText: 'Plain' }).locator('input[name="account"]').evaluate((input, id) => ((input as HTMLInputElement).value = id), ids.other!);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/temp-code')), page.locator('li.user', { hasText: 'Plain' }).locator('button[type="submit"]').click()]);
    await page.waitForLoadState('load');
    expect(response.status()).toBe(403);
    expect(await page.locator('[role="alert"]').innerText()).toBe(en('admin.refused.other_subscription'));
    expect(await g.container.repos.temporarySecrets.find(ids.other!)).toBeNull();
    await expectNoAxeViolations(page, 'admin-users with an error (en)');
  });

  test('PSD2-39 a login older than freshLoginSeconds sends the administrator to log in again before the page', async () => {
    const page = await chromium.newPage();
    await page.goto(`${g.url}/admin`);
    await signIn(page, 'console.admin', ADMIN_PASSWORD);
    expect(await stepOf(page)).toBe('admin-users');
    offset.ms = 301_000;
    try {
      await page.goto(`${g.url}/admin`);
      expect(await stepOf(page)).not.toBe('admin-users');
      expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    } finally {
      offset.ms = 0;
    }
  });

  test('someone who administers no subscription gets the 403 page', async () => {
    const page = await chromium.newPage();
    const responses: number[] = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname === '/admin') responses.push(r.status()); });
    await page.goto(`${g.url}/admin`);
    await signIn(page, 'console.plain', PLAIN_PASSWORD);
    expect(await stepOf(page)).toBe('admin-forbidden');
    expect(responses.at(-1)).toBe(403);
    expect(await page.locator('form').count()).toBe(0);
    await expectNoAxeViolations(page, 'admin-forbidden');
  });
});
