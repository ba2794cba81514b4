import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword, stepOf, type Page } from '../helpers/browserless.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

/**
 * The PSD2 profile's rules, end to end, by moving the clock: SCA at first access, every 90 days
 * (180 for a client that says so), on a new device, and again after 5 idle minutes for SCA-level
 * access; refresh tokens follow the same limits.
 */
const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
const start = new Date('2027-03-01T09:00:05Z');
const clock = new ManualClock(start);
let g: RunningGuichet;
let secret: string;
let aliceId: string;
let rp: oidc.Configuration;
let longPeriod: oidc.Configuration;

const totp = () => generateTotp(decodeBase32(secret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
const at = (days: number, extraMs = 0) => clock.set(new Date(start.getTime() + days * DAY + extraMs));

beforeAll(async () => {
  g = await startGuichet({ clock, config: { sca: { profile: 'psd2' }, abuse: { captchaAfterFailures: 0, perIp: { points: 10000 }, perIdentifier: { points: 10000 } } } });
  await seedBasics(g);
  await g.admin.seed({ subscriptions: [], accounts: [], clients: [{ ...TEST_CLIENT, client_id: 'long-period', first_party: true, guichet_sca_period_days: 180 }] });
  aliceId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' }))!.id;
  const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
  secret = enrolment.beginTotpEnrolment('alice', 'Guichet').secret;
  expect((await enrolment.confirmTotpEnrolment(aliceId, secret, totp())).kind).toBe('enrolled');
  clock.advance(30_000);
  const discover = (id: string) => oidc.discovery(new URL(g.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  rp = await discover(TEST_CLIENT.client_id);
  longPeriod = await discover('long-period');
});
afterAll(async () => g?.stop());

async function authorization(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid offline_access', prompt: 'consent', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra });
  return { url, verifier };
}

async function submitCode(b: Browser, page: Page): Promise<Page> {
  const form = formOf(page.body, 'otp');
  return b.follow(form.action, { form: { csrf: form.csrf, code: totp() } });
}

/** Logs in with the password, and the TOTP when the code page comes; says which it took. */
async function login(b: Browser, config: oidc.Configuration, extra: Record<string, string> = {}) {
  clock.advance(30_000); // a fresh TOTP step for each login (codes are single use)
  const auth = await authorization(config, extra);
  let page = await loginWithPassword(b, auth.url.href, 'alice', PASSWORD);
  const askedSca = stepOf(page.body) === 'otp';
  const body = page.body;
  if (askedSca) page = await submitCode(b, page);
  if (!page.url.includes('code=')) throw new Error(`no code: ${page.status} ${page.url} ${page.body.replace(/\s+/g, ' ').slice(0, 1500)}`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url), { pkceCodeVerifier: auth.verifier });
  return { askedSca, body, tokens, claims: tokens.claims()! };
}

describe('PSD2 SCA rules', () => {
  let browser: Browser;

  test('PSD2-23 SCA at first access, and the page says why in plain words', async () => {
    at(0);
    browser = new Browser(g.url, { 'accept-language': 'en' });
    const first = await login(browser, rp, { prompt: 'login' });
    expect(first.askedSca).toBe(true);
    expect(first.body).toMatch(/first sign-in and then regularly|device we do not know/);
    expect(first.claims.acr).toBe('urn:guichet:loa:sca');
    const events = g.logs.filter((l) => l.includes('"event":"sca.required"'));
    expect(events.at(-1)).toContain('sca_period_elapsed');
  });

  test('PSD2-23 no SCA for a simple login at day 89 on the same device; SCA again at day 91', async () => {
    at(89);
    const day89 = await login(browser, rp, { prompt: 'login' });
    expect(day89.askedSca).toBe(false);
    expect(day89.claims.acr).toBe('urn:guichet:loa:simple');
    at(91);
    const day91 = await login(browser, rp, { prompt: 'login' });
    expect(day91.askedSca).toBe(true);
    expect(day91.body).toContain('first sign-in and then regularly');
  });

  test('PSD2-23 a client with a 180-day period: no SCA at day 179 after the last one, SCA at day 181', async () => {
    at(91 + 179);
    expect((await login(browser, longPeriod, { prompt: 'login' })).askedSca).toBe(false);
    at(91 + 181);
    expect((await login(browser, longPeriod, { prompt: 'login' })).askedSca).toBe(true);
  });

  test('a new device requires SCA even within the period, and becomes known only after it', async () => {
    at(91 + 182);
    const other = new Browser(g.url, { 'accept-language': 'en' });
    const first = await login(other, rp, { prompt: 'login' });
    expect(first.askedSca).toBe(true);
    expect(first.body.replace(/\s+/g, ' ')).toContain('device we do not know yet');
    expect((await login(other, rp, { prompt: 'login' })).askedSca).toBe(false);
  });

  test('losing the store’s SCA memory makes SCA due again (never looser)', async () => {
    await g.container.store.delete(`sca:last:${aliceId}`);
    expect((await login(browser, rp, { prompt: 'login' })).askedSca).toBe(true);
  });

  test('PSD2-10 idle 4 min 59 s after SCA: an SCA-level request rides the session; 5 min 01 s idle: SCA again, while a simple-level request may still use the session', async () => {
    const sca = 'urn:guichet:loa:sca';
    const done = await login(browser, rp, { prompt: 'login', acr_values: sca });
    expect(done.claims.acr).toBe(sca);
    const ssoAt = async (extra: Record<string, string>) => {
      const auth = await authorization(rp, extra);
      return browser.follow(auth.url.href);
    };
    clock.advance(299_000);
    const stillActive = await ssoAt({ acr_values: sca });
    expect(stillActive.url).toContain('code=');
    clock.advance(299_000); // the previous request slid the timer: still within 5 minutes of it
    expect((await ssoAt({ acr_values: sca })).url).toContain('code=');
    clock.advance(301_000);
    const idle = await ssoAt({ acr_values: sca });
    expect(idle.url).not.toContain('code=');
    expect(stepOf(idle.body)).toBe('identify');
    // The whole SCA again (both factors), and the code page says why.
    const identify = formOf(idle.body, 'identify');
    const pw = await browser.follow(identify.action, { form: { csrf: identify.csrf, identifier: 'alice' } });
    const password = formOf(pw.body, 'password');
    const codePage = await browser.follow(password.action, { form: { csrf: password.csrf, password: PASSWORD } });
    expect(stepOf(codePage.body)).toBe('otp');
    expect(codePage.body).toContain('idle for more than a few minutes');
    clock.advance(30_000);
    expect((await submitCode(browser, codePage)).url).toContain('code=');
    const viewing = await ssoAt({});
    expect(viewing.url).toContain('code=');
  });

  test('refresh: past the idle limit the refreshed tokens are no longer SCA-level; past the SCA period the refresh is refused', async () => {
    const fresh = await login(browser, rp, { prompt: 'login', acr_values: 'urn:guichet:loa:sca' });
    expect(fresh.claims.acr).toBe('urn:guichet:loa:sca');
    clock.advance(60_000);
    const soon = await oidc.refreshTokenGrant(rp, fresh.tokens.refresh_token!);
    expect(soon.claims()!.acr).toBe('urn:guichet:loa:sca');
    clock.advance(300_000);
    const later = await oidc.refreshTokenGrant(rp, soon.refresh_token!);
    expect(later.claims()!.acr).toBe('urn:guichet:loa:simple');
    const introspected = await oidc.tokenIntrospection(rp, later.access_token);
    expect(introspected.acr).toBe('urn:guichet:loa:simple');
    clock.advance(91 * DAY);
    await expect(oidc.refreshTokenGrant(rp, later.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });


  test('CS-05 a step-up gives the session a new identifier (no fixation across privilege levels)', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    await login(b, rp, { prompt: 'login', acr_values: 'urn:guichet:loa:sca' }); // this device becomes known
    clock.advance(6 * 60_000);
    const simple = await login(b, rp, { prompt: 'login' });
    expect(simple.claims.acr).toBe('urn:guichet:loa:simple');
    const before = b.jar.cookies.get('guichet_session');
    expect(before).toBeTruthy();
    clock.advance(30_000);
    const auth = await authorization(rp, { acr_values: 'urn:guichet:loa:sca' });
    const codePage = await b.follow(auth.url.href);
    expect(stepOf(codePage.body)).toBe('otp');
    const out = await submitCode(b, codePage);
    if (!out.url.includes('code=')) throw new Error(out.body.replace(/\s+/g, ' ').slice(0, 1200));
    expect(b.jar.cookies.get('guichet_session')).not.toBe(before);
  });
});
