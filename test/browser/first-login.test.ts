/**
 * First login of an account the bank created, in Chromium: a new password, security questions and
 * personal data, then back to the client with a code; each page axe-clean, in French and in
 * English; an interrupted registration resumes at the step it left.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { seedBasics, startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { authorizationUrl, expectNoAxeViolations, redeemCode, useChromium, waitForCallback, expectStep, submitForm } from '../helpers/browser.js';
import { normaliseAnswer } from '../../src/policy/security-questions.js';
import { normaliseForHash } from '../../src/authenticators/secret/secret-authenticator.js';

const INITIAL = 'initial password from the bank';

const pending = (username: string, locale: 'fr' | 'en') => ({ username, status: 'pending_registration' as const, emailVerified: false, locale, roles: [], preferences: {}, password: INITIAL, passwordMustChange: true });

const chromium = useChromium();
let g: RunningGuichet;

beforeAll(async () => {
  g = await startGuichet({ config: { abuse: { captchaAfterFailures: 0 } } });
  await seedBasics(g);
  await g.admin.seed({ subscriptions: [], accounts: [pending('nina', 'fr'), pending('oscar', 'en'), pending('paula', 'fr')], clients: [] });
}, 30_000);
afterAll(async () => g?.stop());

const submit = (page: Page, step: string) => submitForm(page, `form[data-step="${step}"]`);

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await expectStep(page, 'identify');
  await page.locator('form[data-step="identify"] input[name="identifier"]').fill(username);
  await submit(page, 'identify');
  await expectStep(page, 'password');
  await page.locator('input[name="password"]').fill(password);
  await submit(page, 'password');
}

async function chooseNewPassword(page: Page, password: string, confirmation = password): Promise<void> {
  await page.locator('input[name="new_secret"]').fill(password);
  await page.locator('input[name="confirmation"]').fill(confirmation);
  await submit(page, 'new-secret');
}

async function answerQuestions(page: Page, choices: [string, string][]): Promise<void> {
  for (const [i, [question, answer]] of choices.entries()) {
    await page.locator(`select[name="question_${i + 1}"]`).selectOption(question);
    await page.locator(`input[name="answer_${i + 1}"]`).fill(answer);
  }
  await submit(page, 'security-questions');
}

async function fillPersonalData(page: Page, data: { email: string; confirmation?: string; family: string; given?: string; locale: 'fr' | 'en' }): Promise<void> {
  await page.locator('input[name="email"]').fill(data.email);
  await page.locator('input[name="email_confirmation"]').fill(data.confirmation ?? data.email);
  await page.locator('input[name="family_name"]').fill(data.family);
  await page.locator('input[name="given_name"]').fill(data.given ?? '');
  await page.locator('select[name="locale"]').selectOption(data.locale);
}

async function expectCodeAtCallback(page: Page, request: { verifier: string; state: string }, lastStep: () => Promise<void>): Promise<void> {
  const [params] = await Promise.all([waitForCallback(page), lastStep()]);
  expect(params.get('error')).toBeNull();
  expect(params.get('state')).toBe(request.state);
  const token = await redeemCode(g.url, params.get('code')!, request.verifier, { client_id: TEST_CLIENT.client_id, client_secret: TEST_CLIENT.client_secret });
  expect(token.status).toBe(200);
}

const stored = async (username: string) => (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username }))!;

describe('first login (registration) in Chromium', () => {
  test('French: new password, three questions, personal data, back at the client with a code; every page axe-clean', async () => {
    const page = await chromium.newPage({ locale: 'fr-FR' });
    const request = authorizationUrl(g.url);
    await page.goto(request.url);
    await logIn(page, 'nina', INITIAL);

    await expectStep(page, 'new-secret');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await expect(page.locator('h1')).toBeTruthy();
    expect(await page.locator('h1').innerText()).toBe('Choisissez votre mot de passe');
    expect(await page.locator('main').innerText()).toContain('Étape 1 sur 3');
    // The rules sit behind the help toggle.
    expect(await page.locator('details.help summary').innerText()).toBe('Aide sur le mot de passe');
    expect(await page.locator('details.help').getAttribute('open')).toBeNull();
    await expectNoAxeViolations(page, 'new-secret');
    await chooseNewPassword(page, 'un chemin de traverse', 'un chemin de travers');
    await expectStep(page, 'new-secret');
    expect(await page.locator('[role="alert"]').innerText()).toContain('Les deux saisies ne sont pas identiques.');
    expect(await page.locator('#confirmation').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#confirmation').getAttribute('aria-describedby')).toBe('confirmation-error');
    await expectNoAxeViolations(page, 'new-secret with an error');
    await chooseNewPassword(page, 'un chemin de traverse');

    await expectStep(page, 'security-questions');
    expect(await page.locator('main').innerText()).toContain('Étape 2 sur 3');
    expect(await page.locator('select[name="question_1"] option').count()).toBe(11);
    await expectNoAxeViolations(page, 'security-questions');
    await answerQuestions(page, [['first-pet', 'Médor'], ['first-pet', 'Rue de la Paix'], ['first-car', 'x']]);
    await expectStep(page, 'security-questions');
    const alert = await page.locator('[role="alert"]').innerText();
    expect(alert).toContain('Question 2 : choisissez une question différente des autres.');
    expect(alert).toContain('Réponse 3 : saisissez au moins 2 caractères.');
    expect(await page.locator('#question_2').getAttribute('aria-invalid')).toBe('true');
    // The questions already chosen are kept; answers are never sent back.
    expect(await page.locator('#question_1').inputValue()).toBe('first-pet');
    expect(await page.locator('#answer_1').inputValue()).toBe('');
    await expectNoAxeViolations(page, 'security-questions with errors');
    await answerQuestions(page, [['first-pet', 'Médor'], ['childhood-street', '  Rue de la  Paix '], ['first-car', 'Renault']]);

    await expectStep(page, 'personal-data');
    expect(await page.locator('main').innerText()).toContain('Étape 3 sur 3');
    await expectNoAxeViolations(page, 'personal-data');
    await fillPersonalData(page, { email: 'nina@example.com', confirmation: 'nina@example.org', family: 'Lefèvre', given: 'Nina', locale: 'fr' });
    await submit(page, 'personal-data');
    await expectStep(page, 'personal-data');
    expect(await page.locator('[role="alert"]').innerText()).toContain('Les deux adresses e-mail ne sont pas identiques.');
    expect(await page.locator('#email_confirmation').getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'personal-data with an error');
    await fillPersonalData(page, { email: 'nina@example.com', family: 'Lefèvre', given: 'Nina', locale: 'fr' });
    await expectCodeAtCallback(page, request, () => submit(page, 'personal-data'));

    const nina = await stored('nina');
    expect(nina).toMatchObject({ status: 'active', email: 'nina@example.com', familyName: 'Lefèvre', givenName: 'Nina', locale: 'fr' });
    const answers = await g.container.repos.securityAnswers.list(nina.id);
    expect(answers.map((a) => a.questionId)).toEqual(['first-pet', 'childhood-street', 'first-car']);
    // Stored as argon2id of the normalised answer: never in clear.
    expect(answers[1]!.answerHash).toMatch(/^\$argon2id\$/);
    expect(await g.container.hasher.verify(answers[1]!.answerHash, normaliseAnswer('rue de la paix'))).toBe(true);
    const credential = await g.container.repos.credentials.find(nina.id, 'password');
    expect(credential!.mustChange).toBe(false);
  });

  test('English: interrupted after the questions, the next login resumes at personal data', async () => {
    const first = await chromium.newPage({ locale: 'en-GB' });
    await first.goto(authorizationUrl(g.url).url);
    await logIn(first, 'oscar', INITIAL);
    await expectStep(first, 'new-secret');
    expect(await first.locator('html').getAttribute('lang')).toBe('en');
    expect(await first.locator('h1').innerText()).toBe('Choose your password');
    await expectNoAxeViolations(first, 'new-secret (en)');
    await chooseNewPassword(first, 'a quiet harbour at dawn');
    await expectStep(first, 'security-questions');
    expect(await first.locator('select[name="question_1"] option[value="first-pet"]').innerText()).toBe('What was the name of your first pet?');
    await expectNoAxeViolations(first, 'security-questions (en)');
    await answerQuestions(first, [['first-job', 'Paper round'], ['first-concert', 'Blur'], ['holiday-place', 'Brittany']]);
    await expectStep(first, 'personal-data');
    await first.context().close();

    const oscar = await stored('oscar');
    expect(oscar.status).toBe('pending_registration');
    expect(await g.container.repos.securityAnswers.list(oscar.id)).toHaveLength(3);

    const page = await chromium.newPage({ locale: 'en-GB' });
    const request = authorizationUrl(g.url);
    await page.goto(request.url);
    await logIn(page, 'oscar', 'a quiet harbour at dawn');
    await expectStep(page, 'personal-data');
    expect(await page.locator('main').innerText()).toContain('Step 3 of 3');
    expect(await page.locator('h1').innerText()).toBe('Your details');
    await expectNoAxeViolations(page, 'personal-data (en)');
    // One address per account, whatever its case.
    await fillPersonalData(page, { email: 'Alice@Example.com', family: 'Wilde', locale: 'en' });
    await submit(page, 'personal-data');
    await expectStep(page, 'personal-data');
    expect(await page.locator('[role="alert"]').innerText()).toContain('This e-mail address already belongs to another account.');
    await fillPersonalData(page, { email: 'oscar@example.com', family: 'Wilde', locale: 'en' });
    await expectCodeAtCallback(page, request, () => submit(page, 'personal-data'));
    expect(await stored('oscar')).toMatchObject({ status: 'active', email: 'oscar@example.com', familyName: 'Wilde', givenName: null, locale: 'en' });
  });

  test('an expired password: the new-secret page (axe-clean), a new password, back at the client; the old one no longer works', async () => {
    const OLD = 'a password kept far too long';
    const NEW = 'a fresh password for spring';
    await g.admin.seed({ subscriptions: [], accounts: [{ username: 'quentin', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: OLD, passwordMustChange: false }], clients: [] });
    const quentin = await stored('quentin');
    const now = g.container.clock.now();
    await g.container.repos.credentials.upsert({ accountId: quentin.id, kind: 'password', secretHash: await g.container.hasher.hash(normaliseForHash(OLD)), setAt: new Date(now.getTime() - 100 * 86_400_000), mustChange: false, expiresAt: new Date(now.getTime() - 86_400_000) });

    const page = await chromium.newPage({ locale: 'en-GB' });
    const request = authorizationUrl(g.url);
    await page.goto(request.url);
    await logIn(page, 'quentin', OLD);
    await expectStep(page, 'new-secret');
    expect(await page.locator('main').innerText()).toContain('Your password has expired');
    // Not a registration: no "step n of m".
    expect(await page.locator('main').innerText()).not.toMatch(/Step \d of \d/);
    await expectNoAxeViolations(page, 'new-secret (expired password)');
    await chooseNewPassword(page, OLD);
    await expectStep(page, 'new-secret');
    expect(await page.locator('[role="alert"]').innerText()).toContain('Choose a secret different from the current one.');
    await expectCodeAtCallback(page, request, () => chooseNewPassword(page, NEW));
    const renewed = await g.container.repos.credentials.find(quentin.id, 'password');
    expect(renewed!.expiresAt === null || renewed!.expiresAt.getTime() > now.getTime()).toBe(true);

    // The old password is refused now; the new one goes straight back to the client.
    const again = await chromium.newPage({ locale: 'en-GB' });
    await again.goto(authorizationUrl(g.url).url);
    await logIn(again, 'quentin', OLD);
    await expectStep(again, 'password');
    expect(await again.locator('[role="alert"]').count()).toBeGreaterThan(0);
    const next = await chromium.newPage({ locale: 'en-GB' });
    const second = authorizationUrl(g.url);
    await next.goto(second.url);
    await expectCodeAtCallback(next, second, () => logIn(next, 'quentin', NEW));
  });

  test('the registration pages reflow at 320 px', async () => {
    const page = await chromium.newPage({ viewport: { width: 320, height: 640 } });
    await page.goto(authorizationUrl(g.url).url);
    await logIn(page, 'paula', INITIAL);
    const fits = async (label: string) => {
      const size = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      return { label, fits: size.scroll <= 320 };
    };
    await expectStep(page, 'new-secret');
    const results = [await fits('new-secret')];
    await chooseNewPassword(page, 'narrow screens are fine');
    await expectStep(page, 'security-questions');
    results.push(await fits('security-questions'));
    await answerQuestions(page, [['first-pet', 'Minou'], ['first-teacher', 'Madame Roux'], ['childhood-hero', 'Zorro']]);
    await expectStep(page, 'personal-data');
    results.push(await fits('personal-data'));
    expect(results).toEqual(results.map((r) => ({ ...r, fits: true })));
  });
});
