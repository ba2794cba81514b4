import type Router from '@koa/router';
import type { Context } from 'koa';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ExpiringStore } from '../domain/ports.js';
import type { Clock } from '../lib/clock.js';
import { isValidIban } from '../policy/authorization-details.js';
import { sameDetail } from '../oidc/authorization-details-param.js';
import { DEMO_CLIENT_ID, demoApiUrl } from '../admin/demo-fixture.js';

/** What the API reads from a token (RFC 7662 introspection with RFC 9470 and RFC 9396 members). */
interface TokenInfo {
  sub: string;
  level: 'none' | 'simple' | 'sca';
  authTime: number | null;
  details: unknown[];
  key: string;
}

export interface DemoApiOptions {
  issuer: string;
  store: ExpiringStore;
  clock: Clock;
  /** The level an `acr` stands for; anything unknown, or none, is the lowest (ASVS 5.0 6.8.4). */
  levelOfAcr: (acr: string) => 'none' | 'simple' | 'sca';
  /** What a challenge asks for (RFC 9470 `acr_values`); no simple one means the challenge names none. */
  scaAcr: string;
  simpleAcr?: string | undefined;
  /** A payee change needs an SCA at most this old (RFC 9470 `max_age`; PSD2 RTS art. 4(3)(d)). */
  scaMaxAgeSeconds: number;
}

const payeeInput = z.object({ name: z.string().trim().min(1).max(70), iban: z.string().refine(isValidIban) }).strict();
const transferInput = z.object({ amount: z.string(), currency: z.string(), creditorName: z.string(), iban: z.string() }).strict();
const DATA_TTL = 7 * 86_400;

/**
 * A small resource server at /demo/api, as a bank's API would be: it trusts Guichet's tokens through
 * introspection (as the demo client, whose own tokens it serves), decides from `acr` and `auth_time`
 * (a token without a known `acr` is the lowest level, ASVS 5.0 6.8.4) and answers RFC 9470
 * `insufficient_user_authentication` challenges the demo relying party follows. A transfer runs only
 * when the token's `authorization_details` hold exactly this payment (RTS art. 5(1)(d)), once.
 * Accounts: built-in balances; payees and transfers: kept a week in the store, per user.
 */
export function demoResourceServer(router: Router, options: DemoApiOptions): void {
  const { store, clock } = options;
  const audience = demoApiUrl(options.issuer);
  const levelOf = (acr: unknown): TokenInfo['level'] => (typeof acr === 'string' && acr !== '' ? options.levelOfAcr(acr) : 'none');

  async function tokenOf(ctx: Context): Promise<TokenInfo | null> {
    const match = /^Bearer ([\w.~+/-]+=*)$/.exec(ctx.get('authorization'));
    if (!match) return null;
    const response = await fetch(new URL('/token/introspection', options.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: match[1]!, token_type_hint: 'access_token', client_id: DEMO_CLIENT_ID }),
    });
    const info = (await response.json()) as Record<string, unknown>;
    if (!response.ok || info.active !== true || info.token_type !== 'Bearer' || info.client_id !== DEMO_CLIENT_ID || typeof info.sub !== 'string') return null;
    // Sign-in tokens carry no audience (they are for userinfo too); operation tokens are for this API only.
    if (info.aud !== undefined && info.aud !== audience) return null;
    return {
      sub: info.sub,
      level: levelOf(info.acr),
      authTime: typeof info.auth_time === 'number' ? info.auth_time : null,
      details: Array.isArray(info.authorization_details) ? info.authorization_details : [],
      key: createHash('sha256').update(match[1]!).digest('base64url'),
    };
  }

  function challenge(ctx: Context, error: 'invalid_token' | 'insufficient_user_authentication', description: string, level: 'simple' | 'sca' = 'sca', maxAge?: number): void {
    const parts = [`error="${error}"`, `error_description="${description}"`];
    const acr = level === 'sca' ? options.scaAcr : options.simpleAcr;
    if (error === 'insufficient_user_authentication' && acr) parts.push(`acr_values="${acr}"`);
    if (maxAge !== undefined) parts.push(`max_age="${maxAge}"`);
    ctx.status = 401;
    ctx.set('www-authenticate', `Bearer ${parts.join(', ')}`);
    ctx.body = { error, error_description: description };
  }

  /** The token, when it reaches `level` (and, for SCA, is recent enough); else the challenge is sent. */
  async function authorise(ctx: Context, level: 'simple' | 'sca', maxAge?: number): Promise<TokenInfo | null> {
    const token = await tokenOf(ctx);
    if (!token) {
      challenge(ctx, 'invalid_token', 'missing, unknown or expired access token');
      return null;
    }
    const enough = level === 'simple' ? token.level !== 'none' : token.level === 'sca';
    if (!enough) {
      challenge(ctx, 'insufficient_user_authentication', level === 'sca' ? 'strong customer authentication is required' : 'a known authentication level is required', level);
      return null;
    }
    const now = Math.floor(clock.now().getTime() / 1000);
    if (maxAge !== undefined && (token.authTime === null || now - token.authTime > maxAge)) {
      challenge(ctx, 'insufficient_user_authentication', 'a more recent strong customer authentication is required', level, maxAge);
      return null;
    }
    return token;
  }

  const listOf = async <T>(key: string): Promise<T[]> => JSON.parse((await store.get(key)) ?? '[]') as T[];

  router.get('/api/accounts', async (ctx) => {
    const token = await authorise(ctx, 'simple');
    if (!token) return;
    ctx.body = { accounts: demoAccounts(token.sub) };
  });

  router.get('/api/payees', async (ctx) => {
    const token = await authorise(ctx, 'simple');
    if (!token) return;
    ctx.body = { payees: await listOf(`demo:payees:${token.sub}`) };
  });

  // Creating a trusted beneficiary needs a recent SCA (PSD2 RTS art. 13).
  router.post('/api/payees', async (ctx) => {
    const token = await authorise(ctx, 'sca', options.scaMaxAgeSeconds);
    if (!token) return;
    const input = payeeInput.safeParse(await jsonBody(ctx));
    if (!input.success) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'a name and a valid IBAN are required' };
      return;
    }
    const payees = await listOf<{ name: string; iban: string }>(`demo:payees:${token.sub}`);
    payees.push(input.data);
    await store.set(`demo:payees:${token.sub}`, JSON.stringify(payees.slice(-20)), DATA_TTL);
    ctx.status = 201;
    ctx.body = input.data;
  });

  router.post('/api/transfers', async (ctx) => {
    const token = await authorise(ctx, 'sca');
    if (!token) return;
    const input = transferInput.safeParse(await jsonBody(ctx));
    if (!input.success) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request' };
      return;
    }
    const { amount, currency, creditorName, iban } = input.data;
    const authorised = token.details.some((d) => sameDetail(paymentOf(d), { amount, currency, creditorName, iban }));
    if (!authorised) {
      ctx.status = 403;
      ctx.set('www-authenticate', 'Bearer error="insufficient_scope", error_description="this transfer is not the one authorised"');
      ctx.body = { error: 'transfer_not_authorised', error_description: 'the token does not authorise this amount and payee' };
      return;
    }
    // One authorisation, one transfer: the same token cannot pay twice.
    if (!(await store.setIfAbsent(`demo:api:spent:${token.key}`, '1', DATA_TTL))) {
      ctx.status = 403;
      ctx.body = { error: 'transfer_not_authorised', error_description: 'this authorisation was already used' };
      return;
    }
    const transfer = { amount, currency, creditorName, iban, at: clock.now().toISOString() };
    const transfers = await listOf(`demo:transfers:${token.sub}`);
    await store.set(`demo:transfers:${token.sub}`, JSON.stringify([...transfers, transfer].slice(-20)), DATA_TTL);
    ctx.status = 201;
    ctx.body = transfer;
  });
}

/** The members of a `payment_initiation` detail a transfer must match; null for another type. */
function paymentOf(detail: unknown): Record<string, unknown> | null {
  const d = detail as { type?: unknown; instructedAmount?: { amount?: unknown; currency?: unknown }; creditorName?: unknown; creditorAccount?: { iban?: unknown } };
  if (d?.type !== 'payment_initiation') return null;
  return { amount: d.instructedAmount?.amount, currency: d.instructedAmount?.currency, creditorName: d.creditorName, iban: d.creditorAccount?.iban };
}

async function jsonBody(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4096) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Made-up balances, the same for a user every time (the account numbers derive from the `sub`). */
export function demoAccounts(sub: string): { id: string; label: 'current' | 'savings'; balance: string; currency: 'EUR' }[] {
  const n = parseInt(createHash('sha256').update(sub).digest('hex').slice(0, 6), 16);
  return [
    { id: `CC-${String(n % 100_000).padStart(5, '0')}`, label: 'current', balance: (12_000 + (n % 9000) + 0.55).toFixed(2), currency: 'EUR' },
    { id: `LV-${String((n >> 3) % 100_000).padStart(5, '0')}`, label: 'savings', balance: (40_000 + (n % 20_000)).toFixed(2), currency: 'EUR' },
  ];
}
