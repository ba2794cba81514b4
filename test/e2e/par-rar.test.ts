import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, stepOf, type Page } from '../helpers/browserless.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

const PASSWORD = 'correct horse battery staple';
const API = 'https://api.example.test/payments';
const SCA = 'urn:guichet:loa:sca';
const SIMPLE = 'urn:guichet:loa:simple';
// An hour behind the real time: oidc-provider measures max_age with its own clock against the
// login time Guichet's clock gives, so logins must look past to it (OIDC-04).
const clock = new ManualClock(new Date(Date.now() - 3600_000));
let g: RunningGuichet;
let secret: string;
let rar: oidc.Configuration;
let parOnly: oidc.Configuration;
let plain: oidc.Configuration;

const payment = (amount = '125.40') => ({ type: 'payment_initiation', instructedAmount: { amount, currency: 'EUR' }, creditorName: 'Fournitures Martin', creditorAccount: { iban: 'FR7630006000011234567890189' } });
const managePayees = { type: 'sensitive_operation', operation: 'manage_payees', description: 'Add Fournitures Martin' };
const totp = () => generateTotp(decodeBase32(secret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });

beforeAll(async () => {
  g = await startGuichet({ clock, config: { abuse: { captchaAfterFailures: 0 } } });
  await seedBasics(g);
  const rarClient = { ...TEST_CLIENT, client_id: 'rar-rp', first_party: true, authorization_details_types: ['payment_initiation', 'sensitive_operation'], guichet_resource: API };
  await g.admin.seed({
    subscriptions: [],
    accounts: [{ username: 'nofactor', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false }],
    clients: [rarClient, { ...TEST_CLIENT, client_id: 'par-only', first_party: true, require_pushed_authorization_requests: true }],
  });
  const alice = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' });
  const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
  secret = enrolment.beginTotpEnrolment('alice', 'Guichet').secret;
  expect((await enrolment.confirmTotpEnrolment(alice!.id, secret, totp())).kind).toBe('enrolled');
  const discover = (id: string) => oidc.discovery(new URL(g.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  [rar, parOnly, plain] = await Promise.all([discover('rar-rp'), discover('par-only'), discover(TEST_CLIENT.client_id)]);
});
afterAll(async () => g?.stop());

async function request(config: oidc.Configuration, extra: Record<string, string> = {}, options: { par?: boolean } = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const params = { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra };
  const url = options.par ? await oidc.buildAuthorizationUrlWithPAR(config, params) : oidc.buildAuthorizationUrl(config, params);
  return { url, verifier };
}

/** Walks Guichet's pages (identifier, password, code) until the browser is sent back to the client. */
async function logIn(b: Browser, start: string | Page, username = 'alice'): Promise<{ out: Page; steps: string[] }> {
  let page = typeof start === 'string' ? await b.follow(start) : start;
  const steps: string[] = [];
  for (let i = 0; i < 6 && page.url.startsWith(g.url); i++) {
    const step = stepOf(page.body) ?? `status ${page.status}`;
    steps.push(step);
    if (step === 'identify') page = await b.follow(formOf(page.body, step).action, { form: { csrf: formOf(page.body, step).csrf, identifier: username } });
    else if (step === 'password') page = await b.follow(formOf(page.body, step).action, { form: { csrf: formOf(page.body, step).csrf, password: PASSWORD } });
    else if (step === 'otp') {
      clock.advance(30_000);
      page = await b.follow(formOf(page.body, step).action, { form: { csrf: formOf(page.body, step).csrf, code: totp() } });
    } else throw new Error(`unexpected page ${step}: ${page.body.slice(0, 500)}`);
  }
  return { out: page, steps };
}

const errorOf = (page: Page) => new URL(page.url).searchParams.get('error');

async function push(clientId: string, body: Record<string, string>, auth = true) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${clientId}:${TEST_CLIENT.client_secret}`).toString('base64')}`;
  const response = await fetch(`${g.url}/request`, { method: 'POST', headers, body: new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...body }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('pushed authorization requests (RFC 9126)', () => {
  test('RAR-05 discovery lists the PAR endpoint and the three authorization details types', () => {
    const meta = rar.serverMetadata();
    expect(meta.pushed_authorization_request_endpoint).toBe(`${g.url}/request`);
    expect(meta.authorization_details_types_supported).toEqual(['payment_initiation', 'payment_batch', 'sensitive_operation']);
  });

  test('PAR-02 a push answers 201 with a request_uri that expires in under 600 s', async () => {
    const pushed = await push('rar-rp', {});
    expect(pushed.status).toBe(201);
    expect(String(pushed.body.request_uri)).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(pushed.body.expires_in).toBeGreaterThan(0);
    expect(pushed.body.expires_in).toBeLessThan(600);
  });

  test('PAR-01 a push is authenticated like the token endpoint and may not carry request_uri', async () => {
    expect((await push('rar-rp', {}, false)).status).toBe(401);
    const nested = await push('rar-rp', { request_uri: 'urn:ietf:params:oauth:request_uri:abc' });
    expect(nested.status).toBe(400);
    expect(nested.body.error).toMatch(/^(invalid_request|request_uri_not_supported)$/);
  });

  test('PAR-03 a pushed payment round trip; the request_uri works once and only for its client', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await request(rar, { authorization_details: JSON.stringify([payment()]) }, { par: true });
    expect(auth.url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(auth.url.searchParams.has('authorization_details')).toBe(false);
    const stolen = new URL(auth.url);
    stolen.searchParams.set('client_id', TEST_CLIENT.client_id);
    const other = await new Browser(g.url).follow(stolen.href);
    expect(errorOf(other)).toBe('invalid_request_object');
    expect(new URL(other.url).searchParams.has('code')).toBe(false);
    const { out, steps } = await logIn(b, auth.url.href);
    expect(steps).toEqual(['identify', 'password', 'otp']);
    const tokens = await oidc.authorizationCodeGrant(rar, new URL(out.url), { pkceCodeVerifier: auth.verifier });
    expect(tokens.claims()!.acr).toBe(SCA);
    expect(errorOf(await b.follow(auth.url.href))).toBe('invalid_request_uri');
  });

  test('PAR-04 a client registered with require_pushed_authorization_requests cannot send a plain request', async () => {
    const refused = await new Browser(g.url).follow((await request(parOnly)).url.href);
    expect(errorOf(refused)).toBe('invalid_request');
    const pushed = await new Browser(g.url, { 'accept-language': 'en' }).follow((await request(parOnly, {}, { par: true })).url.href);
    expect(stepOf(pushed.body)).toBe('identify');
  });
});

describe('rich authorization requests (RFC 9396)', () => {
  test('RAR-03 the granted payment is in the token response and introspection, with acr; no refresh token', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const details = [payment('99.99')];
    const auth = await request(rar, { authorization_details: JSON.stringify(details), scope: 'openid offline_access', prompt: 'consent' }, { par: true });
    const { out } = await logIn(b, auth.url.href);
    const tokens = await oidc.authorizationCodeGrant(rar, new URL(out.url), { pkceCodeVerifier: auth.verifier });
    expect(tokens.authorization_details).toEqual(details);
    expect(tokens.refresh_token).toBeUndefined();
    const introspected = await oidc.tokenIntrospection(rar, tokens.access_token);
    expect(introspected).toMatchObject({ active: true, acr: SCA, aud: API, authorization_details: details });
    expect(introspected.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(typeof introspected.auth_time).toBe('number');
  });

  test('ASVS-36 RAR-04 a payment in a plain query string is refused', async () => {
    const out = await new Browser(g.url).follow((await request(rar, { authorization_details: JSON.stringify([payment()]) })).url.href);
    expect(errorOf(out)).toBe('invalid_authorization_details');
    expect(new URL(out.url).searchParams.get('error_description')).toContain('pushed');
  });

  test('RAR-01 RAR-02 an unknown type, an amount as a number or negative, a malformed IBAN: invalid_authorization_details', async () => {
    const bad = [
      [{ type: 'wire_everything' }],
      [{ ...payment(), instructedAmount: { amount: 125.4, currency: 'EUR' } }],
      [{ ...payment('-5.00') }],
      [{ ...payment(), creditorAccount: { iban: 'FR7630006000011234567890180' } }],
      [{ ...payment(), creditorAccount: { iban: 'fr76 3000 6000 0112 3456 7890 189' } }],
      { type: 'payment_initiation' },
    ];
    for (const details of bad) {
      const pushed = await push('rar-rp', { authorization_details: JSON.stringify(details) });
      expect({ details, status: pushed.status, error: pushed.body.error }).toEqual({ details, status: 400, error: 'invalid_authorization_details' });
    }
    const query = await new Browser(g.url).follow((await request(rar, { authorization_details: JSON.stringify([{ ...managePayees, operation: 'empty_the_vault' }]) })).url.href);
    expect(errorOf(query)).toBe('invalid_authorization_details');
  });

  test('RAR-05 a client asks only for the types it is registered for', async () => {
    const unregistered = await new Browser(g.url).follow((await request(plain, { authorization_details: JSON.stringify([managePayees]) })).url.href);
    expect(errorOf(unregistered)).toBe('invalid_authorization_details');
    const batch = { type: 'payment_batch', totalAmount: { amount: '10.00', currency: 'EUR' }, numberOfPayments: 1, payments: [{ creditorName: 'A', creditorAccount: { iban: 'FR7630006000011234567890189' }, instructedAmount: { amount: '10.00', currency: 'EUR' } }] };
    const pushed = await push('rar-rp', { authorization_details: JSON.stringify([batch]) });
    expect(pushed).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_authorization_details' }) });
  });

  test('a sensitive operation steps a simple session up to SCA; a payment then needs its own code even at SCA', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const simple = await request(rar);
    const first = await logIn(b, simple.url.href);
    expect(first.steps).toEqual(['identify', 'password']);
    const op = await request(rar, { authorization_details: JSON.stringify([managePayees]) });
    const stepUp = await logIn(b, op.url.href);
    expect(stepUp.steps).toEqual(['otp']);
    const tokens = await oidc.authorizationCodeGrant(rar, new URL(stepUp.out.url), { pkceCodeVerifier: op.verifier });
    expect(tokens.claims()!.acr).toBe(SCA);
    expect(tokens.authorization_details).toEqual([managePayees]);
    // The session is at SCA now: a sign-in without details needs nothing more, a payment does.
    const again = await b.follow((await request(rar)).url.href);
    expect(again.url).toContain('code=');
    const pay = await request(rar, { authorization_details: JSON.stringify([payment('12.00')]) }, { par: true });
    const paid = await logIn(b, pay.url.href);
    expect(paid.steps).not.toHaveLength(0);
    expect(paid.steps.at(-1)).toBe('otp');
    const payTokens = await oidc.authorizationCodeGrant(rar, new URL(paid.out.url), { pkceCodeVerifier: pay.verifier });
    // Only this request's payment: never the operation granted before.
    expect(payTokens.authorization_details).toEqual([payment('12.00')]);
  });

  test('the token request may narrow the granted details but not add to them', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await request(rar, { authorization_details: JSON.stringify([managePayees]) });
    const { out } = await logIn(b, auth.url.href);
    const refused = oidc.authorizationCodeGrant(rar, new URL(out.url), { pkceCodeVerifier: auth.verifier }, { authorization_details: JSON.stringify([payment()]) });
    await expect(refused).rejects.toMatchObject({ error: 'invalid_authorization_details' });
  });
});

describe('authentication requests (OIDC Core)', () => {
  test('OIDC-06 acr_values is voluntary: an unknown value is no error, the simple level is returned', async () => {
    const auth = await request(plain, { acr_values: 'urn:example:unknown' });
    const { out } = await logIn(new Browser(g.url), auth.url.href);
    expect(errorOf(out)).toBeNull();
    expect((await oidc.authorizationCodeGrant(plain, new URL(out.url), { pkceCodeVerifier: auth.verifier })).claims()!.acr).toBe(SIMPLE);
  });

  test('OIDC-07 an essential acr is met with SCA, or refused with unmet_authentication_requirements', async () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [SCA] } } });
    const met = await request(plain, { claims });
    const done = await logIn(new Browser(g.url), met.url.href);
    expect(done.steps).toEqual(['identify', 'password', 'otp']);
    expect((await oidc.authorizationCodeGrant(plain, new URL(done.out.url), { pkceCodeVerifier: met.verifier })).claims()!.acr).toBe(SCA);
    const unmet = await request(plain, { claims });
    const b = new Browser(g.url);
    let page = await b.follow(unmet.url.href);
    page = await b.follow(formOf(page.body, 'identify').action, { form: { csrf: formOf(page.body, 'identify').csrf, identifier: 'nofactor' } });
    page = await b.follow(formOf(page.body, 'password').action, { form: { csrf: formOf(page.body, 'password').csrf, password: PASSWORD } });
    page = await b.follow(formOf(page.body, 'otp').action, { form: { csrf: formOf(page.body, 'otp').csrf, code: '123456' } });
    expect(errorOf(page)).toBe('unmet_authentication_requirements');
    expect(new URL(page.url).searchParams.has('code')).toBe(false);
  });

  test('OIDC-02 OIDC-03 OIDC-04 auth_time with max_age is stable across SSO; prompt=login and max_age=0 log in again, later', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const first = await request(plain, { max_age: '86400' });
    const one = (await oidc.authorizationCodeGrant(plain, new URL((await logIn(b, first.url.href)).out.url), { pkceCodeVerifier: first.verifier })).claims()!;
    expect(typeof one.auth_time).toBe('number');
    clock.advance(60_000);
    const sso = await request(plain, { max_age: '86400' });
    const silent = await b.follow(sso.url.href);
    expect(silent.url).toContain('code=');
    expect((await oidc.authorizationCodeGrant(plain, new URL(silent.url), { pkceCodeVerifier: sso.verifier })).claims()!.auth_time).toBe(one.auth_time);
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      clock.advance(60_000);
      const again = await request(plain, extra);
      const login = await logIn(b, again.url.href);
      expect(login.steps.length).toBeGreaterThan(0);
      const claims = (await oidc.authorizationCodeGrant(plain, new URL(login.out.url), { pkceCodeVerifier: again.verifier })).claims()!;
      expect(claims.auth_time).toBeGreaterThan(one.auth_time!);
    }
  });
});
