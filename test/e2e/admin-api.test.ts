import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import argon2 from 'argon2';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { Browser, formOf, loginWithPassword, stepOf } from '../helpers/browserless.js';
import { startGuichet, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { adminApi, declaredRoutes } from '../../src/http/admin-api.js';
import type { Clock } from '../../src/lib/clock.js';

/**
 * The administration API over HTTP, with real tokens from this Guichet: an operator's client
 * credentials, a subscription administrator's access token, and ordinary ones that must not work.
 */
const OPENAPI = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
const ADMIN_APP = { client_id: 'admin-app', client_secret: 'admin-app-secret-value-long-enough-0123456789' };
const OPERATOR = { client_id: 'operator', client_secret: 'operator-secret-value-long-enough-0123456789' };
const NOT_OPERATOR = { client_id: 'reporting', client_secret: 'reporting-secret-value-long-enough-0123456789' };
const ADMIN_PASSWORD = 'Admin-A-Password-2026';
const PLAIN_PASSWORD = 'Plain-A-Password-2026';

/** The real time plus an offset the test moves: the provider stamps auth_time on real time. */
const offset = { ms: 0 };
const clock: Clock = { now: () => new Date(Date.now() + offset.ms) };

let g: RunningGuichet;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
const ids = {} as Record<"a01" | "a02" | "b01" | "admin" | "plain", string>;
/** Every code an endpoint returned, to prove none reaches the audit trail or the logs. */
const issuedCodes: string[] = [];

const basic = (c: { client_id: string; client_secret: string }) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

async function clientCredentials(client: { client_id: string; client_secret: string }, scope?: string) {
  const response = await fetch(`${g.url}/token`, {
    method: 'POST',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** A user's access token: the login pages as a browser would, then the code at the token endpoint. */
async function userToken(client: { client_id: string; client_secret: string }, username: string, password: string, scope: string): Promise<{ token: string; scope: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    scope,
    redirect_uri: REDIRECT,
    state: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    prompt: 'login',
  });
  const page = await loginWithPassword(new Browser(g.url), `/auth?${params}`, username, password);
  const code = new URL(page.url).searchParams.get('code');
  if (!code) throw new Error(`no code: ${page.url} ${page.body.slice(0, 500)}`);
  const response = await fetch(`${g.url}/token`, {
    method: 'POST',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
  });
  const body = (await response.json()) as Record<string, string>;
  if (!body.access_token) throw new Error(JSON.stringify(body));
  return { token: body.access_token, scope: body.scope ?? '' };
}

async function api(path: string, token: string | null, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${g.url}/admin/api${path}`, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, any>) : {};
  if (typeof body.code === 'string') issuedCodes.push(body.code);
  return { status: response.status, type: response.headers.get('content-type') ?? '', challenge: response.headers.get('www-authenticate'), cache: response.headers.get('cache-control'), body };
}

const expectProblem = (r: Awaited<ReturnType<typeof api>>, status: number, reason: string) => {
  expect(r.status).toBe(status);
  expect(r.type).toContain('application/problem+json');
  expect(r.body).toMatchObject({ type: `urn:guichet:error:${reason}`, status, title: expect.any(String), detail: expect.any(String) });
};

let operatorToken: string;
let adminToken: string;
let latestAdminToken: string;
/** The administrator's most recent token (the freshness test logs in again). */
const adminTokenFresh = () => latestAdminToken;

beforeAll(async () => {
  smtp = await startSmtpServer();
  g = await startGuichet({ clock, config: { smtpUrl: smtp.url } });
  await g.admin.seed({
    subscriptions: [
      { identifier: 'SUB-A', name: 'Subscription A' },
      { identifier: 'SUB-B', name: 'Subscription B' },
    ],
    accounts: [
      { username: 'admin.a', subscription: 'SUB-A', userNumber: '90', status: 'active', familyName: 'Admin', emailVerified: false, locale: 'fr', roles: ['subscription_admin'], preferences: {}, password: ADMIN_PASSWORD, passwordMustChange: false },
      { username: 'plain.a', subscription: 'SUB-A', userNumber: '91', status: 'active', familyName: 'Plain', emailVerified: false, locale: 'fr', roles: [], preferences: {}, password: PLAIN_PASSWORD, passwordMustChange: false },
      { subscription: 'SUB-A', userNumber: '01', status: 'active', familyName: 'Martin', givenName: 'Léa', email: 'lea.martin@a.example', emailVerified: true, locale: 'fr', roles: [], preferences: {}, pin: '482915', passwordMustChange: false },
      { subscription: 'SUB-A', userNumber: '02', status: 'suspended', familyName: 'Suspendu', emailVerified: false, locale: 'fr', roles: [], preferences: {}, pin: '593026', passwordMustChange: false },
      { subscription: 'SUB-B', userNumber: '01', status: 'active', familyName: 'Other', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: 'Other-B-Password-2026', passwordMustChange: false },
    ],
    clients: [{ ...TEST_CLIENT, first_party: true }],
  });
  const { client_id: _a, ...testMetadata } = TEST_CLIENT;
  await g.container.repos.clients.save({ clientId: ADMIN_APP.client_id, firstParty: true, metadata: { ...testMetadata, client_secret: ADMIN_APP.client_secret, client_name: 'Admin app', scope: 'openid admin' } });
  const operatorMetadata = { client_secret: OPERATOR.client_secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', scope: 'admin' };
  await g.container.repos.clients.save({ clientId: OPERATOR.client_id, firstParty: true, metadata: operatorMetadata });
  await g.container.repos.clients.save({ clientId: NOT_OPERATOR.client_id, firstParty: true, metadata: { ...operatorMetadata, client_secret: NOT_OPERATOR.client_secret, scope: 'openid' } });
  for (const [key, number] of [['a01', ['SUB-A', '01']], ['a02', ['SUB-A', '02']], ['b01', ['SUB-B', '01']], ['admin', ['SUB-A', '90']], ['plain', ['SUB-A', '91']]] as const) {
    ids[key] = (await g.container.repos.accounts.findByIdentifier({ scheme: 'subscription', subscription: number[0], userNumber: number[1] }))!.id;
  }
  const operator = await clientCredentials(OPERATOR, 'admin');
  expect(operator.status).toBe(200);
  operatorToken = operator.body.access_token!;
  adminToken = (await userToken(ADMIN_APP, 'admin.a', ADMIN_PASSWORD, 'openid admin')).token;
  latestAdminToken = adminToken;
});

afterAll(async () => {
  await g?.stop();
  await smtp?.stop();
});

describe('admin API: who may call', () => {
  test('no token: 401 with a Bearer challenge and a problem document; an unknown token: invalid_token', async () => {
    const none = await api('/accounts?subscription=SUB-A', null);
    expectProblem(none, 401, 'invalid_request');
    expect(none.challenge).toBe('Bearer realm="guichet-admin"');
    const unknown = await api('/accounts?subscription=SUB-A', 'not-a-real-token');
    expectProblem(unknown, 401, 'invalid_token');
    expect(unknown.challenge).toMatch(/^Bearer realm="guichet-admin", error="invalid_token"/);
    // Tokens only in the header (RFC 6750 §2.1 and §5.3: never in a URL).
    const inQuery = await fetch(`${g.url}/admin/api/accounts?subscription=SUB-A&access_token=${operatorToken}`);
    expect(inQuery.status).toBe(401);
  });

  test('an ordinary user token is refused with 403 insufficient_scope', async () => {
    const { token } = await userToken(TEST_CLIENT, 'plain.a', PLAIN_PASSWORD, 'openid');
    const r = await api('/accounts?subscription=SUB-A', token);
    expectProblem(r, 403, 'insufficient_scope');
    expect(r.challenge).toMatch(/^Bearer realm="guichet-admin", error="insufficient_scope", .*scope="admin"$/);
  });

  test('a client not registered for admin never gets it, even when it asks', async () => {
    // Clients registered without `scope` get the ordinary scopes only: asking for admin is an error.
    const params = new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid admin', redirect_uri: REDIRECT, state: 's', code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'), code_challenge_method: 'S256' });
    const refused = await new Browser(g.url).follow(`/auth?${params}`);
    expect(new URL(refused.url).searchParams.get('error')).toBe('invalid_scope');
    // A client-credentials client whose registration does not list admin: refused at the token endpoint, then here.
    expect((await clientCredentials(NOT_OPERATOR, 'admin')).body.error).toBe('invalid_scope');
    expectProblem(await api('/accounts?subscription=SUB-A', (await clientCredentials(NOT_OPERATOR)).body.access_token!), 403, 'insufficient_scope');
  });

  test('an admin-scoped token of an account without the subscription_admin role is refused', async () => {
    const { token } = await userToken(ADMIN_APP, 'plain.a', PLAIN_PASSWORD, 'openid admin');
    expectProblem(await api('/accounts', token), 403, 'not_subscription_admin');
    expectProblem(await api(`/accounts/${ids.a01}/temporary-code`, token, { body: {} }), 403, 'not_subscription_admin');
  });
});

describe('admin API: operators (client credentials with the admin scope)', () => {
  test('list and show the accounts of any subscription, without hashes', async () => {
    const list = await api('/accounts?subscription=SUB-B', operatorToken);
    expect(list.status).toBe(200);
    expect(list.cache).toBe('no-store');
    expect(list.body).toEqual({ subscription: { identifier: 'SUB-B', name: 'Subscription B' }, accounts: [{ id: ids.b01, username: null, userNumber: '01', status: 'active', familyName: 'Other', givenName: null }] });
    const shown = await api(`/accounts/${ids.a01}`, operatorToken);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: ids.a01, subscription: 'SUB-A', userNumber: '01', credentials: [{ kind: 'pin', blocked: false }], temporaryCode: null });
    expect(JSON.stringify(shown.body)).not.toMatch(/argon2|hash/i);
    expectProblem(await api('/accounts', operatorToken), 400, 'missing_field');
    expectProblem(await api('/accounts?subscription=NOPE', operatorToken), 404, 'not_found');
    expectProblem(await api('/accounts/no-such-account', operatorToken), 404, 'not_found');
  });

  test('ASVS-11 issue a code for an account of any subscription: 201, random, policy-conforming, stored hashed, expiring', async () => {
    const a = await api(`/accounts/${ids.a01}/temporary-code`, operatorToken, { body: {} });
    expect(a.status).toBe(201);
    expect(a.cache).toBe('no-store');
    expect(a.body).toMatchObject({ code: expect.stringMatching(/^\d{6}$/), kind: 'pin', delivery: 'show' });
    const expiresIn = new Date(a.body.expiresAt).getTime() - clock.now().getTime();
    expect(expiresIn).toBeGreaterThan(9 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);
    const stored = (await g.container.repos.temporarySecrets.find(ids.a01))!;
    expect(stored).toMatchObject({ kind: 'pin', purpose: 'admin', issuedBy: 'client:operator' });
    expect(await argon2.verify(stored.secretHash, a.body.code)).toBe(true);

    const b = await api(`/accounts/${ids.b01}/temporary-code`, operatorToken, { body: { kind: 'password' } });
    expect(b.status).toBe(201);
    expect(b.body.code).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{14}$/);
    expect((await api(`/accounts/${ids.b01}`, operatorToken)).body.temporaryCode).toMatchObject({ kind: 'password', purpose: 'admin' });
  });

  test('ASVS-15 mail delivery sends the code to the user and returns none; a suspended account gets nothing', async () => {
    smtp.mails.length = 0;
    const mailed = await api(`/accounts/${ids.a01}/temporary-code`, operatorToken, { body: { delivery: 'mail' } });
    expect(mailed.status).toBe(201);
    expect(mailed.body).not.toHaveProperty('code');
    expect(mailed.body).toMatchObject({ kind: 'pin', delivery: 'mail' });
    const [mail] = await smtp.waitFor(1);
    expect(mail).toMatchObject({ to: 'lea.martin@a.example', subject: 'Votre code confidentiel temporaire Guichet' });
    const code = /\n\n(\d{6})\n\n/.exec(mail!.text)![1]!;
    issuedCodes.push(code);
    expect(mail!.text).toContain('vous choisirez alors votre propre code');
    expect(await argon2.verify((await g.container.repos.temporarySecrets.find(ids.a01))!.secretHash, code)).toBe(true);
    expect((new Date(mailed.body.expiresAt).getTime() - clock.now().getTime()) / 86_400_000).toBeCloseTo(7, 2);

    expectProblem(await api(`/accounts/${ids.a02}/temporary-code`, operatorToken, { body: {} }), 409, 'account_suspended');
    expectProblem(await api(`/accounts/${ids.admin}/temporary-code`, operatorToken, { body: { delivery: 'mail' } }), 409, 'no_email');
  });

  test('ASVS-15 no endpoint takes a secret chosen by the administrator', async () => {
    for (const body of [{ password: 'Chosen-By-Admin-2026' }, { code: '135790' }, { kind: 'pin', secret: '135790' }]) {
      expectProblem(await api(`/accounts/${ids.a01}/temporary-code`, operatorToken, { body }), 400, 'bad_request');
    }
    for (const method of ['PUT', 'PATCH']) {
      expectProblem(await api(`/accounts/${ids.a01}`, operatorToken, { method, body: { password: 'Chosen-By-Admin-2026' } }), 405, 'method_not_allowed');
    }
    expectProblem(await api(`/accounts/${ids.a01}/password`, operatorToken, { body: { password: 'Chosen-By-Admin-2026' } }), 404, 'not_found');
    const spec = readFileSync(OPENAPI, 'utf8');
    // The request schema has no property that could carry a secret.
    const yaml = createRequire(import.meta.url)('js-yaml') as { safeLoad(text: string): any };
    expect(Object.keys(yaml.safeLoad(spec).components.schemas.TemporaryCodeRequest.properties)).toEqual(['kind', 'delivery']);
  });

  test('unblock lifts a blocked confidential code', async () => {
    const pin = (await g.container.repos.credentials.find(ids.a01, 'pin'))!;
    await g.container.repos.credentials.block(pin.id, clock.now(), null);
    expect((await api(`/accounts/${ids.a01}`, operatorToken)).body.credentials[0].blocked).toBe(true);
    const r = await api(`/accounts/${ids.a01}/unblock`, operatorToken, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ unblocked: ['pin'], reactivated: false, account: { credentials: [{ kind: 'pin', blocked: false }] } });
    expect((await g.container.repos.credentials.find(ids.a01, 'pin'))!.blockedAt).toBeNull();
  });
});

describe('admin API: subscription administrators', () => {
  test('PSD2-37 inside their own subscription only, with a fresh login', async () => {
    const own = await api('/accounts', adminToken);
    expect(own.status).toBe(200);
    expect(own.body.subscription.identifier).toBe('SUB-A');
    expect(own.body.accounts.map((a: { userNumber: string }) => a.userNumber)).toEqual(['01', '02', '90', '91']);
    expectProblem(await api('/accounts?subscription=SUB-B', adminToken), 403, 'other_subscription');
    expectProblem(await api(`/accounts/${ids.b01}`, adminToken), 403, 'other_subscription');
    expectProblem(await api(`/accounts/${ids.b01}/temporary-code`, adminToken, { body: {} }), 403, 'other_subscription');
    expectProblem(await api(`/accounts/${ids.b01}/unblock`, adminToken, { method: 'POST' }), 403, 'other_subscription');
    expectProblem(await api(`/accounts/${ids.admin}/temporary-code`, adminToken, { body: {} }), 403, 'own_account');

    const issued = await api(`/accounts/${ids.plain}/temporary-code`, adminToken, { body: {} });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ kind: 'password', delivery: 'show', code: expect.any(String) });
    expect((await g.container.repos.temporarySecrets.find(ids.plain))!.issuedBy).toBe(`account:${ids.admin}`);
    expect((await g.container.repos.temporarySecrets.find(ids.b01))!.issuedBy).toBe('client:operator');
  });

  test('PSD2-39 once the login is older than freshLoginSeconds, issuing asks for a new login (RFC 9470)', async () => {
    offset.ms = 301_000;
    try {
      const stale = await api(`/accounts/${ids.a01}/temporary-code`, adminToken, { body: {} });
      expectProblem(stale, 401, 'insufficient_user_authentication');
      expect(stale.challenge).toContain('error="insufficient_user_authentication"');
      expect(stale.challenge).toContain('max_age="300"');
      // Operators have no login to renew: their tokens are unaffected.
      expect((await api(`/accounts/${ids.a01}`, operatorToken)).status).toBe(200);
    } finally {
      offset.ms = 0;
    }
    const fresh = await userToken(ADMIN_APP, 'admin.a', ADMIN_PASSWORD, 'openid admin');
    latestAdminToken = fresh.token;
    expect((await api(`/accounts/${ids.a01}/temporary-code`, fresh.token, { body: {} })).status).toBe(201);
  });
});

describe('admin API: the code at the user\'s login', () => {
  /** identify → password with TEST_CLIENT, as the user would. */
  const loginAs = (username: string, secret: string) => {
    const params = new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, state: 's', code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'), code_challenge_method: 'S256' });
    const browser = new Browser(g.url);
    return { browser, page: loginWithPassword(browser, `/auth?${params}`, username, secret) };
  };

  test('ASVS-11 ASVS-15 the code works once, and only to choose the user\'s own password, which the administrator never sees', async () => {
    const issued = await api(`/accounts/${ids.plain}/temporary-code`, adminTokenFresh(), { body: {} });
    expect(issued.status).toBe(201);
    const { browser, page } = loginAs('plain.a', issued.body.code);
    const first = await page;
    expect(stepOf(first.body)).toBe('new-secret');
    // The user chooses; the administrator's code is gone, and only the user's choice opens the account.
    const form = formOf(first.body, 'new-secret');
    const chosen = 'Chosen-By-The-User-2026';
    const done = await browser.follow(form.action, { form: { csrf: form.csrf, new_secret: chosen, confirmation: chosen } });
    expect(done.status).toBeLessThan(500);
    expect(await g.container.repos.temporarySecrets.find(ids.plain)).toBeNull();
    const again = await loginAs('plain.a', issued.body.code).page;
    expect(again.status).toBe(401);
    expect(stepOf(again.body)).toBe('password');
    const credential = (await g.container.repos.credentials.find(ids.plain, 'password'))!;
    expect(await argon2.verify(credential.secretHash, chosen)).toBe(true);
    expect(await argon2.verify(credential.secretHash, issued.body.code)).toBe(false);
  });

  test('ASVS-11 a shown code no longer opens the account after temporaryCodes.shownTtlMinutes', async () => {
    const issued = await api(`/accounts/${ids.plain}/temporary-code`, operatorToken, { body: {} });
    expect(issued.status).toBe(201);
    expect(await argon2.verify((await g.container.repos.temporarySecrets.find(ids.plain))!.secretHash, issued.body.code)).toBe(true);
    offset.ms = 10 * 60_000 + 1000;
    try {
      const late = await loginAs('plain.a', issued.body.code).page;
      expect(late.status).toBe(401);
      expect(stepOf(late.body)).toBe('password');
    } finally {
      offset.ms = 0;
    }
  });
});

describe('admin API: audit and documentation', () => {
  test('PSD2-37 every action is audited with the caller, the target and the environment; no code in the audit or the logs', async () => {
    const events = await g.container.repos.audit.list({ action: 'admin.temporary_code.issued', limit: 100 });
    const byAdmin = events.find((e) => e.actor === `account:${ids.admin}` && e.result === 'success' && e.accountId === ids.plain);
    expect(byAdmin).toMatchObject({ accountId: ids.plain, details: { environment: 'admin-api', delivery: 'show', actorAuthentication: { grant: 'authorization_code', clientId: 'admin-app', authTime: expect.any(Number), amr: ['pwd'] } } });
    expect(events.find((e) => e.actor === 'client:operator' && e.accountId === ids.b01)).toMatchObject({ result: 'success', details: { environment: 'admin-api', kind: 'password' } });
    expect(events.find((e) => e.reason === 'other_subscription')).toMatchObject({ result: 'failure', actor: `account:${ids.admin}`, accountId: ids.b01 });
    for (const action of ['admin.accounts.list', 'admin.account.show', 'admin.account.unblock']) {
      expect((await g.container.repos.audit.list({ action, limit: 5 })).length).toBeGreaterThan(0);
    }
    expect(issuedCodes.length).toBeGreaterThanOrEqual(5);
    const { rows } = await g.container.db.raw('select * from audit_events');
    const audit = JSON.stringify(rows);
    const logs = g.logs.join('\n');
    for (const code of issuedCodes) {
      expect(audit).not.toContain(code);
      expect(logs).not.toContain(code);
    }
    expect(logs).not.toContain(operatorToken);
    expect(audit).not.toContain(operatorToken);
  });

  test('docs/openapi.yaml is OpenAPI 3.1 and documents every route the router declares', async () => {
    const yaml = createRequire(import.meta.url)('js-yaml') as { safeLoad(text: string): any };
    const spec = yaml.safeLoad(readFileSync(OPENAPI, 'utf8'));
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.components.securitySchemes)).toEqual(['operatorClientCredentials', 'subscriptionAdministrator']);
    expect(spec.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail']);
    const { router } = adminApi({ repos: {} } as never);
    const routes = declaredRoutes(router as unknown as Router);
    expect(routes.length).toBe(10);
    for (const { method, path } of routes) {
      const documented = spec.paths[path.replace(/^\/admin\/api/, '')];
      expect({ method, path, documented: Boolean(documented?.[method]) }).toEqual({ method, path, documented: true });
    }
    const documentedCount = Object.values(spec.paths as Record<string, Record<string, unknown>>).flatMap((p) => Object.keys(p).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k))).length;
    expect(documentedCount).toBe(routes.length);
    // Every $ref points at something that exists.
    for (const ref of readFileSync(OPENAPI, 'utf8').match(/#\/components\/[\w/]+/g) ?? []) {
      const target = ref.slice(2).split('/').reduce((node: any, key) => node?.[key], spec);
      expect({ ref, exists: target !== undefined }).toEqual({ ref, exists: true });
    }
  });
});
