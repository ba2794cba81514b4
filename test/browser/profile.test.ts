/**
 * The profile at /account in a real browser (headless Chromium): signed in through the real login
 * pages, the changes a person makes, WCAG 2.1 A/AA (axe-core) on every profile page, reflow at 320 px.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { seedBasics, startGuichet, type RunningGuichet } from '../helpers/guichet.js';
import { authorizationUrl, expectNoAxeViolations, redeemCode, useChromium, waitForCallback, expectStep, submitForm } from '../helpers/browser.js';
import type { MailMessage, Mailer } from '../../src/domain/ports.js';
import { translator } from '../../src/i18n/messages.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

const fr = translator('fr');
const en = translator('en');
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase 42';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function memoryMailer(): Mailer & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return { sent, async send(message) { sent.push(message); } };
}

const chromium = useChromium();
let g: RunningGuichet;
const mailer = memoryMailer();

beforeAll(async () => {
  g = await startGuichet({ mailer, config: { abuse: { captchaAfterFailures: 0 } } });
  await seedBasics(g);
  await g.admin.seed({
    subscriptions: [],
    accounts: ['paul', 'rita', 'sam', 'tom'].map((username) => ({
      username,
      status: 'active' as const,
      email: `${username}@example.com`,
      emailVerified: true,
      familyName: username.toUpperCase(),
      locale: 'fr' as const,
      roles: [],
      preferences: {},
      password: PASSWORD,
      passwordMustChange: false,
      ...(username === 'sam' ? { totp: { secret: TOTP_SECRET } } : {}),
    })),
    clients: [],
  });
}, 30_000);
afterAll(async () => g?.stop());

const submit = submitForm;

/** Opens a profile URL and signs in through the real identify and password pages. */
async function signInAt(page: Page, path: string, username: string, password = PASSWORD): Promise<void> {
  await page.goto(`${g.url}${path}`);
  await expectStep(page, 'identify');
  await page.locator('form[data-step="identify"] input[name="identifier"]').fill(username);
  await submit(page, 'form[data-step="identify"]');
  await expectStep(page, 'password');
  await page.locator('form[data-step="password"] input[name="password"]').fill(password);
  await submit(page, 'form[data-step="password"]');
}

async function fitsAt320(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= 320);
}

describe('profile in a browser', () => {
  test('change names, language and preferences; the profile and the form are axe clean, errors are wired', async () => {
    const page = await chromium.newPage();
    await signInAt(page, '/account', 'paul');
    await expectStep(page, 'profile');
    expect(await page.locator('h1').innerText()).toBe(fr('profile.title'));
    await expectNoAxeViolations(page, 'profile');

    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: fr('profile.link.details') }).click()]);
    await expectStep(page, 'profile-details');
    await expectNoAxeViolations(page, 'profile-details');

    await page.getByLabel(fr('profile.family_name'), { exact: true }).fill('');
    await page.getByLabel(fr('profile.default_landing')).fill('//elsewhere');
    await submit(page, 'form[data-step="profile-details"]');
    await expectStep(page, 'profile-details');
    expect(await page.title()).toContain(fr('title.error', { title: fr('profile.details.title') }));
    expect(await page.getByRole('alert').first().innerText()).toContain(fr('profile.family_name.required'));
    expect(await page.locator('#family_name').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#default_landing').getAttribute('aria-describedby')).toContain('default_landing-error');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('family_name');
    await expectNoAxeViolations(page, 'profile-details with errors');

    await page.getByLabel(fr('profile.family_name'), { exact: true }).fill('Lefèvre');
    await page.getByLabel(fr('profile.given_name')).fill('Paul');
    await page.getByLabel('English').check();
    await page.getByLabel(fr('profile.default_contract')).fill('CTR-0009');
    await page.getByLabel(fr('profile.default_country')).selectOption('BE');
    await page.getByLabel(fr('profile.default_landing')).fill('dashboard');
    await submit(page, 'form[data-step="profile-details"]');
    await expectStep(page, 'profile');
    expect(await page.locator('h1').innerText()).toBe(en('profile.title'));
    expect(await page.getByRole('status').innerText()).toBe(en('profile.done.details'));
    const body = await page.locator('main').innerText();
    for (const text of ['Lefèvre', 'Paul', 'English', 'CTR-0009', 'Belgium', 'dashboard']) expect(body).toContain(text);
    await expectNoAxeViolations(page, 'profile in English');
    const paul = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'paul' });
    expect(paul).toMatchObject({ familyName: 'Lefèvre', givenName: 'Paul', locale: 'en', preferences: { defaultContract: 'CTR-0009', defaultCountry: 'BE', defaultLanding: 'dashboard' } });
  });

  test('change the password with the current one; the new one then works at the login', async () => {
    const page = await chromium.newPage();
    await signInAt(page, '/account/secret', 'rita');
    await expectStep(page, 'profile-secret');
    expect(await page.locator('h1').innerText()).toBe(fr('profile.secret.title.password'));
    await expectNoAxeViolations(page, 'profile-secret');

    await page.getByLabel(fr('profile.secret.current.password')).fill('not the password');
    await page.getByLabel(fr('profile.secret.new.password')).fill(NEW_PASSWORD);
    await page.getByLabel(fr('profile.secret.confirmation')).fill(NEW_PASSWORD);
    await submit(page, 'form[data-step="profile-secret"]');
    await expectStep(page, 'profile-secret');
    expect(await page.locator('#current_secret').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#current_secret-error').innerText()).toBe(fr('profile.secret.current_wrong', { factor: fr('factor.password'), n: '4' }));
    await expectNoAxeViolations(page, 'profile-secret with an error');

    await page.getByLabel(fr('profile.secret.current.password')).fill(PASSWORD);
    await page.getByLabel(fr('profile.secret.new.password')).fill(NEW_PASSWORD);
    await page.getByLabel(fr('profile.secret.confirmation')).fill(NEW_PASSWORD);
    await submit(page, 'form[data-step="profile-secret"]');
    await expectStep(page, 'profile');
    expect(await page.getByRole('status').innerText()).toBe(fr('profile.done.password'));
    expect(mailer.sent.find((m) => m.to === 'rita@example.com')?.subject).toBe(fr('profile.mail.secret_changed.subject', { factor: fr('factor.password') }));

    const login = await chromium.newPage();
    const request = authorizationUrl(g.url);
    await login.goto(request.url);
    await login.locator('form[data-step="identify"] input[name="identifier"]').fill('rita');
    await submit(login, 'form[data-step="identify"]');
    await login.locator('form[data-step="password"] input[name="password"]').fill(NEW_PASSWORD);
    const [params] = await Promise.all([waitForCallback(login), login.locator('form[data-step="password"] button[type="submit"]').click()]);
    expect(params.get('code')).toBeTruthy();
    expect((await redeemCode(g.url, params.get('code')!, request.verifier)).status).toBe(200);
  });

  test('every other profile page is axe clean, and the profile, e-mail and app pages reflow at 320 px', async () => {
    const context = await chromium.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await signInAt(page, '/account', 'sam');
    await expectStep(page, 'profile');
    expect(await fitsAt320(page)).toBe(true);

    await page.goto(`${g.url}/account/email`);
    await expectStep(page, 'profile-email');
    await expectNoAxeViolations(page, 'profile-email');
    expect(await fitsAt320(page)).toBe(true);
    await page.getByLabel(fr('profile.email.new')).fill('sam.new@example.com');
    await page.getByLabel(fr('profile.email.confirmation')).fill('sam.other@example.com');
    await submit(page, 'form[data-step="profile-email"]');
    await expectStep(page, 'profile-email');
    await expectNoAxeViolations(page, 'profile-email with an error');
    await page.getByLabel(fr('profile.email.confirmation')).fill('sam.new@example.com');
    await submit(page, 'form[data-step="profile-email"]');
    await expectStep(page, 'profile-email-sent');
    await expectNoAxeViolations(page, 'profile-email-sent');
    const link = /(http:\/\/\S+token=[\w-]+)/.exec(mailer.sent.find((m) => m.to === 'sam.new@example.com')!.text)![1]!;
    await page.goto(link);
    await expectStep(page, 'profile-email-confirm');
    await expectNoAxeViolations(page, 'profile-email-confirm');
    await submit(page, 'form[data-step="profile-email-confirm"]');
    await expectStep(page, 'profile');
    expect(await page.getByRole('status').innerText()).toBe(fr('profile.done.email'));
    await page.goto(link);
    await expectStep(page, 'profile-email-invalid');
    await expectNoAxeViolations(page, 'profile-email-invalid');

    await page.goto(`${g.url}/account/questions`);
    await expectStep(page, 'profile-questions');
    await expectNoAxeViolations(page, 'profile-questions');
    await page.locator('#question_1').selectOption('first-pet');
    await page.locator('#question_2').selectOption('first-pet');
    await submit(page, 'form[data-step="profile-questions"]');
    await expectStep(page, 'profile-questions');
    await expectNoAxeViolations(page, 'profile-questions with errors');
    await page.locator('#question_2').selectOption('first-car');
    await page.locator('#question_3').selectOption('first-job');
    await page.locator('#answer_1').fill('Médor');
    await page.locator('#answer_2').fill('Renault');
    await page.locator('#answer_3').fill('Serveur');
    await submit(page, 'form[data-step="profile-questions"]');
    await expectStep(page, 'profile');

    // The session is password-only: the app page first asks for the current app's code (step-up to SCA).
    await page.goto(`${g.url}/account/totp`);
    await expectStep(page, 'otp');
    await page.locator('form[data-step="otp"] input[name="code"]').fill(generateTotp(decodeBase32(TOTP_SECRET), new Date(), { algorithm: 'SHA1', digits: 6, period: 30 }));
    await submit(page, 'form[data-step="otp"]');
    await expectStep(page, 'profile-totp');
    expect(await page.getByRole('img', { name: fr('profile.totp.qr_label') }).count()).toBe(1);
    await expectNoAxeViolations(page, 'profile-totp');
    expect(await fitsAt320(page)).toBe(true);
    const newSecret = (await page.locator('pre[data-manual-key]').getAttribute('data-manual-key'))!;
    await page.locator('form[data-step="profile-totp"] input[name="code"]').fill(generateTotp(decodeBase32(newSecret), new Date(), { algorithm: 'SHA1', digits: 6, period: 30 }));
    await submit(page, 'form[data-step="profile-totp"]');
    await expectStep(page, 'profile');
    expect(await page.getByRole('status').innerText()).toBe(fr('profile.done.totp'));

    const other = await chromium.newPage();
    await signInAt(other, '/account/totp', 'tom');
    await expectStep(other, 'profile-totp-unavailable');
    await expectNoAxeViolations(other, 'profile-totp-unavailable');
  });
});
