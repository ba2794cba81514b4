/**
 * Recovery in a real browser (headless Chromium): security questions end to end, the e-mailed
 * temporary password with a captcha the test controls, and every recovery page axe-clean (WCAG 2.1
 * A/AA), including the strict profile's link pages.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { knownCaptcha, seedBasics, startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { authorizationUrl, expectNoAxeViolations, redeemCode, useChromium, waitForCallback, expectStep, submitForm } from '../helpers/browser.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { DEFAULT_QUESTIONS, normaliseAnswer } from '../../src/policy/security-questions.js';
import { normaliseForHash } from '../../src/authenticators/secret/secret-authenticator.js';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'violet tramway under the rain';
const ANSWERS: Record<string, string> = { 'first-pet': 'Médor', 'first-teacher': 'Madame Lefèvre', 'first-concert': 'Téléphone' };
const idOf = new Map(DEFAULT_QUESTIONS.flatMap((q) => [[q.fr, q.id], [q.en, q.id]] as const));
const highLimits = { captchaAfterFailures: 0, perIp: { points: 100000 }, perIdentifier: { points: 100000 } };

const chromium = useChromium();
const captcha = knownCaptcha();
let g: RunningGuichet;
let strict: RunningGuichet;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

const person = (username: string) => ({ username, status: 'active' as const, emailVerified: true, email: `${username}@example.com`, locale: 'fr' as const, roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false });

async function seed(on: RunningGuichet, usernames: string[]): Promise<void> {
  await seedBasics(on);
  await on.admin.seed({ subscriptions: [], accounts: usernames.map(person), clients: [{ ...TEST_CLIENT, client_id: 'card-only', first_party: true, guichet_first_factor: 'card' }] });
  for (const username of usernames) {
    const account = (await on.container.repos.accounts.findByIdentifier({ scheme: 'username', username }))!;
    const answers = await Promise.all(Object.keys(ANSWERS).map(async (questionId, position) => ({ position, questionId, answerHash: await on.container.hasher.hash(normaliseAnswer(ANSWERS[questionId]!)) })));
    await on.container.repos.securityAnswers.replace(account.id, answers, new Date());
  }
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  g = await startGuichet({ captchaSource: captcha, config: { smtpUrl: smtp.url, abuse: highLimits } });
  await seed(g, ['rita', 'sam']);
  strict = await startGuichet({ captchaSource: captcha, config: { smtpUrl: smtp.url, abuse: highLimits, recovery: { emailLinkFirst: true } } });
  await seed(strict, ['tess']);
}, 60_000);
afterAll(async () => {
  await g?.stop();
  await strict?.stop();
  await smtp?.stop();
});

const submit = (page: Page, step: string) => submitForm(page, `form[data-step="${step}"]`);

/** A login begun at the client, the identifier typed, then "forgot your password?". */
async function toRecovery(page: Page, on: RunningGuichet, username: string, clientId = TEST_CLIENT.client_id) {
  const request = authorizationUrl(on.url, { client_id: clientId });
  await page.goto(request.url);
  await expectStep(page, 'identify');
  if (clientId === TEST_CLIENT.client_id) {
    await page.locator('input[name="identifier"]').fill(username);
    await submit(page, 'identify');
    await expectStep(page, 'password');
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Mot de passe oublié ?' }).click()]);
  }
  return request;
}

async function startRecovery(page: Page, username: string, method: 'questions' | 'emailed' | null, answer = captcha.answers.at(-1)!): Promise<void> {
  await page.locator('input[name="identifier"]').fill(username);
  if (method) await page.locator(`input[name="method"][value="${method}"]`).check();
  await page.locator('input[name="captcha"]').fill(answer);
  await submit(page, 'recovery-start');
}

async function answerQuestions(page: Page): Promise<void> {
  for (const label of await page.locator('label[for^="answer_"]').all()) {
    const id = idOf.get((await label.innerText()).trim());
    await page.locator(`#${await label.getAttribute('for')}`).fill(ANSWERS[id ?? ''] ?? 'no idea');
  }
}

describe('recovery pages in Chromium', () => {
  test('CS-03 security-question recovery end to end: captcha, the account’s questions, a refused then an accepted password; the new one signs in, the old one no longer', async () => {
    const page = await chromium.newPage();
    const request = await toRecovery(page, g, 'rita');
    await expectStep(page, 'recovery-start');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.locator('input[name="method"]').count()).toBe(2);
    expect(await page.locator('img[src^="data:image/svg+xml"]').count()).toBe(1);
    await expectNoAxeViolations(page, 'recovery-start');

    await startRecovery(page, 'rita', 'questions', 'WRONG');
    await expectStep(page, 'recovery-start');
    expect(await page.locator('[role="alert"]').innerText()).toContain('ne correspondent pas');
    expect(await page.locator('#captcha').getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'recovery-start with an error');

    await startRecovery(page, 'rita', 'questions');
    await expectStep(page, 'recovery-questions');
    expect(await page.locator('label[for^="answer_"]').allInnerTexts()).toEqual(Object.keys(ANSWERS).map((id) => DEFAULT_QUESTIONS.find((q) => q.id === id)!.fr));
    expect(await page.locator('details.help summary').count()).toBe(1);
    expect(await page.locator('input[name="secret"]').getAttribute('autocomplete')).toBe('new-password');
    await expectNoAxeViolations(page, 'recovery-questions');
    await page.setViewportSize({ width: 320, height: 640 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.locator('input[name="answer_1"]').fill('faux');
    await page.locator('input[name="answer_2"]').fill('faux');
    await page.locator('input[name="answer_3"]').fill('faux');
    await page.locator('input[name="secret"]').fill(NEW_PASSWORD);
    await page.locator('input[name="confirmation"]').fill(NEW_PASSWORD);
    await submit(page, 'recovery-questions');
    await expectStep(page, 'recovery-questions');
    expect(await page.locator('#answer_1').getAttribute('aria-describedby')).toContain('form-error');
    await expectNoAxeViolations(page, 'recovery-questions with an error');

    await answerQuestions(page);
    await page.locator('input[name="secret"]').fill('rita');
    await page.locator('input[name="confirmation"]').fill('rita');
    await submit(page, 'recovery-questions');
    await expectStep(page, 'recovery-secret');
    expect(await page.locator('[role="alert"] li').count()).toBeGreaterThan(0);
    await expectNoAxeViolations(page, 'recovery-secret');

    await page.locator('input[name="secret"]').fill(NEW_PASSWORD);
    await page.locator('input[name="confirmation"]').fill(NEW_PASSWORD);
    await submit(page, 'recovery-secret');
    await expectStep(page, 'recovery-done');
    await expectNoAxeViolations(page, 'recovery-done');

    // Back to the same login: it asks the password, and the new one signs in.
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Revenir à la connexion' }).click()]);
    await expectStep(page, 'password');
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    const [params] = await Promise.all([waitForCallback(page), page.locator('form[data-step="password"] button[type="submit"]').click()]);
    expect((await redeemCode(g.url, params.get('code')!, request.verifier)).status).toBe(200);

    const old = await chromium.newPage();
    await old.goto(authorizationUrl(g.url).url);
    await old.locator('input[name="identifier"]').fill('rita');
    await submit(old, 'identify');
    await old.locator('input[name="password"]').fill(PASSWORD);
    await submit(old, 'password');
    await expectStep(old, 'password');
    expect(await old.locator('[role="alert"]').innerText()).toContain('incorrect');
  });

  test('CS-02 the e-mailed temporary password: captcha, the same confirmation page, a mail in French with a single-use password', async () => {
    const page = await chromium.newPage();
    await toRecovery(page, g, 'sam');
    const before = smtp.mails.length;
    await startRecovery(page, 'sam', 'emailed');
    await expectStep(page, 'recovery-sent');
    expect(await page.locator('[role="status"]').innerText()).toContain('24 heures');
    await expectNoAxeViolations(page, 'recovery-sent');
    const mail = (await smtp.waitFor(before + 1, 10_000)).slice(before).find((m) => m.to === 'sam@example.com')!;
    expect(mail.subject).toBe('Votre mot de passe temporaire Guichet');
    expect(mail.text).toContain('une seule fois');
    expect(mail.html).toContain('<p>');
    const secret = /\n {4}(\S+)\n/.exec(mail.text)![1]!;
    const sam = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'sam' }))!;
    const stored = (await g.container.repos.temporarySecrets.find(sam.id))!;
    expect(await g.container.hasher.verify(stored.secretHash, normaliseForHash(secret))).toBe(true);
    // Asking changed nothing: the current password still works.
    expect(await g.container.hasher.verify((await g.container.repos.credentials.find(sam.id, 'password'))!.secretHash, normaliseForHash(PASSWORD))).toBe(true);

    const unknown = await chromium.newPage();
    await toRecovery(unknown, g, 'nobody-at-all');
    await startRecovery(unknown, 'nobody-at-all', 'emailed');
    await expectStep(unknown, 'recovery-sent');
    expect(await unknown.locator('main').innerText()).toBe(await page.locator('main').innerText());
  });

  test('the blocked, unavailable and strict-profile pages are axe-clean', async () => {
    const page = await chromium.newPage();
    await toRecovery(page, g, 'ghost-of-nobody');
    await startRecovery(page, 'ghost-of-nobody', 'questions');
    for (let i = 0; i < 5; i++) {
      await answerQuestions(page);
      await page.locator('input[name="secret"]').fill(NEW_PASSWORD);
      await page.locator('input[name="confirmation"]').fill(NEW_PASSWORD);
      await submit(page, 'recovery-questions');
    }
    await expectStep(page, 'recovery-blocked');
    await expectNoAxeViolations(page, 'recovery-blocked');

    const card = await chromium.newPage();
    await toRecovery(card, g, '', 'card-only');
    const uid = /\/interaction\/([\w-]+)/.exec(card.url())![1]!;
    await card.goto(`${g.url}/recovery/${uid}`);
    await expectStep(card, 'recovery-unavailable');
    await expectNoAxeViolations(card, 'recovery-unavailable');

    const linkFirst = await chromium.newPage();
    await toRecovery(linkFirst, strict, 'tess');
    expect(await linkFirst.locator('label[for="method-questions"]').innerText()).toContain('lien');
    await startRecovery(linkFirst, 'tess', 'questions');
    await expectStep(linkFirst, 'recovery-link-sent');
    await expectNoAxeViolations(linkFirst, 'recovery-link-sent');
    // The mail leaves after the page answered.
    for (const until = Date.now() + 10_000; !smtp.mails.some((m) => m.to === 'tess@example.com') && Date.now() < until; ) await new Promise((r) => setTimeout(r, 25));
    const link = /(http\S+\/link\?token=\S+)/.exec(smtp.mails.find((m) => m.to === 'tess@example.com')!.text)![1]!;
    await linkFirst.goto(link);
    await expectStep(linkFirst, 'recovery-questions');
    await linkFirst.goto(link);
    await expectStep(linkFirst, 'recovery-link-invalid');
    await expectNoAxeViolations(linkFirst, 'recovery-link-invalid');
  });
});
