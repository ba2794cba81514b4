import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, loginWithPassword } from '../helpers/browserless.js';

let g: RunningGuichet;
let rp: oidc.Configuration;

beforeAll(async () => {
  g = await startGuichet();
  await seedBasics(g);
  rp = await oidc.discovery(new URL(g.url), TEST_CLIENT.client_id, undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => g?.stop());

async function authorization(extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: TEST_CLIENT.redirect_uris[0]!,
    scope: 'openid profile email guichet',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

describe('a relying party logs a user in with openid-client', () => {
  const browser = () => new Browser(g.url);
  let session: Browser;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  test('discovery advertises code flow, S256 only, iss in responses, logout', () => {
    const meta = rp.serverMetadata();
    expect(meta.issuer).toBe(g.url);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.end_session_endpoint).toBe(`${g.url}/session/end`);
    expect(meta.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256']));
  });

  test('OIDC-01 login over the pages, code exchange, ID token validated with acr, amr, auth_time, nonce', async () => {
    session = browser();
    const auth = await authorization();
    const done = await loginWithPassword(session, auth.url.href, 'alice', 'correct horse battery staple');
    expect(done.url.startsWith(TEST_CLIENT.redirect_uris[0]!)).toBe(true);
    const callback = new URL(done.url);
    expect(callback.searchParams.get('iss')).toBe(g.url);
    tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(g.url);
    expect(claims.aud).toBe(TEST_CLIENT.client_id);
    expect(claims.nonce).toBe(auth.nonce);
    expect(typeof claims.exp).toBe('number');
    expect(typeof claims.iat).toBe('number');
    expect(claims.acr).toBe('urn:guichet:loa:simple');
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.auth_time).toBe('number');
    expect(claims.sub).toMatch(/^[\x21-\x7e]{1,255}$/);
    expect(tokens.refresh_token).toBeTruthy();
  });

  test('userinfo returns profile, e-mail and Guichet claims for the subject', async () => {
    const sub = tokens.claims()!.sub;
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, sub);
    expect(info).toMatchObject({ sub, family_name: 'Durand', given_name: 'Alice', email: 'alice@example.com', email_verified: true, subscription: 'SUB-1', user_number: '01', roles: ['full'], access_profile: 'full', preferences: { defaultContract: 'C-42' } });
  });

  test('access tokens carry acr, amr and auth_time for resource servers (introspection), after refresh too', async () => {
    const introspect = async (token: string) => (await oidc.tokenIntrospection(rp, token)) as Record<string, unknown>;
    const first = await introspect(tokens.access_token);
    expect(first).toMatchObject({ active: true, acr: 'urn:guichet:loa:simple', amr: ['pwd'] });
    expect(first.auth_time).toBe(tokens.claims()!.auth_time);
  });

  test('refresh rotates the refresh token and the old one stops working', async () => {
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const viaRefresh = (await oidc.tokenIntrospection(rp, refreshed.access_token)) as Record<string, unknown>;
    expect(viaRefresh).toMatchObject({ active: true, acr: 'urn:guichet:loa:simple', amr: ['pwd'], auth_time: tokens.claims()!.auth_time });
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    tokens = refreshed as typeof tokens;
  });

  test('OIDC-05 prompt=none while signed in returns a code without any page', async () => {
    const auth = await authorization({ prompt: 'none' });
    const out = await session.follow(auth.url.href);
    expect(out.url).toContain('code=');
  });

  test('response_mode=form_post works under the strict CSP: the auto-submit script is allowed by its hash only', async () => {
    const auth = await authorization({ prompt: 'none', response_mode: 'form_post' });
    const out = await session.follow(auth.url.href);
    expect(out.status).toBe(200);
    expect(out.body).toContain(`action="${TEST_CLIENT.redirect_uris[0]}"`);
    expect(out.body).toContain('name="code"');
    const csp = out.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
  });

  test('OIDC-10 unknown parameters are ignored', async () => {
    const auth = await authorization({ some_unknown_parameter: 'whatever' });
    const viaGet = await session.follow(auth.url.href);
    expect(new URL(viaGet.url).searchParams.get('code')).toBeTruthy();
  });

  test('RP-initiated logout ends the session; prompt=none then fails with login_required', async () => {
    const logoutUrl = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: TEST_CLIENT.post_logout_redirect_uris[0]! });
    const confirm = await session.follow(logoutUrl.href);
    expect(confirm.body).toContain('data-step="logout"');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const action = /<form[^>]*id="op.logoutForm"[^>]*>|<form[^>]*action="([^"]+)"/.exec(confirm.body);
    expect(action).toBeTruthy();
    const out = await session.follow(`${g.url}/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
    expect(out.url.startsWith(TEST_CLIENT.post_logout_redirect_uris[0]!)).toBe(true);
    const auth = await authorization({ prompt: 'none' });
    const after = await session.follow(auth.url.href);
    expect(new URL(after.url).searchParams.get('error')).toBe('login_required');
  });

  test('OIDC-05 prompt=none combined with another value is refused', async () => {
    const auth = await authorization({ prompt: 'none login' });
    const out = await browser().follow(auth.url.href);
    expect(new URL(out.url).searchParams.get('error')).toBe('invalid_request');
  });

  test('a second-party client is asked for consent; a first-party one is not', async () => {
    await g.admin.seed({ subscriptions: [], accounts: [], clients: [{ ...TEST_CLIENT, client_id: 'third-party', client_name: 'Partner app', first_party: false }] });
    const partner = await oidc.discovery(new URL(g.url), 'third-party', undefined, oidc.ClientSecretBasic(TEST_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(partner, { redirect_uri: TEST_CLIENT.redirect_uris[0]!, scope: 'openid email', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const b = browser();
    const page = await loginWithPassword(b, url.href, 'alice', 'correct horse battery staple');
    expect(page.body).toContain('data-step="consent"');
    expect(page.body).toContain('Partner app');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const action = /action="([^"]+)" data-step="consent"/.exec(page.body)![1]!;
    const out = await b.follow(action, { form: { csrf, decision: 'allow' } });
    expect(new URL(out.url).searchParams.get('code')).toBeTruthy();
  });
});
