import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { Browser, formOf, loginWithPassword, type Page } from '../helpers/browserless.js';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { CertificateBrowser, certificateLinkOf, createTestPki, type TestPki } from '../helpers/certificate-browser.js';
import { createDemoCard } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { pressCardReader, type CardInReader } from '../../src/authenticators/emv-cap/simulator/press-card-reader.js';
import { computeKeyCheckValue } from '../../src/authenticators/emv-cap/compute-key-check-value.js';
import { fromHex } from '../../src/authenticators/emv-cap/bytes.js';
import { generateHotp } from '../../src/authenticators/oath/oath-codes.js';
import { parseCertificate } from '../../src/authenticators/x509/parse-certificate.js';

/**
 * Strong factors enrolled by administrators through the admin API (docs/openapi.yaml), then used at
 * the login pages: a card reader's code, a hardware token's code, a certificate. Real tokens from
 * this Guichet: an operator's client credentials and a subscription administrator's access token.
 */
const OPENAPI = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
const ADMIN_APP = { client_id: 'admin-app', client_secret: 'admin-app-secret-value-long-enough-0123456789' };
const OPERATOR = { client_id: 'operator', client_secret: 'operator-secret-value-long-enough-0123456789' };
const ADMIN_PASSWORD = 'Admin-A-Password-2026';
const USER_PASSWORD = 'User-A-Password-2026';
const HOTP_SECRET = '3132333435363738393031323334353637383930';

let g: RunningGuichet;
let pki: TestPki;
let operatorToken: string;
let adminToken: string;
let bank: oidc.Configuration;
const ids = {} as Record<'admin' | 'user' | 'other', string>;
/** Every secret sent, to prove none comes back or reaches the audit trail or the logs. */
const secrets: string[] = [HOTP_SECRET];

const basic = (c: { client_id: string; client_secret: string }) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

async function api(path: string, token: string | null, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${g.url}/admin/api${path}`, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  for (const secret of secrets) expect(text.toUpperCase()).not.toContain(secret.toUpperCase());
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

const expectProblem = (r: Awaited<ReturnType<typeof api>>, status: number, reason: string) => {
  expect(r.status).toBe(status);
  expect(r.type).toContain('application/problem+json');
  expect(r.body).toMatchObject({ type: `urn:guichet:error:${reason}`, status });
};

async function userToken(username: string, password: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({ client_id: ADMIN_APP.client_id, response_type: 'code', scope: 'openid admin', redirect_uri: REDIRECT, state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', prompt: 'login' });
  const page = await loginWithPassword(new Browser(g.url), `/auth?${params}`, username, password);
  const code = new URL(page.url).searchParams.get('code')!;
  const response = await fetch(`${g.url}/token`, { method: 'POST', headers: { authorization: basic(ADMIN_APP), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }) });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function authorization() {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(bank, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', prompt: 'login' });
  return { url, verifier };
}

/** user.a logs in with the password at a client that needs SCA, then types `code` on the code page. */
async function loginWithCode(code: string): Promise<Page> {
  const auth = await authorization();
  const b = new Browser(g.url, { 'accept-language': 'en' });
  const codePage = await loginWithPassword(b, auth.url.href, 'user.a', USER_PASSWORD);
  expect(codePage.body).toContain('data-step="otp"');
  const form = formOf(codePage.body, 'otp');
  const out = await b.follow(form.action, { form: { csrf: form.csrf, code } });
  if (out.url.includes('code=')) expect((await oidc.authorizationCodeGrant(bank, new URL(out.url), { pkceCodeVerifier: auth.verifier })).claims()!.acr).toBe('urn:guichet:loa:sca');
  return out;
}

beforeAll(async () => {
  pki = await createTestPki();
  g = await startGuichet({ certificateListener: true, config: { abuse: { captchaAfterFailures: 0 }, x509: pki.x509({ pinProtected: true }) } });
  await g.admin.seed({
    subscriptions: [
      { identifier: 'SUB-A', name: 'Subscription A' },
      { identifier: 'SUB-B', name: 'Subscription B' },
    ],
    accounts: [
      { username: 'admin.a', subscription: 'SUB-A', userNumber: '90', status: 'active', emailVerified: false, locale: 'fr', roles: ['subscription_admin'], preferences: {}, password: ADMIN_PASSWORD, passwordMustChange: false },
      { username: 'user.a', subscription: 'SUB-A', userNumber: '01', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: USER_PASSWORD, passwordMustChange: false },
      { username: 'other.b', subscription: 'SUB-B', userNumber: '01', status: 'active', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: 'Other-B-Password-2026', passwordMustChange: false },
    ],
    clients: [{ ...TEST_CLIENT, client_id: 'bank-sca', first_party: true, guichet_minimum_level: 'sca' }],
  });
  const { client_id: _id, ...metadata } = TEST_CLIENT;
  await g.container.repos.clients.save({ clientId: ADMIN_APP.client_id, firstParty: true, metadata: { ...metadata, client_secret: ADMIN_APP.client_secret, client_name: 'Admin app', scope: 'openid admin' } });
  await g.container.repos.clients.save({ clientId: OPERATOR.client_id, firstParty: true, metadata: { client_secret: OPERATOR.client_secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'admin' } });
  for (const [key, username] of [['admin', 'admin.a'], ['user', 'user.a'], ['other', 'other.b']] as const) ids[key] = (await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username }))!.id;
  const operator = await fetch(`${g.url}/token`, { method: 'POST', headers: { authorization: basic(OPERATOR), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }) });
  operatorToken = ((await operator.json()) as { access_token: string }).access_token;
  adminToken = await userToken('admin.a', ADMIN_PASSWORD);
  bank = await oidc.discovery(new URL(g.url), 'bank-sca', undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
});

afterAll(async () => {
  await g?.stop();
  await pki?.cleanup();
});

describe('admin API: enrolling strong factors', () => {
  test('CAP-01 a card is enrolled with its key check value, and its reader code works at the login', async () => {
    const demo = createDemoCard({ pan: '4970101234567890', keySource: 'imported' });
    const key = demo.enrolment.key as { kind: 'imported'; key: string };
    secrets.push(key.key);
    const expectedKcv = computeKeyCheckValue(fromHex(key.key));
    const body = { pan: demo.enrolment.pan, psn: demo.enrolment.psn, key, profile: 'visa-cvn10-uk', lastAtc: demo.enrolment.lastAtc, kcv: expectedKcv.slice(0, 4), label: 'Carte pro' };
    // A key that does not match the custodian's KCV is refused and nothing is stored.
    const wrong = await api(`/accounts/${ids.user}/factors/emv-cap`, operatorToken, { body: { ...body, kcv: expectedKcv.startsWith('0000') ? '1111' : '0000' } });
    expectProblem(wrong, 400, 'bad_request');
    expect(wrong.body.detail).toContain('key check value');
    const enrolled = await api(`/accounts/${ids.user}/factors/emv-cap`, operatorToken, { body });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.kcv).toBe(expectedKcv);
    expect(enrolled.body.credential).toMatchObject({ kind: 'emv-cap', label: 'Carte pro', blocked: false });
    const kit: CardInReader = { card: demo.card, reader: demo.enrolment.profile.reader };
    const pressed = await pressCardReader(kit, { pin: '1234', request: { mode: 'identify' } });
    expect(pressed.result.kind).toBe('code');
    const out = await loginWithCode((pressed.result as { code: string }).code);
    expect(out.url).toContain('code=');
    await api(`/accounts/${ids.user}/factors/${enrolled.body.credential.id}`, operatorToken, { method: 'DELETE' });
  });

  test('a hardware HOTP token imported by a subscription administrator: its next code works at the login', async () => {
    const imported = await api(`/accounts/${ids.user}/factors/hotp`, adminToken, { body: { serial: 'TOK-0001', secret: HOTP_SECRET, encoding: 'hex', counter: 3 } });
    expect(imported.status).toBe(201);
    expect(imported.body.credential).toMatchObject({ kind: 'hotp', serial: 'TOK-0001' });
    const again = await api(`/accounts/${ids.user}/factors/hotp`, adminToken, { body: { serial: 'TOK-0001', secret: HOTP_SECRET, encoding: 'hex' } });
    expectProblem(again, 409, 'already_enrolled');
    const code = generateHotp(Buffer.from(HOTP_SECRET, 'hex'), 3, { algorithm: 'SHA1', digits: 6 });
    expect((await loginWithCode(code)).url).toContain('code=');
    // A short seed is refused with the rule it breaks, never with the seed.
    const short = await api(`/accounts/${ids.user}/factors/hotp`, adminToken, { body: { serial: 'TOK-0002', secret: 'abcdef0123', encoding: 'hex' } });
    expectProblem(short, 400, 'bad_request');
  });

  test('a certificate enrolled through the API opens the account at the certificate login; revoked, it no longer does', async () => {
    const certificate = await pki.good('User A Token');
    const expired = await api(`/accounts/${ids.user}/factors/x509`, operatorToken, { body: { certificate: pki.expired.pem } });
    expectProblem(expired, 400, 'expired');
    const foreign = await api(`/accounts/${ids.user}/factors/x509`, operatorToken, { body: { certificate: pki.foreign.pem } });
    expectProblem(foreign, 400, 'untrusted_issuer');
    const enrolled = await api(`/accounts/${ids.user}/factors/x509`, operatorToken, { body: { certificate: certificate.pem, label: 'Clé USB' } });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.credential).toMatchObject({ kind: 'x509', label: 'Clé USB', certificate: { thumbprint: parseCertificate(certificate.der)!.thumbprint, subject: expect.stringContaining('CN=User A Token') } });
    expectProblem(await api(`/accounts/${ids.other}/factors/x509`, operatorToken, { body: { certificate: certificate.pem } }), 409, 'already_enrolled');

    const signIn = async () => {
      const b = new CertificateBrowser({ main: g.url, certificate: g.certificateUrl }, { ca: pki.ca.pem, certificate, headers: { 'accept-language': 'en' } });
      try {
        const auth = await authorization();
        return await b.follow(certificateLinkOf((await b.follow(auth.url.href)).body));
      } finally {
        await b.close();
      }
    };
    expect((await signIn()).url).toContain('code=');

    const listed = await api(`/accounts/${ids.user}/factors`, adminToken);
    expect(listed.status).toBe(200);
    expect(listed.body.factors.map((f: { kind: string }) => f.kind).sort()).toEqual(['hotp', 'x509']);
    const revoked = await api(`/accounts/${ids.user}/factors/${enrolled.body.credential.id}`, adminToken, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toMatchObject({ id: enrolled.body.credential.id, kind: 'x509' });
    expectProblem(await api(`/accounts/${ids.user}/factors/${enrolled.body.credential.id}`, adminToken, { method: 'DELETE' }), 404, 'not_found');
    const refused = await signIn();
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('This certificate is not registered for your account.');
  });
});

describe('admin API: who may enrol', () => {
  test('the same rules as the other endpoints: a token, the admin scope, the own subscription, not the own account', async () => {
    const body = { serial: 'TOK-0100', secret: HOTP_SECRET, encoding: 'hex' };
    expectProblem(await api(`/accounts/${ids.user}/factors/hotp`, null, { body }), 401, 'invalid_request');
    expectProblem(await api(`/accounts/${ids.other}/factors/hotp`, adminToken, { body }), 403, 'other_subscription');
    expectProblem(await api(`/accounts/${ids.admin}/factors/hotp`, adminToken, { body }), 403, 'own_account');
    expectProblem(await api(`/accounts/${ids.other}/factors`, adminToken), 403, 'other_subscription');
    const userToken_ = await userToken('user.a', USER_PASSWORD);
    expectProblem(await api(`/accounts/${ids.user}/factors`, userToken_), 403, 'not_subscription_admin');
    expectProblem(await api(`/accounts/${ids.user}/factors/hotp`, operatorToken, { body: { ...body, pin: '1234' } }), 400, 'bad_request');
    expect((await g.container.repos.factors.listForAccount(ids.other)).length).toBe(0);
  });

  test('every enrolment and revocation is audited with environment admin-api; no secret reaches the audit trail or the logs', async () => {
    const events = await g.container.repos.audit.list({ limit: 500 });
    const factorEvents = events.filter((e) => e.action.startsWith('admin.factor'));
    expect(factorEvents.filter((e) => e.action === 'admin.factor.enrol' && e.result === 'success').map((e) => e.details?.kind).sort()).toEqual(['emv-cap', 'hotp', 'x509']);
    expect(factorEvents.some((e) => e.action === 'admin.factor.revoke' && e.result === 'success')).toBe(true);
    expect(factorEvents.some((e) => e.action === 'admin.factor.enrol' && e.result === 'failure' && e.reason === 'own_account')).toBe(true);
    for (const e of factorEvents) expect(e.details).toMatchObject({ environment: 'admin-api' });
    const audit = JSON.stringify(events).toUpperCase();
    const logs = g.logs.join('\n').toUpperCase();
    for (const secret of secrets) {
      expect(audit).not.toContain(secret.toUpperCase());
      expect(logs).not.toContain(secret.toUpperCase());
    }
  });

  test('docs/openapi.yaml documents the factor endpoints', () => {
    const yaml = createRequire(import.meta.url)('js-yaml') as { safeLoad(text: string): any };
    const spec = yaml.safeLoad(readFileSync(OPENAPI, 'utf8'));
    for (const [path, method] of [
      ['/accounts/{id}/factors', 'get'],
      ['/accounts/{id}/factors/emv-cap', 'post'],
      ['/accounts/{id}/factors/hotp', 'post'],
      ['/accounts/{id}/factors/x509', 'post'],
      ['/accounts/{id}/factors/{factorId}', 'delete'],
    ] as const) {
      expect({ path, method, documented: Boolean(spec.paths[path]?.[method]) }).toEqual({ path, method, documented: true });
    }
    for (const ref of readFileSync(OPENAPI, 'utf8').match(/#\/components\/[\w/]+/g) ?? []) {
      const target = ref.slice(2).split('/').reduce((node: any, key) => node?.[key], spec);
      expect({ ref, exists: target !== undefined }).toEqual({ ref, exists: true });
    }
  });
});
