import Router from '@koa/router';
import { createHash } from 'node:crypto';
import type { ExpiringStore } from '../domain/ports.js';
import type { Locale } from '../domain/account.js';
import { randomToken } from '../lib/random.js';
import { GuichetError } from '../errors/codes.js';
import { demoPage } from '../../views/demo.js';
import { pageContext } from './page-context.js';
import { DEMO_CLIENT_ID } from '../admin/demo-fixture.js';

const COOKIE = 'guichet_demo';

/**
 * A tiny first-party relying party served at /demo, so a newcomer sees a whole login without
 * writing one: authorization code + PKCE, code exchange, userinfo, RP-initiated logout.
 */
export function demoRelyingParty(options: { issuer: string; store: ExpiringStore; fallback: Locale; secure: boolean; scaAcr: string }): Router {
  const { issuer, store } = options;
  const router = new Router({ prefix: '/demo' });
  const redirectUri = new URL('/demo/callback', issuer).href;

  router.get('/', async (ctx) => {
    const sessionId = ctx.cookies.get(COOKIE);
    const raw = sessionId ? await store.get(`demo:session:${sessionId}`) : null;
    const session = raw ? (JSON.parse(raw) as { claims: Record<string, unknown>; userinfo: Record<string, unknown>; idToken: string }) : null;
    const page = pageContext(ctx, options.fallback);
    const logoutUrl = session ? `${new URL('/session/end', issuer).href}?${new URLSearchParams({ id_token_hint: session.idToken, post_logout_redirect_uri: new URL('/demo/logged-out', issuer).href, client_id: DEMO_CLIENT_ID })}` : '';
    ctx.type = 'html';
    ctx.body = demoPage(page, { loginHref: '/demo/login', strongHref: '/demo/login?level=sca', logoutHref: logoutUrl, claims: session?.claims, userinfo: session?.userinfo });
  });

  router.get('/logged-out', async (ctx) => {
    const sessionId = ctx.cookies.get(COOKIE);
    if (sessionId) await store.delete(`demo:session:${sessionId}`);
    ctx.cookies.set(COOKIE, null);
    ctx.redirect('/demo');
  });

  router.get('/login', async (ctx) => {
    const state = randomToken(16);
    const verifier = randomToken(32);
    await store.set(`demo:state:${state}`, verifier, 600);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = new URL('/auth', issuer);
    const params = new URLSearchParams({ client_id: DEMO_CLIENT_ID, response_type: 'code', scope: 'openid profile email guichet', redirect_uri: redirectUri, state, code_challenge: challenge, code_challenge_method: 'S256', nonce: randomToken(16) });
    // "Strong" asks for SCA through acr_values, as a portal does before a sensitive operation.
    if (ctx.query.level === 'sca') params.set('acr_values', options.scaAcr);
    url.search = params.toString();
    ctx.redirect(url.pathname + url.search);
  });

  router.get('/callback', async (ctx) => {
    const { code, state, error } = ctx.query as Record<string, string | undefined>;
    if (error) throw new GuichetError('bad_request', `authorization failed: ${error}`);
    const verifier = state ? await store.get(`demo:state:${state}`) : null;
    if (!code || !state || !verifier) throw new GuichetError('bad_request', 'unknown state');
    await store.delete(`demo:state:${state}`);
    const tokenResponse = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: DEMO_CLIENT_ID }),
    });
    const tokens = (await tokenResponse.json()) as { id_token?: string; access_token?: string; error?: string };
    if (!tokenResponse.ok || !tokens.id_token || !tokens.access_token) throw new GuichetError('bad_request', `token exchange failed: ${tokens.error}`);
    const userinfo = await (await fetch(new URL('/me', issuer), { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
    // Received straight from the token endpoint, so the signature check may be skipped (OIDC Core §3.1.3.7 (6)).
    const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const sessionId = randomToken(16);
    await store.set(`demo:session:${sessionId}`, JSON.stringify({ claims, userinfo, idToken: tokens.id_token }), 3600);
    ctx.cookies.set(COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', secure: options.secure, signed: false });
    ctx.redirect('/demo');
  });

  return router;
}
