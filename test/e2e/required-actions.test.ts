/**
 * Required actions between the last factor and the end of a login, without a browser: an expired
 * password, temporary secrets (single use, expiring, superseded, own lockout, never instead of the
 * second factor) and a registration whose steps the deployment chooses.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { seedBasics, startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword, stepOf, type Page } from '../helpers/browserless.js';
import { ManualClock } from '../../src/lib/clock.js';
import { generateTemporarySecret, issueTemporarySecret } from '../../src/authenticators/secret/temporary-secret.js';
import { normaliseForHash } from '../../src/authenticators/secret/secret-authenticator.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';
import type { CredentialKind } from '../../src/domain/credential.js';

const PASSWORD = 'correct horse battery staple';
const DAY = 86400_000;
const clock = new ManualClock(new Date('2026-11-23T10:00:05Z'));
let g: RunningGuichet;
let rp: oidc.Configuration;

const account = (username: string, over: Record<string, unknown> = {}) => ({ username, status: 'active' as const, emailVerified: false, locale: 'en' as const, roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false, ...over });

beforeAll(async () => {
  g = await startGuichet({ clock, config: { abuse: { captchaAfterFailures: 0 }, expiry: { password: { days: 90 } } } });
  await seedBasics(g);
  await g.admin.seed({
    subscriptions: [],
    accounts: [...['expired', 'temp-once', 'temp-late', 'temp-newer', 'temp-blocked', 'temp-guess', 'temp-mfa'].map((u) => account(u)), { subscription: 'SUB-1', userNumber: '31', status: 'active' as const, emailVerified: false, locale: 'en' as const, roles: [], preferences: {}, pin: '739201', passwordMustChange: false }],
    clients: [{ ...TEST_CLIENT, client_id: 'bank-pin', first_party: true, guichet_identifier_schemes: ['subscription'], guichet_first_factor: 'pin' }],
  });
  rp = await oidc.discovery(new URL(g.url), TEST_CLIENT.client_id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
}, 30_000);
afterAll(async () => g?.stop());

async function authorization(extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra });
  return { url: url.href, verifier };
}

const findAccount = async (username: string) => (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username }))!;

async function login(username: string, secret: string): Promise<{ browser: Browser; page: Page; verifier: string }> {
  const browser = new Browser(g.url, { 'accept-language': 'en' });
  const auth = await authorization();
  return { browser, page: await loginWithPassword(browser, auth.url, username, secret), verifier: auth.verifier };
}

async function chooseSecret(b: Browser, page: Page, secret: string, confirmation = secret): Promise<Page> {
  const form = formOf(page.body, 'new-secret');
  return b.follow(form.action, { form: { csrf: form.csrf, new_secret: secret, confirmation } });
}

const issue = async (username: string, ttlSeconds = 600, kind: CredentialKind = 'password') =>
  (await issueTemporarySecret({ temporarySecrets: g.container.repos.temporarySecrets, hasher: g.container.hasher, clock, audit: g.container.repos.audit }, { account: await findAccount(username), kind, purpose: 'admin', ttlSeconds, issuedBy: 'test', pinLength: 6 })).secret;

const landedWithCode = (page: Page) => new URL(page.url).searchParams.get('code');

describe('expired password', () => {
  test('an expired password forces a change at login; afterwards the old one stops working', async () => {
    const expired = await findAccount('expired');
    await g.container.repos.credentials.upsert({ accountId: expired.id, kind: 'password', secretHash: await g.container.hasher.hash(normaliseForHash(PASSWORD)), setAt: clock.now(), mustChange: false, expiresAt: new Date(clock.now().getTime() + DAY) });
    // Not expired yet: straight back to the client.
    expect(landedWithCode((await login('expired', PASSWORD)).page)).toBeTruthy();
    clock.advance(2 * DAY);
    const { browser, page } = await login('expired', PASSWORD);
    expect(stepOf(page.body)).toBe('new-secret');
    expect(page.body).toContain('Your password has expired');
    const same = await chooseSecret(browser, page, PASSWORD);
    expect(same.status).toBe(400);
    expect(same.body).toContain('Choose a secret different from the current one.');
    const mismatch = await chooseSecret(browser, same, 'a brand new passphrase 2026', 'a brand new passphrase 2027');
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatch(/id="confirmation"[^>]*aria-invalid="true"/);
    const done = await chooseSecret(browser, mismatch, 'a brand new passphrase 2026');
    expect(landedWithCode(done)).toBeTruthy();
    const stored = await g.container.repos.credentials.find(expired.id, 'password');
    expect(stored!.expiresAt!.getTime()).toBe(clock.now().getTime() + 90 * DAY);
    expect((await login('expired', PASSWORD)).page.status).toBe(401);
    expect(landedWithCode((await login('expired', 'a brand new passphrase 2026')).page)).toBeTruthy();
  });
});

describe('temporary secrets at login', () => {
  test('ASVS-11 a temporary password works once, only to choose a new one, then never again', async () => {
    const temporary = await issue('temp-once');
    const { browser, page } = await login('temp-once', temporary);
    expect(stepOf(page.body)).toBe('new-secret');
    expect(page.body).toContain('single-use temporary password');
    // The temporary password is no way around the change: the page stays until a secret is chosen.
    expect(stepOf((await browser.follow(new URL(page.url).pathname)).body)).toBe('new-secret');
    const done = await chooseSecret(browser, page, 'my own chosen passphrase');
    expect(landedWithCode(done)).toBeTruthy();
    expect((await login('temp-once', temporary)).page.status).toBe(401);
    expect(landedWithCode((await login('temp-once', 'my own chosen passphrase')).page)).toBeTruthy();
    // The account's own password was replaced, not left beside the new one.
    expect((await login('temp-once', PASSWORD)).page.status).toBe(401);
    const events = await g.container.repos.audit.list({ accountId: (await findAccount('temp-once')).id, limit: 50 });
    expect(JSON.stringify(events)).not.toContain(temporary);
    expect(JSON.stringify(events)).not.toContain('my own chosen passphrase');
  });

  test('ASVS-11 an expired temporary password is refused like a wrong one', async () => {
    const temporary = await issue('temp-late', 600);
    clock.advance(601_000);
    const { page } = await login('temp-late', temporary);
    expect(page.status).toBe(401);
    expect(page.body).toContain('data-step="password"');
    expect(await g.container.repos.temporarySecrets.find((await findAccount('temp-late')).id)).toBeNull();
    // The account's own password was never touched by the temporary one.
    expect(landedWithCode((await login('temp-late', PASSWORD)).page)).toBeTruthy();
  });

  test('ASVS-11 a newer temporary password cancels the older one', async () => {
    const older = await issue('temp-newer');
    const newer = await issue('temp-newer');
    expect((await login('temp-newer', older)).page.status).toBe(401);
    const { page } = await login('temp-newer', newer);
    expect(stepOf(page.body)).toBe('new-secret');
  });

  test('ASVS-16 a temporary code is single use and drawn from at least 20 bits', async () => {
    // 14 characters from a 56-symbol alphabet (CSPRNG): about 81 bits.
    const drawn = Array.from({ length: 200 }, () => generateTemporarySecret('password', 6));
    const alphabet = new Set(drawn.join(''));
    expect(Math.log2(alphabet.size) * drawn[0]!.length).toBeGreaterThanOrEqual(20);
    expect(new Set(drawn).size).toBe(drawn.length);
    const temporary = await issue('temp-guess');
    const first = await login('temp-guess', temporary);
    expect(stepOf(first.page.body)).toBe('new-secret');
    // Used even though no new secret was chosen yet: a second login with it fails.
    expect((await login('temp-guess', temporary)).page.status).toBe(401);
  });

  test('a blocked password does not stop a temporary one, and five wrong tries make a temporary one useless', async () => {
    for (let i = 0; i < 5; i++) await login('temp-blocked', `wrong guess ${i}`);
    expect((await login('temp-blocked', PASSWORD)).page.body).toContain('data-step="blocked"');
    const temporary = await issue('temp-blocked');
    const { browser, page } = await login('temp-blocked', temporary);
    expect(stepOf(page.body)).toBe('new-secret');
    expect(landedWithCode(await chooseSecret(browser, page, 'unblocked at last, thanks'))).toBeTruthy();
    expect(landedWithCode((await login('temp-blocked', 'unblocked at last, thanks')).page)).toBeTruthy();

    const second = await issue('temp-blocked');
    for (let i = 0; i < 5; i++) expect((await login('temp-blocked', `another wrong ${i}`)).page.status).not.toBe(200);
    expect(await g.container.repos.temporarySecrets.find((await findAccount('temp-blocked')).id)).toBeNull();
    expect(stepOf((await login('temp-blocked', second)).page.body)).not.toBe('new-secret');
  });

  test('ASVS-13 after a temporary-password login an account with TOTP is still asked its second factor', async () => {
    const mfa = await findAccount('temp-mfa');
    const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
    const started = enrolment.beginTotpEnrolment('temp-mfa', 'Guichet');
    const code = () => generateTotp(decodeBase32(started.secret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    expect((await enrolment.confirmTotpEnrolment(mfa.id, started.secret, code())).kind).toBe('enrolled');
    clock.advance(30_000);
    // This client needs only a simple level: the password alone ends the login...
    expect(landedWithCode((await login('temp-mfa', PASSWORD)).page)).toBeTruthy();
    // ...but a temporary password never does: the enrolled code comes first, then the new password.
    const temporary = await issue('temp-mfa');
    const browser = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorization();
    const otp = await loginWithPassword(browser, auth.url, 'temp-mfa', temporary);
    expect(stepOf(otp.body)).toBe('otp');
    const form = formOf(otp.body, 'otp');
    const afterCode = await browser.follow(form.action, { form: { csrf: form.csrf, code: code() } });
    expect(stepOf(afterCode.body)).toBe('new-secret');
    const out = await chooseSecret(browser, afterCode, 'second factor still asked');
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(out.url), { pkceCodeVerifier: auth.verifier });
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });
});

describe('confidential codes', () => {
  test('ASVS-11 a temporary confidential code leads to choosing a code of the policy, on a numeric field', async () => {
    const user = (await g.container.repos.accounts.findByIdentifier({ scheme: 'subscription', subscription: 'SUB-1', userNumber: '31' }))!;
    const temporary = (await issueTemporarySecret({ temporarySecrets: g.container.repos.temporarySecrets, hasher: g.container.hasher, clock, audit: g.container.repos.audit }, { account: user, kind: 'pin', purpose: 'admin', ttlSeconds: 600, issuedBy: 'test', pinLength: 6 })).secret;
    const browser = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await oidc.buildAuthorizationUrl(await oidc.discovery(new URL(g.url), 'bank-pin', undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] }), { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const first = await browser.follow(auth.href);
    const identify = formOf(first.body, 'identify');
    const pinPage = await browser.follow(identify.action, { form: { csrf: identify.csrf, subscription: 'SUB-1', user_number: '31' } });
    const pin = formOf(pinPage.body, 'pin');
    const page = await browser.follow(pin.action, { form: { csrf: pin.csrf, pin: temporary } });
    expect(stepOf(page.body)).toBe('new-secret');
    expect(page.body).toContain('Choose your confidential code');
    expect(page.body).toMatch(/id="new_secret"[^>]*inputmode="numeric"/);
    const weak = await chooseSecret(browser, page, '123456');
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('This code is a run of digits.');
    expect(weak.body).toMatch(/id="new_secret"[^>]*aria-invalid="true"/);
    expect(landedWithCode(await chooseSecret(browser, weak, '804317'))).toBeTruthy();
    expect((await g.container.repos.credentials.find(user.id, 'pin'))!.mustChange).toBe(false);
  });
});

describe('required-action forms', () => {
  test('an action POST without the CSRF token is refused, and one the flow does not wait for is a bad request', async () => {
    const temporary = await issue('temp-newer');
    const { browser, page } = await login('temp-newer', temporary);
    const form = formOf(page.body, 'new-secret');
    expect((await browser.request(form.action, { form: { csrf: 'forged', new_secret: 'whatever it is 123', confirmation: 'whatever it is 123' } })).status).toBe(403);
    const questions = form.action.replace(/new-secret$/, 'security-questions');
    expect((await browser.request(questions, { form: { csrf: form.csrf, question_1: 'first-pet', answer_1: 'Rex' } })).status).toBe(400);
    expect(stepOf((await browser.follow(new URL(page.url).pathname)).body)).toBe('new-secret');
  });
});

describe('registration with configured steps', () => {
  let r: RunningGuichet;
  beforeAll(async () => {
    r = await startGuichet({ clock, config: { abuse: { captchaAfterFailures: 0 }, registration: { steps: ['password', 'personal'] } } });
    await seedBasics(r);
    await r.admin.seed({ subscriptions: [], accounts: [account('newcomer', { status: 'pending_registration', passwordMustChange: true, locale: 'fr' })], clients: [] });
  }, 30_000);
  afterAll(async () => r?.stop());

  test('with steps password and personal there is no questions page; a duplicate e-mail is refused', async () => {
    const browser = new Browser(r.url, { 'accept-language': 'en' });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = `${r.url}/auth?${new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })}`;
    const first = await loginWithPassword(browser, url, 'newcomer', PASSWORD);
    expect(stepOf(first.body)).toBe('new-secret');
    // The account's language (French) wins over the browser's.
    expect(first.body).toContain('Étape 1 sur 2');
    const personal = await chooseSecret(browser, first, 'a lantern over the river');
    expect(stepOf(personal.body)).toBe('personal-data');
    expect(personal.body).toContain('Étape 2 sur 2');
    const form = formOf(personal.body, 'personal-data');
    const details = { csrf: form.csrf, email: 'ALICE@example.com', email_confirmation: 'alice@example.com', family_name: 'Nouveau', given_name: '', locale: 'en' };
    const taken = await browser.follow(form.action, { form: details });
    expect(taken.status).toBe(400);
    expect(taken.body).toContain('Cette adresse e-mail est déjà celle d’un autre compte.');
    expect(taken.body).toMatch(/id="email"[^>]*aria-invalid="true"/);
    expect((await r.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'newcomer' }))!.status).toBe('pending_registration');
    const mismatch = await browser.follow(form.action, { form: { ...details, email: 'newcomer@example.com', email_confirmation: 'newcomer@example.org' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('Les deux adresses e-mail ne sont pas identiques.');
    const done = await browser.follow(form.action, { form: { ...details, email: 'newcomer@example.com', email_confirmation: 'Newcomer@Example.com' } });
    expect(landedWithCode(done)).toBeTruthy();
    const stored = await r.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'newcomer' });
    expect(stored).toMatchObject({ status: 'active', email: 'newcomer@example.com', familyName: 'Nouveau', givenName: null, locale: 'en' });
    expect(await r.container.repos.securityAnswers.list(stored!.id)).toEqual([]);
  });
});
