/**
 * Passkeys in a real browser: headless Chromium with its virtual authenticator (CDP WebAuthn domain,
 * CTAP2, internal transport, resident keys, user verification) against Guichet's pages, the
 * @simplewebauthn/browser bundle and Guichet's script, under the pages' strict CSP.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import { seedBasics, startGuichet, type RunningGuichet } from '../helpers/guichet.js';
import { RP_ORIGIN, authorizationUrl, expectNoAxeViolations, redeemCode, useChromium, waitForCallback, expectStep, submitForm } from '../helpers/browser.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

const PASSWORD = 'correct horse battery staple';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

const chromium = useChromium();
let g: RunningGuichet;
let samId: string;

beforeAll(async () => {
  // `basic`: no SCA at first access, so a password-only session exists to be refused (PSD2-37).
  g = await startGuichet({ config: { webauthn: { enabled: true }, sca: { profile: 'basic' }, abuse: { captchaAfterFailures: 0 } } });
  await seedBasics(g);
  await g.admin.seed({
    subscriptions: [],
    accounts: [{ username: 'sam', status: 'active', email: 'sam@example.com', emailVerified: true, familyName: 'SAM', locale: 'fr', roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false, totp: { secret: TOTP_SECRET } }],
    clients: [],
  });
  samId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'sam' }))!.id;
}, 30_000);
afterAll(async () => g?.stop());

/** A platform authenticator with a resident key store and user verification, as a phone or laptop has. */
async function withVirtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true } });
}

/** A page whose first form is not its main one (the passkey list comes before the registration form). */
async function expectForm(page: Page, step: string): Promise<void> {
  await page.locator(`form[data-step="${step}"]`).waitFor({ state: 'attached', timeout: 5_000 });
}

const submit = submitForm;

async function password(page: Page, username = 'sam'): Promise<void> {
  await expectStep(page, 'identify');
  await page.locator('form[data-step="identify"] input[name="identifier"]').fill(username);
  await submit(page, 'form[data-step="identify"]');
  await expectStep(page, 'password');
  await page.locator('form[data-step="password"] input[name="password"]').fill(PASSWORD);
  await submit(page, 'form[data-step="password"]');
}

const claimsOf = (idToken: string) => JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; acr: string; amr: string[] };

/** Follows an authorization request whose login ends by pressing `selector`'s button; the tokens the client gets. */
async function tokensAfter(page: Page, auth: ReturnType<typeof authorizationUrl>, act: () => Promise<void>) {
  const callback = waitForCallback(page, 15_000);
  await act();
  const query = await callback;
  // Let the callback's navigation end (it fails: routes do not apply to a redirect's target) before
  // the test navigates again; otherwise its error page may interrupt the next navigation.
  await page.waitForURL((url) => url.href.startsWith(RP_ORIGIN), { timeout: 10_000 }).catch(() => undefined);
  await page.waitForLoadState('load').catch(() => undefined);
  const code = query.get('code');
  if (!code) throw new Error(`no code: ${query.toString()}`);
  const { status, body } = await redeemCode(g.url, code, auth.verifier);
  expect(status).toBe(200);
  return claimsOf(body.id_token as string);
}

describe('passkeys in Chromium', () => {
  test('PSD2-37 ASVS-19 register a passkey after SCA, sign in with it alone (PSD2-02: SCA, phishing resistant) and use it as a step-up', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await withVirtualAuthenticator(context, page);

    // Registration needs SCA: password, then the authenticator app's code.
    await page.goto(`${g.url}/account/passkeys`);
    await password(page);
    await expectStep(page, 'otp');
    await page.locator('form[data-step="otp"] input[name="code"]').fill(generateTotp(decodeBase32(TOTP_SECRET), new Date(), { algorithm: 'SHA1', digits: 6, period: 30 }));
    await submit(page, 'form[data-step="otp"]');
    await expectForm(page, 'profile-passkeys');
    await expectNoAxeViolations(page, 'profile-passkeys');
    await page.locator('form[data-step="profile-passkeys"] input[name="label"]').fill('Ordinateur');
    await submit(page, 'form[data-step="profile-passkeys"]');
    await expectForm(page, 'profile-passkeys');
    expect(page.url()).toContain('done=added');
    const stored = await g.container.repos.factors.listForAccount<{ backupEligible: boolean }>(samId, 'webauthn');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.label).toBe('Ordinateur');
    expect(await page.locator('form[data-step="profile-passkey-revoke"]').count()).toBe(1);
    await expectNoAxeViolations(page, 'profile-passkeys with one passkey');
    const [enrolled] = await g.container.repos.audit.list({ accountId: samId, action: 'factor.enrol', limit: 1 });
    expect(enrolled).toMatchObject({ result: 'success', details: expect.objectContaining({ kind: 'webauthn', acr: 'urn:guichet:loa:sca' }) });

    // Signed out; then usernameless, the passkey alone.
    await context.clearCookies();
    const sca = authorizationUrl(g.url, { acr_values: 'urn:guichet:loa:sca' });
    await page.goto(sca.url);
    await expectStep(page, 'identify');
    const entry = page.locator('form[data-step="passkey-start"]');
    await entry.waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'identify with the passkey entry');
    const alone = await tokensAfter(page, sca, () => entry.locator('button').click());
    expect(alone.sub).toBe(samId);
    expect(alone.acr).toBe('urn:guichet:loa:sca-phr');
    expect(alone.amr).toEqual(expect.arrayContaining(['pop', 'user', 'mfa']));
    expect(alone.amr).not.toContain('pwd');
    const [used] = await g.container.repos.audit.list({ accountId: samId, action: 'login.passkey', limit: 1 });
    expect(used).toMatchObject({ result: 'success', details: expect.objectContaining({ purpose: 'login' }) });

    // A password login, then a client asking for SCA: the passkey instead of the code.
    await context.clearCookies();
    const simple = authorizationUrl(g.url);
    await page.goto(simple.url);
    const first = await tokensAfter(page, simple, () => password(page));
    expect(first.acr).toBe('urn:guichet:loa:simple');
    const stepUp = authorizationUrl(g.url, { acr_values: 'urn:guichet:loa:sca' });
    await page.goto(stepUp.url);
    await expectStep(page, 'otp');
    const instead = page.locator('form[data-step="passkey-start"]');
    await instead.waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'code page with the passkey entry');
    const stepped = await tokensAfter(page, stepUp, () => instead.locator('button').click());
    expect(stepped.acr).toBe('urn:guichet:loa:sca-phr');
    expect(stepped.amr).toEqual(expect.arrayContaining(['pwd', 'pop', 'user', 'mfa']));
  });

  test('PSD2-37 registering a passkey with a password-only session sends the person to SCA first; a POST is refused', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await page.goto(`${g.url}/account`);
    await password(page);
    await expectStep(page, 'profile');
    await page.goto(`${g.url}/account/passkeys`);
    await expectStep(page, 'otp');
    const refused = await context.request.post(`${g.url}/account/passkeys`, { form: { csrf: 'x', response: '{}' }, maxRedirects: 0 });
    expect(refused.status()).toBe(410);
    expect(await g.container.repos.factors.listForAccount(samId, 'webauthn')).toHaveLength(1);
  });

  test('the passkey page is axe clean and says so when the ceremony does not happen; other methods remain', async () => {
    // No authenticator in this context: the ceremony fails and the page offers the way back.
    const context = await chromium.newContext();
    const page = await context.newPage();
    await page.goto(authorizationUrl(g.url).url);
    const entry = page.locator('form[data-step="passkey-start"]');
    await entry.waitFor({ state: 'visible' });
    await submit(page, 'form[data-step="passkey-start"]');
    await expectStep(page, 'passkey');
    await expectNoAxeViolations(page, 'passkey');
    // The way back (the pending ceremony may hold the page's pointer input in headless Chromium: follow its address).
    await page.goto(new URL((await page.locator('a[href$="/passkey/cancel"]').getAttribute('href'))!, g.url).href);
    await expectStep(page, 'identify');
  });

  test('without JavaScript the passkey entry stays hidden and the password login works as before', async () => {
    const context = await chromium.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const auth = authorizationUrl(g.url);
    await page.goto(auth.url);
    await expectStep(page, 'identify');
    expect(await page.locator('form[data-step="passkey-start"]').isVisible()).toBe(false);
    const claims = await tokensAfter(page, auth, () => password(page));
    expect(claims.sub).toBe(samId);
  });
});
