import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as oidc from 'openid-client';
import { startGuichet, seedBasics, TEST_CLIENT, type RunningGuichet } from '../helpers/guichet.js';
import { Browser, formOf } from '../helpers/browserless.js';

/**
 * Production shape: TLS ends at a reverse proxy that sets X-Forwarded-Proto; the issuer is https.
 * The test plays the proxy by sending that header to the plain-http listener.
 */
let g: RunningGuichet;
let issuer: string;
const proxied = { 'x-forwarded-proto': 'https' };

beforeAll(async () => {
  issuer = 'https://guichet.example.test';
  g = await startGuichet({ config: { trustProxy: true, issuer } });
  await seedBasics(g);
});
afterAll(async () => g?.stop());

function authParams(challenge: string) {
  return new URLSearchParams({ client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris[0]!, state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
}

describe('behind a TLS-terminating proxy', () => {
  test('ASVS-26 cookies are Secure, HttpOnly, SameSite and __Host- prefixed; HSTS is sent', async () => {
    const b = new Browser(g.url, proxied);
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const response = await b.request(`/auth?${authParams(challenge)}`);
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) {
      // Browsers accept __Host- only with Path=/ exactly; path-scoped cookies use __Secure-.
      const path = /;\s*path=([^;]*)/i.exec(c)?.[1];
      if (c.startsWith('__Host-')) expect(path).toBe('/');
      else expect(c.startsWith('__Secure-')).toBe(true);
      expect(c.toLowerCase()).toContain('; secure');
      expect(c.toLowerCase()).toContain('httponly');
      expect(c.toLowerCase()).not.toContain('domain=');
      expect(c.toLowerCase()).toMatch(/samesite=(lax|none)/);
    }
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
  });

  test('OIDC-10 the authorization endpoint accepts POST', async () => {
    const b = new Browser(g.url, proxied);
    const verifier = oidc.randomPKCECodeVerifier();
    const first = await b.follow('/auth', { body: authParams(await oidc.calculatePKCECodeChallenge(verifier)).toString() });
    const identify = formOf(first.body, 'identify');
    expect(identify.action.startsWith('/interaction/')).toBe(true);
    const second = await b.follow(identify.action, { form: { csrf: identify.csrf, identifier: 'alice' } });
    const pw = formOf(second.body, 'password');
    let out = await b.follow(pw.action, { form: { csrf: pw.csrf, password: 'correct horse battery staple' } });
    // Redirects name the public https origin; the test proxy maps them back to the listener.
    const publicOrigin = g.url.replace('http://', 'https://');
    for (let i = 0; i < 5 && out.url.startsWith(publicOrigin); i++) out = await b.follow(out.url.replace(publicOrigin, g.url));
    const callback = new URL(out.url);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('iss')).toBe(issuer);
  });
});
