/**
 * The login pages in a real browser (headless Chromium): the flows a person goes through, keyboard
 * focus and error wiring, WCAG 2.1 A/AA (axe-core), reflow at 320 px, paste into secrets, framing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { knownCaptcha, seedBasics, startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { authorizationUrl, expectNoAxeViolations, redeemCode, RP_ORIGIN, useChromium, waitForCallback, expectStep, submitForm } from '../helpers/browser.js';
import type { MailMessage, Mailer } from '../../src/domain/ports.js';
import { translator } from '../../src/i18n/messages.js';

const fr = translator('fr');
const en = translator('en');

const PASSWORD = 'correct horse battery staple';
const PIN = '739201';

/** Captures outgoing mail instead of writing it to disk. */
function memoryMailer(): Mailer & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return { sent, async send(message) { sent.push(message); } };
}

const account = (fields: { username?: string; subscription?: string; userNumber?: string; password?: string; pin?: string; email?: string }) => ({
  status: 'active' as const,
  emailVerified: false,
  locale: 'fr' as const,
  roles: [],
  preferences: {},
  passwordMustChange: false,
  ...fields,
});

/** Seeds the extra accounts and clients the tests use, each test with accounts of its own. */
async function seedExtras(g: RunningGuichet): Promise<void> {
  await g.admin.seed({
    subscriptions: [{ identifier: 'SUB-2', name: 'Subscription two' }],
    accounts: [
      account({ username: 'carol', password: PASSWORD }),
      account({ username: 'dave', password: PASSWORD }),
      account({ username: 'erin', password: PASSWORD }),
      account({ username: 'frank', password: PASSWORD }),
      account({ subscription: 'SUB-2', userNumber: '07', pin: PIN }),
      account({ subscription: 'SUB-2', userNumber: '08', pin: PIN }),
      account({ subscription: 'SUB-2', userNumber: '09', password: PASSWORD }),
    ],
    clients: [
      { ...TEST_CLIENT, client_id: 'bank', client_name: 'Bank app', guichet_identifier_schemes: ['subscription'], guichet_first_factor: 'pin', first_party: true },
      { ...TEST_CLIENT, client_id: 'both', client_name: 'Both app', guichet_identifier_schemes: ['username', 'subscription'], guichet_first_factor: 'password', first_party: true },
    ],
  });
}

const chromium = useChromium();
let g: RunningGuichet;
const mailer = memoryMailer();

beforeAll(async () => {
  // Many failures come from one address here: no captcha on this instance (the captcha test starts its own).
  g = await startGuichet({ captchaSource: knownCaptcha(), mailer, config: { abuse: { captchaAfterFailures: 0 }, lockout: { maxAttempts: 5 } } });
  await seedBasics(g);
  await seedExtras(g);
}, 30_000);
afterAll(async () => g?.stop());

// ---- driving the pages -------------------------------------------------------------------------

const submit = submitForm;

async function identifyWithUsername(page: Page, username: string, options: { remember?: boolean } = {}): Promise<void> {
  const form = 'form[data-step="identify"][data-scheme="username"]';
  await page.locator(`${form} input[name="identifier"]`).fill(username);
  if (options.remember) await page.locator(`${form} input[name="remember"]`).check();
  await submit(page, form);
}

async function identifyWithSubscription(page: Page, subscription: string, userNumber: string): Promise<void> {
  const form = 'form[data-step="identify"][data-scheme="subscription"]';
  await page.locator(`${form} input[name="subscription"]`).fill(subscription);
  await page.locator(`${form} input[name="user_number"]`).fill(userNumber);
  await submit(page, form);
}

async function enterSecret(page: Page, factor: 'password' | 'pin', secret: string, captcha?: string): Promise<void> {
  const form = `form[data-step="${factor}"]`;
  await page.locator(`${form} input[name="${factor}"]`).fill(secret);
  if (captcha !== undefined) await page.locator(`${form} input[name="captcha"]`).fill(captcha);
  await submit(page, form);
}

/**
 * Runs the last step and asserts the browser was sent to the relying party's callback with a code and
 * the state, and that the code redeems at the token endpoint (with the PKCE verifier).
 */
async function expectLoginAtCallback(page: Page, request: { verifier: string; state: string }, lastStep: () => Promise<void>, clientId = TEST_CLIENT.client_id, guichetUrl = g.url): Promise<void> {
  const [params] = await Promise.all([waitForCallback(page), lastStep()]);
  expect(params.get('error')).toBeNull();
  expect(params.get('state')).toBe(request.state);
  const code = params.get('code');
  expect(code).toBeTruthy();
  const token = await redeemCode(guichetUrl, code!, request.verifier, { client_id: clientId, client_secret: TEST_CLIENT.client_secret });
  expect(token.status).toBe(200);
  expect(token.body.id_token).toEqual(expect.any(String));
}

/** Records every request the browser sends to the relying party (to prove no code left Guichet). */
function watchCallbacks(context: BrowserContext): string[] {
  const seen: string[] = [];
  context.on('request', (r) => {
    if (r.url().startsWith(RP_ORIGIN)) seen.push(r.url());
  });
  return seen;
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? null);

async function waitForFocus(page: Page, id: string): Promise<string | null> {
  await page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 2_000 }).catch(() => undefined);
  return focusedId(page);
}

const waitUntil = async (condition: () => boolean, ms = 3_000) => {
  for (const started = Date.now(); !condition() && Date.now() - started < ms; ) await new Promise((r) => setTimeout(r, 25));
};

// ---- the tests ---------------------------------------------------------------------------------

describe('the login pages in Chromium', () => {
  test('username scheme: identify, password, back at the RP with a code; both pages axe-clean', async () => {
    const page = await chromium.newPage();
    const request = authorizationUrl(g.url);
    await page.goto(request.url);
    await expectStep(page, 'identify');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await waitForFocus(page, 'identifier')).toBe('identifier');
    await expectNoAxeViolations(page, 'identify (username)');
    await identifyWithUsername(page, 'alice');
    await expectStep(page, 'password');
    expect(await waitForFocus(page, 'password')).toBe('password');
    await expectNoAxeViolations(page, 'password');
    await expectLoginAtCallback(page, request, () => enterSecret(page, 'password', PASSWORD));
  });

  test('subscription scheme with a confidential code: subscription, user_number, then pin; axe-clean', async () => {
    const page = await chromium.newPage();
    const request = authorizationUrl(g.url, { client_id: 'bank' });
    await page.goto(request.url);
    await expectStep(page, 'identify');
    expect(await page.locator('form[data-step="identify"]').count()).toBe(1);
    expect(await page.locator('form[data-scheme="subscription"] input[name="identifier"]').count()).toBe(0);
    expect(await page.locator('input[name="user_number"]').getAttribute('autocomplete')).toBe('username');
    expect(await page.locator('[autocomplete="off"], [autocomplete="organization"]').count()).toBe(0);
    await expectNoAxeViolations(page, 'identify (subscription)');
    await identifyWithSubscription(page, 'SUB-2', '07');
    await expectStep(page, 'pin');
    const pin = page.locator('input[name="pin"]');
    expect(await pin.getAttribute('type')).toBe('password');
    expect(await pin.getAttribute('inputmode')).toBe('numeric');
    // A confidential code is a static secret: password managers may keep it (not an SMS one-time code).
    expect(await pin.getAttribute('autocomplete')).toBe('current-password');
    await expectNoAxeViolations(page, 'pin');
    await expectLoginAtCallback(page, request, () => enterSecret(page, 'pin', PIN), 'bank');
  });

  test('both schemes on one client: both forms are on the page and each one logs in', async () => {
    const context = await chromium.newContext();
    const viaUsername = await context.newPage();
    const first = authorizationUrl(g.url, { client_id: 'both' });
    await viaUsername.goto(first.url);
    expect(await viaUsername.locator('form[data-step="identify"]').evaluateAll((forms) => forms.map((f) => f.getAttribute('data-scheme')))).toEqual(['username', 'subscription']);
    expect(await viaUsername.locator('form[data-step="identify"] fieldset legend').count()).toBe(2);
    await expectNoAxeViolations(viaUsername, 'identify (both schemes)');
    await identifyWithUsername(viaUsername, 'frank');
    await expectStep(viaUsername, 'password');
    await expectLoginAtCallback(viaUsername, first, () => enterSecret(viaUsername, 'password', PASSWORD), 'both');

    const viaSubscription = await chromium.newPage();
    const second = authorizationUrl(g.url, { client_id: 'both' });
    await viaSubscription.goto(second.url);
    await identifyWithSubscription(viaSubscription, 'SUB-2', '09');
    await expectStep(viaSubscription, 'password');
    await expectLoginAtCallback(viaSubscription, second, () => enterSecret(viaSubscription, 'password', PASSWORD), 'both');
  });

  test('remember my identifier: prefilled next time with a "not you?" link that forgets it', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    const first = authorizationUrl(g.url);
    await page.goto(first.url);
    expect(await page.getByRole('link', { name: fr('identify.not_you') }).count()).toBe(0);
    await identifyWithUsername(page, 'carol', { remember: true });
    await expectLoginAtCallback(page, first, () => enterSecret(page, 'password', PASSWORD));

    // A new login in the same browser (prompt=login: the session would otherwise skip the pages).
    const second = authorizationUrl(g.url, { prompt: 'login' });
    await page.goto(second.url);
    await expectStep(page, 'identify');
    expect(await page.locator('input[name="identifier"]').inputValue()).toBe('carol');
    expect(await page.locator('input[name="remember"]').isChecked()).toBe(true);
    const notYou = page.getByRole('link', { name: fr('identify.not_you') });
    expect(await notYou.count()).toBe(1);
    await expectNoAxeViolations(page, 'identify (remembered)');

    await Promise.all([page.waitForEvent('load'), notYou.click()]);
    await expectStep(page, 'identify');
    expect(await page.locator('input[name="identifier"]').inputValue()).toBe('');
    expect(await page.locator('input[name="remember"]').isChecked()).toBe(false);
    expect(await page.getByRole('link', { name: fr('identify.not_you') }).count()).toBe(0);
    expect((await context.cookies(g.url)).filter((c) => c.name.startsWith('guichet_remember'))).toEqual([]);

    // The flow still works after forgetting.
    await identifyWithUsername(page, 'carol');
    await expectLoginAtCallback(page, second, () => enterSecret(page, 'password', PASSWORD));
  });

  test('a wrong password: an alert, the input invalid and described by it, focus on the input; axe-clean', async () => {
    const page = await chromium.newPage();
    await page.goto(authorizationUrl(g.url).url);
    await identifyWithUsername(page, 'dave');
    await enterSecret(page, 'password', 'not the password at all');
    await expectStep(page, 'password');
    const alert = page.getByRole('alert');
    expect(await alert.count()).toBe(1);
    expect((await alert.innerText()).trim()).toBe(fr('login.failed'));
    const alertId = await alert.getAttribute('id');
    expect(alertId).toBeTruthy();
    const input = page.locator('input[name="password"]');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect((await input.getAttribute('aria-describedby'))?.split(/\s+/)).toContain(alertId);
    expect(await input.inputValue()).toBe('');
    expect(await page.title()).toMatch(/^Erreur : /);
    expect(await waitForFocus(page, 'password')).toBe('password');
    await expectNoAxeViolations(page, 'password with an error');
  });

  test('PSD2-06 lockout after five failures: five wrong codes, then the right one is refused as blocked', async () => {
    const context = await chromium.newContext();
    const callbacks = watchCallbacks(context);
    const page = await context.newPage();
    await page.goto(authorizationUrl(g.url, { client_id: 'bank' }).url);
    await identifyWithSubscription(page, 'SUB-2', '08');
    for (let attempt = 1; attempt <= 4; attempt++) {
      await enterSecret(page, 'pin', '258046');
      await expectStep(page, 'pin');
      expect(await page.getByRole('alert').count()).toBe(1);
    }
    await enterSecret(page, 'pin', '258046');
    await expectStep(page, 'blocked');
    expect(await page.locator('input[name="pin"]').count()).toBe(0);
    await page.getByRole('link', { name: fr('password.change_identifier') }).click();
    await identifyWithSubscription(page, 'SUB-2', '08');
    await enterSecret(page, 'pin', PIN);
    await expectStep(page, 'blocked');
    expect((await page.getByRole('alert').innerText()).trim()).toBe(fr('login.blocked'));
    expect(new URL(page.url()).origin).toBe(g.url);
    expect(callbacks).toEqual([]);
    await expectNoAxeViolations(page, 'blocked');
  });

  test('captcha after failures: three wrong passwords bring a captcha; a wrong answer is refused; the right one logs in', async () => {
    const captchas = knownCaptcha();
    const g2 = await startGuichet({ captchaSource: captchas, mailer: memoryMailer(), config: { abuse: { captchaAfterFailures: 3 }, lockout: { maxAttempts: 5 } } });
    try {
      await seedBasics(g2);
      const context = await chromium.newContext();
      const callbacks = watchCallbacks(context);
      const page = await context.newPage();
      const request = authorizationUrl(g2.url);
      await page.goto(request.url);
      await identifyWithUsername(page, 'alice');
      expect(await page.locator('input[name="captcha"]').count()).toBe(0);
      for (let attempt = 1; attempt <= 3; attempt++) await enterSecret(page, 'password', `wrong guess ${attempt}`);
      await expectStep(page, 'password');
      const image = page.locator('fieldset.captcha img');
      expect(await image.count()).toBe(1);
      expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      expect(await image.getAttribute('alt')).toBeTruthy();
      expect(await page.getByLabel(fr('captcha.label')).count()).toBe(1);
      expect(captchas.answers.length).toBeGreaterThan(0);
      await expectNoAxeViolations(page, 'password with a captcha');

      await enterSecret(page, 'password', PASSWORD, 'WRONG-ANSWER');
      expect(callbacks).toEqual([]);
      await expectStep(page, 'password');
      expect((await page.getByRole('alert').innerText()).trim()).toBe(fr('captcha.wrong'));
      expect(await page.locator('input[name="captcha"]').getAttribute('aria-invalid')).toBe('true');
      expect(await waitForFocus(page, 'captcha')).toBe('captcha');
      await expectNoAxeViolations(page, 'password with a wrong captcha');

      await expectLoginAtCallback(page, request, () => enterSecret(page, 'password', PASSWORD, captchas.answers.at(-1)!), TEST_CLIENT.client_id, g2.url);
    } finally {
      await g2.stop();
    }
  });

  test('language: the switch link goes to English and back, ui_locales=en gives English, html lang follows', async () => {
    const page = await chromium.newPage();
    await page.goto(authorizationUrl(g.url).url);
    const lang = () => page.locator('html').getAttribute('lang');
    const heading = () => page.getByRole('heading', { level: 1 }).innerText();
    expect(await lang()).toBe('fr');
    expect(await heading()).toBe(fr('identify.title'));
    const switchLink = () => page.getByRole('navigation').getByRole('link');
    expect(await switchLink().getAttribute('lang')).toBe('en');

    await Promise.all([page.waitForEvent('load'), switchLink().click()]);
    expect(await lang()).toBe('en');
    expect(await heading()).toBe(en('identify.title'));
    expect(await page.getByLabel(en('identify.identifier'), { exact: true }).count()).toBe(1);
    expect(await switchLink().getAttribute('lang')).toBe('fr');
    await expectNoAxeViolations(page, 'identify in English');

    // The choice holds on the next step.
    await identifyWithUsername(page, 'alice');
    expect(await lang()).toBe('en');
    expect(await heading()).toBe(en('password.title'));

    await Promise.all([page.waitForEvent('load'), switchLink().click()]);
    expect(await lang()).toBe('fr');
    expect(await heading()).toBe(fr('password.title'));

    const english = await chromium.newPage();
    await english.goto(authorizationUrl(g.url, { ui_locales: 'en' }).url);
    expect(await english.locator('html').getAttribute('lang')).toBe('en');
    expect(await english.getByRole('heading', { level: 1 }).innerText()).toBe(en('identify.title'));
  });

  test('N3-11 paste works and autocomplete is not disabled', async () => {
    const context = await chromium.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: g.url });
    const page = await context.newPage();
    const request = authorizationUrl(g.url);
    await page.goto(request.url);
    const identifier = page.locator('input[name="identifier"]');
    expect(await identifier.getAttribute('autocomplete')).toBe('username');
    await identifyWithUsername(page, 'erin');
    await expectStep(page, 'password');

    const form = page.locator('form[data-step="password"]');
    const password = form.locator('input[name="password"]');
    expect(await password.getAttribute('autocomplete')).toBe('current-password');
    expect(await form.getAttribute('autocomplete')).not.toBe('off');
    expect(await page.locator('form[data-step="password"] input[name="password"][autocomplete="off"], form[autocomplete="off"]').count()).toBe(0);
    expect(await password.getAttribute('onpaste')).toBeNull();

    // No handler cancels a paste event on the field…
    const cancelled = await password.evaluate((input) => {
      const data = new DataTransfer();
      data.setData('text/plain', 'x');
      const event = new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: data });
      input.dispatchEvent(event);
      return event.defaultPrevented;
    });
    expect(cancelled).toBe(false);

    // …and a real paste from the clipboard (Ctrl+V) fills it; the pasted password logs in.
    await page.evaluate((text) => navigator.clipboard.writeText(text), PASSWORD);
    await password.focus();
    await page.keyboard.press('ControlOrMeta+V');
    expect(await password.inputValue()).toBe(PASSWORD);
    await expectLoginAtCallback(page, request, () => submit(page, 'form[data-step="password"]'));
  });

  test('OIDC-13 a foreign page cannot frame the login page', async () => {
    const request = authorizationUrl(g.url);
    const escaped = request.url.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    const framer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><title>Evil</title><h1>Not a bank</h1><iframe id="victim" title="login" src="${escaped}" width="600" height="600"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    try {
      const context = await chromium.newContext();
      const page = await context.newPage();
      const framed: { url: string; xfo: string | undefined; csp: string | undefined }[] = [];
      page.on('response', (r) => {
        if (r.url().startsWith(g.url) && r.request().resourceType() === 'document') framed.push({ url: r.url(), xfo: r.headers()['x-frame-options'], csp: r.headers()['content-security-policy'] });
      });
      const origin = `http://127.0.0.1:${(framer.address() as AddressInfo).port}`;
      await page.goto(`${origin}/`, { waitUntil: 'load' });
      await page.waitForTimeout(300);

      // The browser did ask for the login page inside the frame, and was told not to show it.
      expect(framed.length).toBeGreaterThan(0);
      for (const r of framed) {
        expect(r.xfo).toBe('DENY');
        expect(r.csp).toContain("frame-ancestors 'none'");
      }
      const frame = page.mainFrame().childFrames()[0];
      expect(frame).toBeDefined();
      expect(frame!.url().startsWith(g.url)).toBe(false);
      const loginInFrame = await frame!.locator('[data-step], input[name="identifier"], input[name="password"]').count().catch(() => 0);
      expect(loginInFrame).toBe(0);

      // Control: the same URL at the top level is the login page.
      const top = await context.newPage();
      await top.goto(request.url);
      await expectStep(top, 'identify');
    } finally {
      framer.closeAllConnections();
      await new Promise<void>((resolve) => framer.close(() => resolve()));
    }
  });

  test('forgot identifier: axe-clean, and the same confirmation for a known and an unknown address', async () => {
    const page = await chromium.newPage();
    await page.goto(authorizationUrl(g.url).url);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: fr('identify.forgot') }).click()]);
    await expectStep(page, 'forgot-identifier');
    const forgotUrl = page.url();
    expect(await waitForFocus(page, 'email')).toBe('email');
    await expectNoAxeViolations(page, 'forgot identifier');

    const confirmation = async (email: string) => {
      await page.goto(forgotUrl);
      await page.locator('input[name="email"]').fill(email);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/forgot-identifier')),
        submit(page, 'form[data-step="forgot-identifier"]'),
      ]);
      await expectStep(page, 'forgot-identifier-sent');
      return { status: response.status(), url: page.url(), title: await page.title(), main: await page.locator('main').innerHTML() };
    };
    const before = mailer.sent.length;
    const known = await confirmation('alice@example.com');
    await expectNoAxeViolations(page, 'forgot identifier: sent');
    const unknown = await confirmation('nobody-at-all@example.com');
    expect(unknown).toEqual(known);
    expect(known.main).toContain(fr('forgot.sent'));
    expect(await page.getByRole('status').count()).toBe(1);

    // Only the known address got mail, which the page did not reveal.
    await waitUntil(() => mailer.sent.length > before);
    const sentTo = mailer.sent.slice(before).map((m) => JSON.stringify(m));
    expect(sentTo.some((m) => m.includes('alice@example.com'))).toBe(true);
    expect(sentTo.some((m) => m.includes('nobody-at-all@example.com'))).toBe(false);
  });

  test('reflow at 320 px (a phone, or 400 % zoom): no horizontal scrolling on identify and password pages', async () => {
    const context = await chromium.newContext({ viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    const overflow = async (label: string) => {
      const size = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      return { label, ...size, fits: size.scroll <= 320 };
    };
    const results = [];
    for (const client of [TEST_CLIENT.client_id, 'both', 'bank']) {
      await page.goto(authorizationUrl(g.url, { client_id: client }).url);
      results.push(await overflow(`identify (${client})`));
    }
    await page.goto(authorizationUrl(g.url, { client_id: 'both' }).url);
    await identifyWithUsername(page, 'alice');
    await expectStep(page, 'password');
    results.push(await overflow('password'));
    await page.locator('details.help summary').click();
    results.push(await overflow('password, rules open'));
    await enterSecret(page, 'password', 'wrong');
    results.push(await overflow('password with an error'));
    await page.goto(authorizationUrl(g.url, { client_id: 'bank' }).url);
    await identifyWithSubscription(page, 'SUB-2', '07');
    await expectStep(page, 'pin');
    results.push(await overflow('pin'));
    expect(results.filter((r) => !r.fits)).toEqual([]);
  });
});
