import Router from '@koa/router';
import type { Context } from 'koa';
import { createHash } from 'node:crypto';
import type { ExpiringStore } from '../domain/ports.js';
import type { Locale } from '../domain/account.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { randomToken } from '../lib/random.js';
import { safeEqual } from '../lib/constant-time.js';
import { GuichetError } from '../errors/codes.js';
import { isValidIban, parseDetail, type AuthorizationDetail } from '../policy/authorization-details.js';
import { demoPage, type DemoAccount, type DemoNotice, type DemoView } from '../../views/demo.js';
import { pageContext } from './page-context.js';
import { readForm } from './read-form.js';
import { demoResourceServer } from './demo-resource-server.js';
import { DEMO_CLIENT_ID } from '../admin/demo-fixture.js';

const COOKIE = 'guichet_demo';
const FORM_BYTES = 4096;

interface DemoSession {
  claims: Record<string, unknown>;
  userinfo: Record<string, unknown>;
  idToken: string;
  accessToken: string;
  csrf: string;
}

/** What to do with the token the next callback brings: the operation that asked for it. */
type Pending = { kind: 'payee'; name: string; iban: string } | { kind: 'transfer'; detail: Extract<AuthorizationDetail, { type: 'payment_initiation' }> };

export interface DemoOptions {
  issuer: string;
  store: ExpiringStore;
  fallback: Locale;
  secure: boolean;
  scaAcr: string;
  /** Guichet's `acr` names; without them the demo API counts `scaAcr` as SCA and any other `acr` as simple. */
  acr?: { simple: string; sca: string; scaPhr: string } | undefined;
  clock?: Clock | undefined;
}

/**
 * A tiny first-party relying party served at /demo, so a newcomer sees whole flows without writing
 * one: authorization code + PKCE, code exchange, userinfo, RP-initiated logout; its accounts from
 * the demo API (src/http/demo-resource-server.ts); adding a payee, which the API refuses without a
 * recent SCA (RFC 9470 challenge → step-up asking a `sensitive_operation`); a transfer authorised by
 * a pushed request (RFC 9126) carrying the payment as `authorization_details` (RFC 9396).
 */
export function demoRelyingParty(options: DemoOptions): Router {
  const { issuer, store } = options;
  const clock = options.clock ?? systemClock;
  const router = new Router({ prefix: '/demo' });
  const redirectUri = new URL('/demo/callback', issuer).href;
  const api = (path: string) => new URL(`/demo/api${path}`, issuer);

  demoResourceServer(router, {
    issuer,
    store,
    clock,
    levelOfAcr: (acr) => {
      if (acr === options.scaAcr || acr === options.acr?.sca || acr === options.acr?.scaPhr) return 'sca';
      if (!options.acr || acr === options.acr.simple) return 'simple';
      return 'none';
    },
    scaAcr: options.scaAcr,
    simpleAcr: options.acr?.simple,
    scaMaxAgeSeconds: 300,
  });

  async function sessionOf(ctx: Context): Promise<{ id: string; session: DemoSession } | null> {
    const id = ctx.cookies.get(COOKIE);
    const raw = id ? await store.get(`demo:session:${id}`) : null;
    return id && raw ? { id, session: JSON.parse(raw) as DemoSession } : null;
  }

  const callApi = (path: string, token: string, body?: unknown) =>
    fetch(api(path), { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  async function home(ctx: Context, extra: Pick<DemoView, 'notice' | 'invalid'> = {}): Promise<void> {
    const current = await sessionOf(ctx);
    const page = pageContext(ctx, options.fallback);
    const session = current?.session;
    const logoutHref = session ? `${new URL('/session/end', issuer).href}?${new URLSearchParams({ id_token_hint: session.idToken, post_logout_redirect_uri: new URL('/demo/logged-out', issuer).href, client_id: DEMO_CLIENT_ID })}` : '';
    let accounts: DemoAccount[] | null = null;
    let payees: { name: string; iban: string }[] = [];
    if (session) {
      const [a, p] = await Promise.all([callApi('/accounts', session.accessToken), callApi('/payees', session.accessToken)]);
      if (a.ok) accounts = ((await a.json()) as { accounts: DemoAccount[] }).accounts;
      if (p.ok) payees = ((await p.json()) as { payees: typeof payees }).payees;
    }
    ctx.type = 'html';
    ctx.body = demoPage(page, {
      loginHref: '/demo/login',
      strongHref: '/demo/login?level=sca',
      logoutHref,
      claims: session?.claims,
      userinfo: session?.userinfo,
      accounts,
      payees,
      csrf: session?.csrf,
      payeeAction: '/demo/payees',
      transferAction: '/demo/transfer',
      ...extra,
    });
  }

  router.get('/', async (ctx) => {
    const notice = String(ctx.query.notice ?? '');
    await home(ctx, { notice: ['payee_added', 'payee_refused', 'transfer_done', 'transfer_refused'].includes(notice) ? (notice as DemoNotice) : undefined });
  });

  router.get('/logged-out', async (ctx) => {
    const sessionId = ctx.cookies.get(COOKIE);
    if (sessionId) await store.delete(`demo:session:${sessionId}`);
    ctx.cookies.set(COOKIE, null);
    ctx.redirect('/demo');
  });

  /**
   * Starts a code flow; with `authorization_details` the request is pushed first (RFC 9126), so the
   * browser carries only a `request_uri` and cannot alter amount or payee (RFC 9396 §12).
   */
  async function authorize(ctx: Context, extra: Record<string, string>, pending?: Pending): Promise<void> {
    const state = randomToken(16);
    const verifier = randomToken(32);
    await store.set(`demo:state:${state}`, JSON.stringify({ verifier, pending }), 600);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const params = new URLSearchParams({ client_id: DEMO_CLIENT_ID, response_type: 'code', scope: 'openid profile email guichet', redirect_uri: redirectUri, state, code_challenge: challenge, code_challenge_method: 'S256', nonce: randomToken(16), ...extra });
    const url = new URL('/auth', issuer);
    if (extra.authorization_details) {
      const pushed = await fetch(new URL('/request', issuer), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params });
      const answer = (await pushed.json()) as { request_uri?: string; error?: string };
      if (!pushed.ok || !answer.request_uri) throw new GuichetError('bad_request', `pushed authorization request refused: ${answer.error}`);
      url.search = new URLSearchParams({ client_id: DEMO_CLIENT_ID, request_uri: answer.request_uri }).toString();
    } else url.search = params.toString();
    ctx.redirect(url.pathname + url.search);
  }

  router.get('/login', async (ctx) => {
    // "Strong" asks for SCA through acr_values, as a portal does before a sensitive operation.
    await authorize(ctx, ctx.query.level === 'sca' ? { acr_values: options.scaAcr } : {});
  });

  /** The signed-in session and its checked form; null (and the home page) when no one is signed in. */
  async function postedForm(ctx: Context): Promise<{ session: DemoSession; form: Record<string, string> } | null> {
    const current = await sessionOf(ctx);
    const form = await readForm(ctx, FORM_BYTES);
    if (!current) {
      ctx.redirect('/demo');
      return null;
    }
    if (!safeEqual(form.csrf ?? '', current.session.csrf)) throw new GuichetError('csrf_failed');
    return { session: current.session, form };
  }

  router.post('/payees', async (ctx) => {
    const posted = await postedForm(ctx);
    if (!posted) return;
    const name = (posted.form.payee_name ?? '').trim();
    const iban = (posted.form.payee_iban ?? '').replace(/\s+/g, '').toUpperCase();
    if (!name || name.length > 70 || !isValidIban(iban)) {
      ctx.status = 400;
      await home(ctx, { invalid: { form: 'payee', values: { payee_name: posted.form.payee_name ?? '', payee_iban: posted.form.payee_iban ?? '' } } });
      return;
    }
    const response = await callApi('/payees', posted.session.accessToken, { name, iban });
    if (response.ok) return ctx.redirect('/demo?notice=payee_added');
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    if (response.status !== 401 || challenge.error !== 'insufficient_user_authentication') return ctx.redirect('/demo?notice=payee_refused');
    // RFC 9470 §4: ask again with what the API said, naming the operation so the page can show it.
    const detail = { type: 'sensitive_operation', operation: 'manage_payees', description: `${name} ${iban}`.slice(0, 200) };
    await authorize(ctx, { ...(challenge.acr_values ? { acr_values: challenge.acr_values } : {}), ...(challenge.max_age ? { max_age: challenge.max_age } : {}), authorization_details: JSON.stringify([detail]) }, { kind: 'payee', name, iban });
  });

  router.post('/transfer', async (ctx) => {
    const posted = await postedForm(ctx);
    if (!posted) return;
    const { form } = posted;
    const parsed = parseDetail({
      type: 'payment_initiation',
      instructedAmount: { amount: (form.amount ?? '').trim().replace(',', '.'), currency: 'EUR' },
      creditorName: form.creditor_name ?? '',
      creditorAccount: { iban: form.iban ?? '' },
    });
    if (!parsed.ok || parsed.detail.type !== 'payment_initiation') {
      ctx.status = 400;
      await home(ctx, { invalid: { form: 'transfer', values: { amount: form.amount ?? '', creditor_name: form.creditor_name ?? '', iban: form.iban ?? '' } } });
      return;
    }
    // The parsed form is canonical (IBAN in capitals without spaces): exactly what Guichet accepts.
    await authorize(ctx, { authorization_details: JSON.stringify([parsed.detail]) }, { kind: 'transfer', detail: parsed.detail });
  });

  router.get('/callback', async (ctx) => {
    const { code, state, error } = ctx.query as Record<string, string | undefined>;
    if (error) throw new GuichetError('bad_request', `authorization failed: ${error}`);
    const raw = state ? await store.get(`demo:state:${state}`) : null;
    if (!code || !state || !raw) throw new GuichetError('bad_request', 'unknown state');
    await store.delete(`demo:state:${state}`);
    const { verifier, pending } = JSON.parse(raw) as { verifier: string; pending?: Pending };
    const tokenResponse = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: DEMO_CLIENT_ID }),
    });
    const tokens = (await tokenResponse.json()) as { id_token?: string; access_token?: string; authorization_details?: unknown[]; error?: string };
    if (!tokenResponse.ok || !tokens.id_token || !tokens.access_token) throw new GuichetError('bad_request', `token exchange failed: ${tokens.error}`);
    const current = await sessionOf(ctx);
    // An operation's token is for the demo API only (its audience), not for userinfo: keep the last one.
    const userinfo = tokens.authorization_details
      ? (current?.session.userinfo ?? {})
      : ((await (await fetch(new URL('/me', issuer), { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>);
    // Received straight from the token endpoint, so the signature check may be skipped (OIDC Core §3.1.3.7 (6)).
    const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const sessionId = randomToken(16);
    const session: DemoSession = { claims, userinfo, idToken: tokens.id_token, accessToken: tokens.access_token, csrf: randomToken(16) };
    if (current) await store.delete(`demo:session:${current.id}`);
    await store.set(`demo:session:${sessionId}`, JSON.stringify(session), 3600);
    ctx.cookies.set(COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', secure: options.secure, signed: false });
    ctx.redirect(pending ? `/demo?notice=${await carryOut(pending, tokens.access_token)}` : '/demo');
  });

  async function carryOut(pending: Pending, token: string): Promise<DemoNotice> {
    if (pending.kind === 'payee') return (await callApi('/payees', token, { name: pending.name, iban: pending.iban })).ok ? 'payee_added' : 'payee_refused';
    const { detail } = pending;
    const response = await callApi('/transfers', token, { amount: detail.instructedAmount.amount, currency: detail.instructedAmount.currency, creditorName: detail.creditorName, iban: detail.creditorAccount.iban });
    return response.ok ? 'transfer_done' : 'transfer_refused';
  }

  return router;
}

/** The parameters of a `Bearer` challenge (RFC 6750 §3, RFC 9470 §3). */
export function parseChallenge(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header?.startsWith('Bearer')) return out;
  for (const [, key, value] of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) out[key!] = value!;
  return out;
}
