import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword, type Page } from '../helpers/browserless.js';
import { SoftwareAuthenticator } from '../webauthn/software-authenticator.js';
import { createWebAuthnEnrolment } from '../../src/authenticators/webauthn/enrolment.js';
import { resolveWebAuthnSettings } from '../../src/authenticators/webauthn/webauthn-settings.js';
import { deriveTransactionChallenge } from '../../src/authenticators/webauthn/transaction-challenge.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';
import type { LoginFlow } from '../../src/flows/login-flow.js';

/**
 * The passkey routes without a browser: the software authenticator of test/webauthn plays the
 * browser's part, so each refusal (replay, origin, other details, counter, revocation) is made on
 * purpose and checked in the audit and the lockout.
 */
const PASSWORD = 'correct horse battery staple';
let g: RunningGuichet;
let bank: oidc.Configuration;
let plain: oidc.Configuration;
let aliceId: string;
let device: SoftwareAuthenticator;

const rarClient = { ...TEST_CLIENT, first_party: true, authorization_details_types: ['payment_initiation', 'sensitive_operation'], guichet_resource: 'https://api.bank.test/payments' };
const payment = (amount: string, creditorName = 'Fournitures Martin') => ({ type: 'payment_initiation', instructedAmount: { amount, currency: 'EUR' }, creditorName, creditorAccount: { iban: 'FR7630006000011234567890189' } });

beforeAll(async () => {
  g = await startGuichet({ config: { webauthn: { enabled: true }, abuse: { captchaAfterFailures: 0, perIdentifier: { points: 1000 }, perIp: { points: 1000 } } } });
  await g.admin.seed({
    subscriptions: [],
    accounts: [{ username: 'alice', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false }],
    clients: [
      { ...rarClient, client_id: 'bank-sca', guichet_minimum_level: 'sca' },
      { ...rarClient, client_id: 'plain' },
    ],
  });
  aliceId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' }))!.id;
  device = new SoftwareAuthenticator(g.url);
  await enrol(aliceId, device, 'Laptop');
  const discover = (id: string) => oidc.discovery(new URL(g.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  bank = await discover('bank-sca');
  plain = await discover('plain');
});
afterAll(async () => g?.stop());

/** Registers a passkey the way the profile does (its routes are driven by Chromium in test/browser/passkey.test.ts). */
async function enrol(accountId: string, authenticator: SoftwareAuthenticator, label: string) {
  const enrolment = createWebAuthnEnrolment({ factors: g.container.repos.factors, store: g.container.store, clock: g.container.clock, settings: resolveWebAuthnSettings({ enabled: true, rpId: 'localhost', rpName: 'Guichet', origins: [g.url] }) });
  const account = (await g.container.repos.accounts.findById(accountId))!;
  const { options, challenge } = await enrolment.beginRegistration(account, []);
  const outcome = await enrolment.finishRegistration(accountId, authenticator.create(options).response, challenge, { label });
  if (outcome.kind !== 'enrolled') throw new Error(outcome.detail);
  return outcome.credential;
}

async function authorize(rp: oidc.Configuration, details?: object[]) {
  const b = new Browser(g.url, { 'accept-language': 'en' });
  const verifier = oidc.randomPKCECodeVerifier();
  const params: Record<string, string> = { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' };
  if (details) params.authorization_details = JSON.stringify(details);
  const url = details ? await oidc.buildAuthorizationUrlWithPAR(rp, params) : oidc.buildAuthorizationUrl(rp, params);
  return { b, verifier, url: url.href, first: await b.follow(url.href) };
}

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The `passkey` page reached from a `passkey-start` form, and the options its script would use. */
async function passkeyPage(b: Browser, page: Page) {
  expect(page.body).toContain('data-step="passkey-start"');
  const start = formOf(page.body, 'passkey-start');
  const ceremony = await b.follow(start.action, { form: { csrf: start.csrf } });
  expect(ceremony.body).toContain('data-step="passkey"');
  const options = JSON.parse(decode(/data-options="([^"]+)"/.exec(ceremony.body)![1]!)) as PublicKeyCredentialRequestOptionsJSON;
  return { ceremony, options, form: formOf(ceremony.body, 'passkey') };
}

const post = (b: Browser, form: { action: string; csrf: string }, response: unknown) => b.follow(form.action, { form: { csrf: form.csrf, response: JSON.stringify(response) } });
const uidOf = (page: Page) => /\/interaction\/([\w-]+)/.exec(page.body)![1]!;
const flowOf = async (uid: string) => JSON.parse((await g.container.store.get(`flow:${uid}`))!) as LoginFlow;
const lastPasskeyEvent = async () => (await g.container.repos.audit.list({ action: 'login.passkey', limit: 1 }))[0];
const failedCount = async (lookup: string) => Number((await g.container.db('credentials').where({ kind: 'webauthn', lookup }).first()).failed_count);

describe('passkey login without a browser', () => {
  test('the identify page offers the passkey only as a hidden, scripted enhancement from our own origin', async () => {
    const { first } = await authorize(plain);
    expect(first.body).toMatch(/<form[^>]*data-step="passkey-start"[^>]*hidden/);
    expect(first.body).toContain('<script src="/static/simplewebauthn-browser.js" defer></script>');
    expect(first.body).not.toMatch(/<script(?![^>]*\ssrc="\/static\/)/);
    for (const path of ['/static/simplewebauthn-browser.js', '/static/passkey.js']) {
      const response = await fetch(`${g.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('javascript');
    }
  });

  test('EBA-06 N3-19 usernameless: a device-bound passkey with UV alone is SCA, phishing resistant (acr sca-phr, amr pop user mfa)', async () => {
    const { b, verifier, first } = await authorize(bank);
    const { options, form } = await passkeyPage(b, first);
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.userVerification).toBe('required');
    const out = await post(b, form, device.get(options));
    expect(out.url).toContain('code=');
    const tokens = await oidc.authorizationCodeGrant(bank, new URL(out.url), { pkceCodeVerifier: verifier });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(aliceId);
    expect(claims.acr).toBe('urn:guichet:loa:sca-phr');
    expect(claims.amr).toEqual(expect.arrayContaining(['pop', 'user', 'mfa']));
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'success', accountId: aliceId, details: expect.objectContaining({ purpose: 'login', backupEligible: false }) });
  });

  test('ASVS-19 WA-02 each ceremony gets its own challenge of at least 16 random bytes', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { b, first } = await authorize(plain);
      const { options } = await passkeyPage(b, first);
      expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
      seen.add(options.challenge);
    }
    expect(seen.size).toBe(3);
  });

  test('PSD2-03 WA-02 an assertion is accepted once: posted again, or in another login, it is refused and logged', async () => {
    const one = await authorize(plain);
    const first = await passkeyPage(one.b, one.first);
    const assertion = device.get(first.options);
    expect((await post(one.b, first.form, assertion)).url).toContain('code=');
    // The same form again: the login is over, and the challenge had left the flow anyway.
    expect((await post(one.b, first.form, assertion)).status).toBe(410);
    // In a new login: another challenge, so the recorded assertion does not match it.
    const two = await authorize(plain);
    const second = await passkeyPage(two.b, two.first);
    const replayed = await post(two.b, second.form, assertion);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toContain('data-step="identify"');
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'failure', reason: 'challenge_mismatch' });
    // The page's challenge was used up by that failure: a genuine assertion for it is refused as well.
    expect((await post(two.b, second.form, device.get(second.options))).status).toBe(400);
  });

  test('N3-19 WA-01 an assertion made on another origin is refused, audited and counted by the lockout', async () => {
    const phished = new SoftwareAuthenticator('http://localhost.evil.example');
    phished.credentials.push(...device.credentials);
    const lookup = device.credentials[0]!.id.toString('base64url');
    const before = await failedCount(lookup);
    const { b, first } = await authorize(plain);
    const { options, form } = await passkeyPage(b, first);
    const refused = await post(b, form, phished.get(options));
    expect(refused.status).toBe(401);
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'failure', reason: 'origin_mismatch', accountId: aliceId });
    expect(await failedCount(lookup)).toBe(before + 1);
    // A success resets the count.
    const again = await authorize(plain);
    const next = await passkeyPage(again.b, again.first);
    expect((await post(again.b, next.form, device.get(next.options))).url).toContain('code=');
    expect(await failedCount(lookup)).toBe(0);
  });

  test('EBA-06 WA-01 an assertion without user verification is refused', async () => {
    const { b, first } = await authorize(plain);
    const { options, form } = await passkeyPage(b, first);
    expect((await post(b, form, device.get(options, { uv: false }))).status).toBe(401);
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'failure', reason: 'user_not_verified' });
  });

  test('PSD2-18 WA-03 a signature counter that goes backwards (a cloned authenticator) is refused and audited', async () => {
    const { b, first } = await authorize(plain);
    const { options, form } = await passkeyPage(b, first);
    const reached = device.credentials[0]!.counter;
    expect((await post(b, form, device.get(options, { counter: 1 }))).status).toBe(401);
    device.credentials[0]!.counter = reached;
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'failure', reason: 'counter_regression' });
    expect(g.logs.some((l) => l.includes('passkey.counter_regression'))).toBe(true);
  });

  test('PSD2-12 PSD2-13 WA-04 with a payment the challenge is derived from its details, and a proof made for another payment fails', async () => {
    const a = await authorize(bank, [payment('1250.00')]);
    const pageA = await passkeyPage(a.b, a.first);
    expect(pageA.ceremony.body).toContain('data-payee-name');
    const flowA = await flowOf(uidOf(pageA.ceremony));
    const detailsA = [payment('1250.00')];
    expect(pageA.options.challenge).toBe(deriveTransactionChallenge({ authorization_details: detailsA }, Buffer.from(flowA.passkey!.state.nonce!, 'base64url')));
    const b2 = await authorize(bank, [payment('9999.00', 'Someone Else')]);
    const pageB = await passkeyPage(b2.b, b2.first);
    // The user's device signs the challenge of payment A; the page of payment B receives it.
    const refused = await post(b2.b, pageB.form, device.get(pageA.options));
    expect(refused.status).toBe(401);
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'failure', reason: 'challenge_mismatch' });
    // Payment A with its own proof goes through, and the audit keeps the hash of what was signed.
    const again = await authorize(bank, [payment('1250.00')]);
    const pageA2 = await passkeyPage(again.b, again.first);
    const out = await post(again.b, pageA2.form, device.get(pageA2.options));
    expect(out.url).toContain('code=');
    expect((await lastPasskeyEvent())!.details).toMatchObject({ transactionHash: expect.stringMatching(/^[\w-]{43}$/) });
  });
});

describe('passkey as the second factor', () => {
  let totpSecret: string;
  beforeAll(async () => {
    const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock: g.container.clock });
    totpSecret = enrolment.beginTotpEnrolment('alice', 'Guichet').secret;
    const code = generateTotp(decodeBase32(totpSecret), g.container.clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    expect((await enrolment.confirmTotpEnrolment(aliceId, totpSecret, code)).kind).toBe('enrolled');
  });

  test('PSD2-02 password then a passkey instead of the code: SCA with pwd and the passkey', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorize(bank);
    const codePage = await loginWithPassword(b, auth.url, 'alice', PASSWORD);
    expect(codePage.body).toContain('data-step="otp"');
    const { options, form } = await passkeyPage(b, codePage);
    // On an SCA login the request stays discoverable: the page says nothing about the account yet.
    expect(options.allowCredentials ?? []).toEqual([]);
    const out = await post(b, form, device.get(options));
    const tokens = await oidc.authorizationCodeGrant(bank, new URL(out.url), { pkceCodeVerifier: auth.verifier });
    expect(tokens.claims()!.acr).toBe('urn:guichet:loa:sca-phr');
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'pop', 'user', 'mfa']));
  });

  test('PSD2-05 a wrong password then a right passkey fails as one verdict, and both are asked again', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorize(bank);
    const codePage = await loginWithPassword(b, auth.url, 'alice', 'not the password at all');
    expect(codePage.body).toContain('data-step="otp"');
    const { options, form } = await passkeyPage(b, codePage);
    const out = await post(b, form, device.get(options));
    expect(out.status).toBe(401);
    expect(out.body).toContain('data-step="password"');
  });

  test('another account’s passkey does not stand in for the identified account', async () => {
    const bob = await g.container.repos.accounts.create({ username: 'bob-passkey', status: 'active' });
    const bobs = new SoftwareAuthenticator(g.url);
    await enrol(bob.id, bobs, 'Bob');
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorize(bank);
    const codePage = await loginWithPassword(b, auth.url, 'alice', PASSWORD);
    const { options, form } = await passkeyPage(b, codePage);
    const out = await post(b, form, bobs.get(options));
    expect(out.status).toBe(401);
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'failure', reason: 'other_account' });
  });

  test('PSD2-40 a passkey revoked by an administrator is refused at once', async () => {
    const spare = new SoftwareAuthenticator(g.url);
    const summary = await enrol(aliceId, spare, 'Spare');
    expect(await g.container.repos.factors.remove(summary.id)).toBe(true);
    const { b, first } = await authorize(plain);
    const { options, form } = await passkeyPage(b, first);
    expect((await post(b, form, spare.get(options))).status).toBe(401);
    expect(await lastPasskeyEvent()).toMatchObject({ result: 'failure', reason: 'unknown_credential' });
  });
});
