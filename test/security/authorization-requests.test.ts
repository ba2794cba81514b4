import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, loginWithPassword } from '../helpers/browserless.js';

let g: RunningGuichet;
beforeAll(async () => {
  g = await startGuichet();
  await seedBasics(g);
});
afterAll(async () => g?.stop());

const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
const basic = 'Basic ' + Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64');

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authUrl(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  const all: Record<string, string | undefined> = { client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, state: 'st', ...params };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) search.set(k, v);
  return `${g.url}/auth?${search}`;
}

async function codeFor(browser: Browser, challenge: string): Promise<string> {
  const out = await loginWithPassword(browser, authUrl({ code_challenge: challenge, code_challenge_method: 'S256' }), 'alice', 'correct horse battery staple');
  const code = new URL(out.url).searchParams.get('code');
  if (!code) throw new Error(`no code: ${out.url}`);
  return code;
}

const redeem = (code: string, verifier: string) =>
  fetch(`${g.url}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
  });

describe('authorization requests', () => {
  test.each([
    ['a path appended', `${REDIRECT}/x`],
    ['a query added', `${REDIRECT}?x=1`],
    ['another host', 'https://evil.example.test/cb'],
    ['a trailing slash', `${REDIRECT}/`],
  ])('OIDC-09 ASVS-30 redirect URI with %s gets an error page, never a redirect', async (_label, uri) => {
    const { challenge } = pkce();
    const response = await fetch(authUrl({ redirect_uri: uri, code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const body = await response.text();
    expect(body).toContain('data-step="error"');
    expect(body).toContain('redirect_uri');
  });

  test('an unknown client gets an error page, never a redirect', async () => {
    const response = await fetch(authUrl({ client_id: 'nobody', code_challenge: pkce().challenge, code_challenge_method: 'S256' }), { redirect: 'manual', headers: { accept: 'text/html', 'accept-language': 'en' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('invalid_client');
  });

  test('ASVS-33 a request without PKCE is refused with invalid_request', async () => {
    const response = await fetch(authUrl({}), { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  test('ASVS-33 the plain PKCE method is refused', async () => {
    const { verifier } = pkce();
    const response = await fetch(authUrl({ code_challenge: verifier, code_challenge_method: 'plain' }), { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  test('ASVS-33 a wrong code_verifier is refused with invalid_grant', async () => {
    const { challenge } = pkce();
    const code = await codeFor(new Browser(g.url), challenge);
    const response = await redeem(code, pkce().verifier);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  test('OIDC-12 ASVS-31 a code works once; a second use fails and revokes the tokens of the first', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(new Browser(g.url), challenge);
    const first = await redeem(code, verifier);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as { access_token: string; refresh_token: string };
    const userinfoBefore = await fetch(`${g.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfoBefore.status).toBe(200);
    const second = await redeem(code, verifier);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ error: 'invalid_grant' });
    const userinfoAfter = await fetch(`${g.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfoAfter.status).toBe(401);
    const refresh = await fetch(`${g.url}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) });
    expect(refresh.status).toBe(400);
  });

  test('OIDC-12 parallel redemptions of one code never yield two token sets, and the reuse revokes the grant', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(new Browser(g.url), challenge);
    const results = await Promise.all(Array.from({ length: 10 }, () => redeem(code, verifier)));
    const bodies = await Promise.all(results.map((r) => r.json() as Promise<{ error?: string; access_token?: string }>));
    expect(bodies.filter((b) => b.access_token).length).toBeLessThanOrEqual(1);
    expect(bodies.filter((b) => b.error === 'invalid_grant').length).toBeGreaterThanOrEqual(9);
    for (const b of bodies.filter((x) => x.access_token)) {
      const info = await fetch(`${g.url}/me`, { headers: { authorization: `Bearer ${b.access_token}` } });
      expect(info.status).toBe(401);
    }
  });

  test('ASVS-31 an authorization code lives at most 60 seconds', async () => {
    const { challenge } = pkce();
    const code = await codeFor(new Browser(g.url), challenge);
    const ttl = await g.container.store.ttl(`oidc:AuthorizationCode:${code}`);
    expect(ttl).not.toBeNull();
    expect(ttl!).toBeLessThanOrEqual(60);
    const discovery = await (await fetch(`${g.url}/.well-known/openid-configuration`)).json();
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
  });

  test('OIDC-14 token responses carry Cache-Control: no-store', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(new Browser(g.url), challenge);
    const response = await redeem(code, verifier);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('no-store');
    const error = await redeem('not-a-code', verifier);
    expect(error.headers.get('cache-control')).toContain('no-store');
  });
});

describe('suspension', () => {
  test('suspending an account ends its refresh and userinfo at once, even with accounts cached', async () => {
    await g.admin.seed({ subscriptions: [], accounts: [{ username: 'zoe', status: 'active', emailVerified: false, locale: 'fr', roles: [], preferences: {}, password: 'correct horse battery staple', passwordMustChange: false }], clients: [] });
    const { verifier, challenge } = pkce();
    const out = await loginWithPassword(new Browser(g.url), authUrl({ code_challenge: challenge, code_challenge_method: 'S256' }), 'zoe', 'correct horse battery staple');
    const tokens = (await (await redeem(new URL(out.url).searchParams.get('code')!, verifier)).json()) as { access_token: string; refresh_token: string };
    const me = () => fetch(`${g.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await me()).status).toBe(200);
    expect((await me()).status).toBe(200);
    const zoe = await g.container.repos.accounts.findByIdentifier({ scheme: 'username', username: 'zoe' });
    await g.admin.setStatus(zoe!.id, 'suspended');
    expect((await me()).status).toBe(401);
    const refresh = await fetch(`${g.url}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) });
    expect(refresh.status).toBe(400);
  });
});
