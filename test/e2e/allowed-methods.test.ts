import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import type { ClientMetadata } from 'oidc-provider';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf, loginWithPassword, type Page } from '../helpers/browserless.js';
import { createTestPki, type TestPki } from '../helpers/certificate-browser.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createDemoCard } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { createCapReader } from '../../src/authenticators/emv-cap/simulator/cap-reader.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { enrolCapCard } from '../../src/authenticators/emv-cap/enrol-cap-card.js';
import { IDENTIFY } from '../../src/authenticators/emv-cap/cap-request.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp } from '../../src/authenticators/oath/oath-codes.js';

/**
 * Per-client allowed methods (issue 6, `guichet_allowed_methods`): a method outside a client's list
 * is neither offered on its pages nor accepted when sent anyway, and a client cannot be registered
 * with a list that is unknown or leaves out its own first factor.
 */
const PASSWORD = 'correct horse battery staple';
const clock = new ManualClock(new Date('2026-11-23T10:00:05Z'));
const demo = createDemoCard();
const card = createSimulatedCard(demo.card);
const reader = createCapReader({ reader: demo.enrolment.profile.reader });
let g: RunningGuichet;
let pki: TestPki;
let cardsOnly: oidc.Configuration;
let everything: oidc.Configuration;
let passkeysNoCertificates: oidc.Configuration;
let aliceSecret: string;
let totpOnlySecret: string;
let aliceId: string;

const totp = (secret: string) => {
  clock.advance(30_000);
  return generateTotp(decodeBase32(secret), clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
};

beforeAll(async () => {
  pki = await createTestPki();
  g = await startGuichet({
    clock,
    config: {
      webauthn: { enabled: true },
      emvCap: { issuerKeys: demo.issuerKeys },
      // Certificates come through a trusted proxy's header: the link stays on this origin.
      x509: pki.x509({ pinProtected: true, trustedProxies: ['127.0.0.2'] }),
      abuse: { captchaAfterFailures: 0, perIdentifier: { points: 1000 }, perIp: { points: 1000 } },
    },
  });
  await g.admin.seed({
    subscriptions: [],
    accounts: [
      { username: 'alice', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false },
      { username: 'totponly', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: PASSWORD, passwordMustChange: false },
    ],
    clients: [
      { ...TEST_CLIENT, client_id: 'bank-cards', first_party: true, guichet_minimum_level: 'sca', guichet_allowed_methods: ['password', 'emv-cap'] },
      { ...TEST_CLIENT, client_id: 'bank-passkeys', first_party: true, guichet_minimum_level: 'sca', guichet_allowed_methods: ['password', 'emv-cap', 'webauthn'] },
      { ...TEST_CLIENT, client_id: 'bank-all', first_party: true, guichet_minimum_level: 'sca' },
    ],
  });
  aliceId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'alice' }))!.id;
  const totpOnlyId = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'totponly' }))!.id;
  await enrolCapCard({ factors: g.container.repos.factors, keys: createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys }) }, { accountId: aliceId, ...demo.enrolment });
  const enrolment = createOathEnrolment({ factors: g.container.repos.factors, clock });
  aliceSecret = enrolment.beginTotpEnrolment('alice', 'Guichet').secret;
  expect((await enrolment.confirmTotpEnrolment(aliceId, aliceSecret, totp(aliceSecret))).kind).toBe('enrolled');
  totpOnlySecret = enrolment.beginTotpEnrolment('totponly', 'Guichet').secret;
  expect((await enrolment.confirmTotpEnrolment(totpOnlyId, totpOnlySecret, totp(totpOnlySecret))).kind).toBe('enrolled');
  const discover = (id: string) => oidc.discovery(new URL(g.url), id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
  [cardsOnly, everything, passkeysNoCertificates] = await Promise.all([discover('bank-cards'), discover('bank-all'), discover('bank-passkeys')]);
});
afterAll(async () => g?.stop());

async function authorization(config: oidc.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  return { url, verifier };
}

const submitCode = (b: Browser, page: Page, code: string) => {
  const form = formOf(page.body, 'otp');
  return b.follow(form.action, { form: { csrf: form.csrf, code } });
};
const errorOf = (page: Page) => new URL(page.url).searchParams.get('error');
const uidOf = (page: Page) => /\/interaction\/([\w-]+)/.exec(page.body)![1]!;
const lastAudit = async (action: string, accountId: string | null = aliceId) => (await g.container.repos.audit.list({ ...(accountId ? { accountId } : {}), action, limit: 1 }))[0];

describe('allowed methods per client (guichet_allowed_methods)', () => {
  test('a TOTP code is refused for a client allowing only the card reader, and audited method_not_allowed, though the account has TOTP', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorization(cardsOnly);
    const codePage = await loginWithPassword(b, auth.url.href, 'alice', PASSWORD);
    expect(codePage.body).toContain('data-step="otp"');
    // The page asks for the card reader only: its mode, and the reader's hint rather than the app's.
    expect(codePage.body).toMatch(/data-step="otp"[^>]*data-cap-mode="identify"/);
    expect(codePage.body).toContain('Enter the code shown by your card reader.');
    expect(codePage.body).not.toContain('authenticator app');
    const refused = await submitCode(b, codePage, totp(aliceSecret));
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('data-step="password"');
    expect(await lastAudit('login.second_factor')).toMatchObject({ result: 'failure', reason: 'method_not_allowed', clientId: 'bank-cards' });

    // The card reader, which the client allows, completes the same login.
    const again = await loginWithPassword(b, (await authorization(cardsOnly)).url.href, 'alice', PASSWORD);
    const reply = await reader.generateCode(card, { pin: '1234', request: IDENTIFY });
    if (reply.kind !== 'code') throw new Error(reply.reason);
    const out = await submitCode(b, again, reply.code);
    expect(out.url).toContain('code=');
    expect(await lastAudit('login.second_factor')).toMatchObject({ result: 'success', details: { factor: 'emv-cap', mode: 'identify' } });
  });

  test('the same TOTP code is accepted where the client allows every method', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const auth = await authorization(everything);
    const codePage = await loginWithPassword(b, auth.url.href, 'alice', PASSWORD);
    expect(codePage.body).toContain('authenticator app');
    const out = await submitCode(b, codePage, totp(aliceSecret));
    expect(out.url).toContain('code=');
    const claims = (await oidc.authorizationCodeGrant(everything, new URL(out.url), { pkceCodeVerifier: auth.verifier })).claims()!;
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
  });

  test('passkeys and certificates are not offered to a client that does not allow them, and refused when asked for anyway', async () => {
    // Every method allowed: the identify page offers both.
    const open = await new Browser(g.url, { 'accept-language': 'en' }).follow((await authorization(everything)).url.href);
    expect(open.body).toContain('data-step="passkey-start"');
    expect(open.body).toContain('data-action="certificate"');

    const b = new Browser(g.url, { 'accept-language': 'en' });
    const identify = await b.follow((await authorization(cardsOnly)).url.href);
    expect(identify.body).toContain('data-step="identify"');
    expect(identify.body).not.toContain('data-step="passkey-start"');
    expect(identify.body).not.toContain('data-action="certificate"');
    const uid = uidOf(identify);
    const csrf = formOf(identify.body, 'identify').csrf;
    const passkey = await b.follow(`/interaction/${uid}/passkey`, { form: { csrf } });
    expect(passkey.status).toBe(403);
    expect(await lastAudit('login.passkey', null)).toMatchObject({ result: 'failure', reason: 'method_not_allowed', clientId: 'bank-cards', details: { method: 'webauthn' } });
    const certificate = await b.follow(`/interaction/${uid}/certificate`);
    expect(certificate.status).toBe(403);
    expect(await lastAudit('login.certificate', null)).toMatchObject({ result: 'failure', reason: 'method_not_allowed', clientId: 'bank-cards', details: { method: 'x509' } });

    // On the code page too: a client allowing passkeys but not certificates offers only the passkey.
    const second = await loginWithPassword(new Browser(g.url, { 'accept-language': 'en' }), (await authorization(passkeysNoCertificates)).url.href, 'alice', PASSWORD);
    expect(second.body).toContain('data-step="otp"');
    expect(second.body).toContain('data-step="passkey-start"');
    expect(second.body).not.toContain('data-action="certificate"');
    const third = await loginWithPassword(new Browser(g.url, { 'accept-language': 'en' }), (await authorization(cardsOnly)).url.href, 'alice', PASSWORD);
    expect(third.body).toContain('data-step="otp"');
    expect(third.body).not.toContain('data-step="passkey-start"');
    expect(third.body).not.toContain('data-action="certificate"');
  });

  test('OIDC-07 no allowed method enrolled: unmet_authentication_requirements, audited method_not_allowed, never a lower acr', async () => {
    const b = new Browser(g.url, { 'accept-language': 'en' });
    const codePage = await loginWithPassword(b, (await authorization(cardsOnly)).url.href, 'totponly', PASSWORD);
    expect(codePage.body).toContain('data-step="otp"');
    const out = await submitCode(b, codePage, totp(totpOnlySecret));
    expect(errorOf(out)).toBe('unmet_authentication_requirements');
    expect(new URL(out.url).searchParams.has('code')).toBe(false);
    expect(await lastAudit('login.unmet_requirements', null)).toMatchObject({ result: 'failure', reason: 'method_not_allowed', clientId: 'bank-cards' });
  });
});

describe('registering a client with allowed methods', () => {
  const validate = (metadata: Record<string, unknown>) => g.container.provider.Client.validate({ ...TEST_CLIENT, client_id: 'candidate', ...metadata } as unknown as ClientMetadata);

  test('an unknown method, an empty list, or a list without the client’s own first factor is refused', async () => {
    await expect(validate({ guichet_allowed_methods: ['password', 'sms'] })).rejects.toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('unknown method sms') });
    await expect(validate({ guichet_allowed_methods: [] })).rejects.toMatchObject({ error: 'invalid_client_metadata' });
    await expect(validate({ guichet_first_factor: 'pin', guichet_allowed_methods: ['password', 'totp'] })).rejects.toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('must include pin') });
    await expect(validate({ guichet_first_factor: 'card', guichet_allowed_methods: ['password', 'totp'] })).rejects.toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('must include emv-cap') });
    await expect(validate({ guichet_first_factor: 'card', guichet_allowed_methods: ['emv-cap', 'webauthn'] })).resolves.toBeUndefined();
    await expect(validate({ guichet_allowed_methods: ['password', 'totp', 'x509'] })).resolves.toBeUndefined();
  });

  test('a client stored around the registration checks is refused when it is used: invalid_client_metadata, no login page', async () => {
    await g.container.repos.clients.save({ clientId: 'bank-broken', metadata: { ...TEST_CLIENT, client_id: 'bank-broken', guichet_first_factor: 'pin', guichet_allowed_methods: ['password', 'emv-cap'] }, firstParty: true });
    const url = new URL('/auth', g.url);
    for (const [k, v] of Object.entries({ client_id: 'bank-broken', response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) url.searchParams.set(k, v);
    const page = await new Browser(g.url, { 'accept-language': 'en' }).follow(url.href);
    expect(page.body).not.toContain('data-step="identify"');
    expect(page.body).toContain('invalid_client_metadata');
  });
});
