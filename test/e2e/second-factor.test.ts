import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword, type Page } from '../helpers/browserless.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

const PASSWORD = 'correct horse battery staple';
const clock = new ManualClock(new Date('2026-11-23T10:00:05Z'));
let g: RunningGuichet;
let secret: string;
let rp: oidc.Configuration;
let bank: oidc.Configuration;

const code = (at = clock.now()) => generateTotp(decodeBase32(secret), at, { algorithm: 'SHA1', digits: 6, period: 30 });

beforeAll(async () => {
  g = await startGuichet({ clock, config: { abuse: { captchaAfterFailures: 0 } } });
  await seedBasics(g);
  await g.admin.seed({ subscriptions: [], accounts: [], clients: [{ ...TEST_CLIENT, client_id: 'bank-sca', first_party: true, guichet_minimum_level: 'sca' }] });
  const alice = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' });
  const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
  const started = enrolment.beginTotpEnrolment('alice', 'Guichet');
  secret = started.secret;
  expect((await enrolment.confirmTotpEnrolment(alice!.id, secret, code())).kind).toBe('enrolled');
  clock.advance(30_000);
  const discover = (id: string) => oidc.discovery(new URL(g.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  rp = await discover(TEST_CLIENT.client_id);
  bank = await discover('bank-sca');
});
afterAll(async () => g?.stop());

async function authorization(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra });
  return { url, verifier };
}

async function tokensFrom(config: oidc.Configuration, out: Page, verifier: string) {
  return oidc.authorizationCodeGrant(config, new URL(out.url), { pkceCodeVerifier: verifier });
}

async function submitCode(b: Browser, page: Page, value: string): Promise<Page> {
  const form = formOf(page.body, 'otp');
  return b.follow(form.action, { form: { csrf: form.csrf, code: value } });
}

describe('SCA with a second factor', () => {
  test('PSD2-03 a client that needs SCA gets password then TOTP; the ID token says sca with pwd, otp and mfa', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorization(bank);
    const second = await loginWithPassword(b, auth.url.href, 'alice', PASSWORD);
    expect(second.body).toContain('data-step="otp"');
    expect(second.body).toContain('This application needs strong authentication.');
    const out = await submitCode(b, second, code());
    const tokens = await tokensFrom(bank, out, auth.verifier);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:guichet:loa:sca');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  test('PSD2-03 the same code is never accepted twice', async () => {
    clock.advance(30_000);
    const used = code();
    const first = new Browser(g.url);
    const a = await authorization(bank);
    expect((await submitCode(first, await loginWithPassword(first, a.url.href, 'alice', PASSWORD), used)).url).toContain('code=');
    const second = new Browser(g.url);
    const b2 = await authorization(bank);
    const replay = await submitCode(second, await loginWithPassword(second, b2.url.href, 'alice', PASSWORD), used);
    expect(replay.status).toBe(401);
    const alice = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' });
    const events = await g.container.repos.audit.list({ accountId: alice!.id, action: 'login.second_factor', limit: 1 });
    expect(events[0]).toMatchObject({ result: 'failure', reason: 'replayed' });
  });

  test('PSD2-05 a wrong password with the right code and the right password with a wrong code read the same', async () => {
    clock.advance(30_000);
    const strip = (p: Page) => p.body.replace(/\/(interaction|recovery)\/[\w-]+/g, '').replace(/value="[^"]*"/g, '').replace(/Identifier: [^<]+/g, '');
    const b1 = new Browser(g.url, { 'accept-language': 'en' });
    const a1 = await authorization(bank);
    const wrongPassword = await loginWithPassword(b1, a1.url.href, 'alice', 'not the password');
    expect(wrongPassword.body).toContain('data-step="otp"');
    const outcome1 = await submitCode(b1, wrongPassword, code());
    clock.advance(30_000);
    const b2 = new Browser(g.url, { 'accept-language': 'en' });
    const a2 = await authorization(bank);
    const rightPassword = await loginWithPassword(b2, a2.url.href, 'alice', PASSWORD);
    const outcome2 = await submitCode(b2, rightPassword, '000000' === code() ? '111111' : '000000');
    expect(outcome1.status).toBe(401);
    expect(outcome2.status).toBe(outcome1.status);
    expect(strip(outcome1)).toBe(strip(outcome2));
    expect(outcome1.body).toContain('data-step="password"');
    const unknown = new Browser(g.url, { 'accept-language': 'en' });
    const a3 = await authorization(bank);
    const ghost = await loginWithPassword(unknown, a3.url.href, 'nobody-here', PASSWORD);
    expect(strip(ghost)).toBe(strip(wrongPassword));
  });

  test('step-up: a simple session asked for SCA through acr_values only adds the second factor', async () => {
    clock.advance(30_000);
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const simple = await authorization(rp);
    const first = await loginWithPassword(b, simple.url.href, 'alice', PASSWORD);
    expect((await tokensFrom(rp, first, simple.verifier)).claims()!.acr).toBe('urn:guichet:loa:simple');
    const again = await authorization(rp);
    const noPrompt = await b.follow(again.url.href);
    expect(noPrompt.url).toContain('code=');
    const stepUp = await authorization(rp, { acr_values: 'urn:guichet:loa:sca' });
    const page = await b.follow(stepUp.url.href);
    expect(page.body).toContain('data-step="otp"');
    expect(page.body).toContain('This operation needs strong authentication.');
    const out = await submitCode(b, page, code());
    const claims = (await tokensFrom(rp, out, stepUp.verifier)).claims()!;
    expect(claims.acr).toBe('urn:guichet:loa:sca');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
  });

  test('an essential acr no enrolled method can reach gives unmet_authentication_requirements, never a lower acr', async () => {
    await g.admin.seed({ subscriptions: [], accounts: [{ username: 'nofactor', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false }], clients: [] });
    const b = new Browser(g.url);
    const auth = await authorization(rp, { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:guichet:loa:sca'] } } }) });
    const codePage = await loginWithPassword(b, auth.url.href, 'nofactor', PASSWORD);
    // The code page comes first, as after a wrong password, so the verdict is given once.
    expect(codePage.body).toContain('data-step="otp"');
    const out = await submitCode(b, codePage, '123456');
    expect(new URL(out.url).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });
});

describe('restart while a code is pending', () => {
  test('"use another identifier" on the code page starts over cleanly', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorization(bank);
    const codeStep = await loginWithPassword(b, auth.url.href, 'alice', PASSWORD);
    expect(codeStep.body).toContain('data-step="otp"');
    const restart = new URL(codeStep.url).pathname.replace(/\/(password|otp)$/, '') + '/restart';
    const again = await b.follow(restart);
    expect(again.status).toBe(200);
    expect(again.body).toContain('data-step="identify"');
  });
});
