import Router from '@koa/router';
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../config/schema.js';
import type { ExpiringStore, Repositories } from '../domain/ports.js';
import type { Account } from '../domain/account.js';
import { GuichetError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import { safeEqual } from '../lib/constant-time.js';
import { randomToken } from '../lib/random.js';

/** Guichet's own pages for signed-in people (profile, subscription administration) log in as this client. */
export const PORTAL_CLIENT_ID = 'guichet-portal';

export const portalClientMetadata = (issuer: string) => ({
  client_name: 'Guichet',
  redirect_uris: [new URL('/portal/callback', issuer).href],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
});

/** Who is signed in to Guichet's own pages, and how and when they proved it. */
export interface PortalUser {
  account: Account;
  authTime: number;
  acr: string | null;
  amr: string[];
  /** Per-session token every form of these pages carries (CSRF). */
  csrf: string;
}

interface StoredSession {
  accountId: string;
  authTime: number;
  acr: string | null;
  amr: string[];
  csrf: string;
}

interface PendingLogin {
  verifier: string;
  returnTo: string;
}

/** How fresh and how strong the sign-in must be for a page or an action. */
export interface Requirement {
  /** The login must be at most this old (seconds): a full re-authentication (ASVS 5.0 7.5.1). */
  maxAgeSeconds?: number;
  /** The level asked from the provider (acr_values), e.g. SCA for managing authorisations. */
  acr?: string;
}

const SESSION_TTL = 15 * 60;

/**
 * Sessions of Guichet's own pages. They log in through the provider like any relying party
 * (authorization code + PKCE on the first-party client `guichet-portal`), so every login rule,
 * step-up and lockout applies; the code is redeemed in-process from the provider's store, which
 * spares a network round trip to our own token endpoint. The session lives in the store with an
 * idle TTL of 15 minutes behind a `__Host-` cookie over https.
 */
export function portalSessions(deps: { provider: Provider; store: ExpiringStore; repos: Repositories; config: Readonly<Config>; clock: Clock }) {
  const { provider, store, repos, config, clock } = deps;
  const secure = new URL(config.issuer).protocol === 'https:';
  const cookie = secure ? '__Host-guichet_portal' : 'guichet_portal';
  const redirectUri = new URL('/portal/callback', config.issuer).href;
  const sessionKey = (id: string) => `portal:session:${id}`;
  const router = new Router({ prefix: '/portal' });

  /** Only our own paths are valid destinations (no open redirect). */
  const safeReturn = (value: unknown): string => (typeof value === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(value) ? value : '/account');

  async function startLogin(ctx: Context, returnTo: string, requirement: Requirement): Promise<void> {
    const state = randomToken(16);
    const verifier = randomToken(32);
    await store.set(`portal:login:${state}`, JSON.stringify({ verifier, returnTo } satisfies PendingLogin), 600);
    const url = new URL('/auth', config.issuer);
    url.search = new URLSearchParams({
      client_id: PORTAL_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: redirectUri,
      state,
      nonce: randomToken(16),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(requirement.maxAgeSeconds !== undefined ? { max_age: String(requirement.maxAgeSeconds), prompt: 'login' } : {}),
      ...(requirement.acr ? { acr_values: requirement.acr } : {}),
    }).toString();
    ctx.redirect(url.pathname + url.search);
  }

  router.get('/login', async (ctx) => {
    const fresh = ctx.query.fresh === '1';
    await startLogin(ctx, safeReturn(ctx.query.return), { ...(fresh ? { maxAgeSeconds: 0 } : {}), ...(ctx.query.level === 'sca' ? { acr: config.acr.sca } : {}) });
  });

  router.get('/callback', async (ctx) => {
    const { code, state, error } = ctx.query as Record<string, string | undefined>;
    const raw = state ? await store.get(`portal:login:${state}`) : null;
    if (!raw || !state) throw new GuichetError('session_expired', 'unknown or used portal login state');
    await store.delete(`portal:login:${state}`);
    const pending = JSON.parse(raw) as PendingLogin;
    if (error || !code) {
      // The person cancelled, or the provider refused: back to where they came from, signed out.
      throw new GuichetError('login_cancelled', `portal login ended with ${error ?? 'no code'}`);
    }
    const found = await provider.AuthorizationCode.find(code);
    if (!found || found.clientId !== PORTAL_CLIENT_ID || found.redirectUri !== redirectUri || (found as unknown as { consumed?: unknown }).consumed) throw new GuichetError('session_expired', 'authorization code not usable');
    const challenge = createHash('sha256').update(pending.verifier).digest('base64url');
    if (!found.codeChallenge || !safeEqual(found.codeChallenge, challenge)) throw new GuichetError('session_expired', 'PKCE verifier mismatch');
    await found.consume();
    const session: StoredSession = { accountId: String(found.accountId), authTime: Number(found.authTime ?? 0), acr: (found.acr as string | undefined) ?? null, amr: (found.amr as string[] | undefined) ?? [], csrf: randomToken(24) };
    const id = randomToken(24);
    await store.set(sessionKey(id), JSON.stringify(session), SESSION_TTL);
    ctx.cookies.set(cookie, id, { httpOnly: true, sameSite: 'lax', secure, signed: false, path: '/', overwrite: true });
    ctx.redirect(pending.returnTo);
  });

  router.post('/logout', async (ctx) => {
    const id = ctx.cookies.get(cookie);
    if (id) await store.delete(sessionKey(id));
    ctx.cookies.set(cookie, null, { path: '/', secure });
    ctx.redirect('/session/end');
  });

  /**
   * The signed-in person, or null after redirecting them to log in (again, when the page needs a
   * fresher or stronger proof than their session holds).
   */
  async function require(ctx: Context, requirement: Requirement = {}): Promise<PortalUser | null> {
    const id = ctx.cookies.get(cookie);
    const raw = id ? await store.get(sessionKey(id)) : null;
    const session = raw ? (JSON.parse(raw) as StoredSession) : null;
    const account = session ? await repos.accounts.findById(session.accountId) : null;
    const now = Math.floor(clock.now().getTime() / 1000);
    const tooOld = session && requirement.maxAgeSeconds !== undefined && now - session.authTime > requirement.maxAgeSeconds;
    const tooWeak = session && requirement.acr !== undefined && session.acr !== requirement.acr && !(requirement.acr === config.acr.sca && session.acr === config.acr.scaPhr);
    if (!session || !account || account.status !== 'active' || tooOld || tooWeak) {
      if (ctx.method !== 'GET') throw new GuichetError('session_expired', 'portal session missing or not fresh enough');
      await startLogin(ctx, safeReturn(ctx.originalUrl), { ...(tooOld ? { maxAgeSeconds: 0 } : {}), ...(requirement.acr ? { acr: requirement.acr } : {}) });
      return null;
    }
    await store.set(sessionKey(id!), raw!, SESSION_TTL);
    return { account, authTime: session.authTime, acr: session.acr, amr: session.amr, csrf: session.csrf };
  }

  /** Checks the CSRF token of a posted form against the session's. */
  function checkCsrf(user: PortalUser, posted: string | undefined): void {
    if (!posted || !safeEqual(posted, user.csrf)) throw new GuichetError('csrf_failed');
  }

  return { router, require, checkCsrf, cookie };
}

export type PortalSessions = ReturnType<typeof portalSessions>;
