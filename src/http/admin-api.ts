import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { Account } from '../domain/account.js';
import type { Mailer, Repositories } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import { GuichetError, isGuichetError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import type { Lockout } from '../policy/lockout.js';
import { actorName, assertMayAdminister, issueTemporaryCode, reasonOf, refusal, SUBSCRIPTION_ADMIN_ROLE, type AdminActor } from '../admin/temporary-codes.js';
import { isOutage } from './outage.js';
import type { FactorCredential } from '../domain/credential.js';
import type { CardKeyOperations } from '../authenticators/emv-cap/card-key-operations.js';
import { capCardImport, maskPan, toCapEnrolment } from '../authenticators/emv-cap/cap-card-import.js';
import { enrolCapCard } from '../authenticators/emv-cap/enrol-cap-card.js';
import { createOathEnrolment, hotpTokenImport } from '../authenticators/oath/enrolment.js';
import { resynchroniseFactor, type ResyncRefusal } from '../admin/resynchronise-factor.js';
import { revokeX509Credential, type EnrolmentFailure } from '../authenticators/x509/enrolment.js';
import type { CertificateDependencies } from './interaction/interaction-kit.js';

/** The scope a token needs for this API; only clients whose registered `scope` lists it may use it. */
export const ADMIN_SCOPE = 'admin';

export interface AdminApiDependencies {
  provider: Provider;
  repos: Repositories;
  config: Readonly<Config>;
  clock: Clock;
  logger: Logger;
  hasher: PasswordHasher;
  mailer: Mailer;
  lockout: Lockout;
  /** Opens card keys for the card enrolment's key check value (software keys or an HSM). */
  cardKeys?: CardKeyOperations | undefined;
  /** Certificate enrolment, when `x509.enabled`. */
  x509?: CertificateDependencies | undefined;
}

const REALM = 'guichet-admin';
const MAX_BODY_BYTES = 4096;
/** A PEM certificate with a long RSA key, or a card profile, needs more room. */
const MAX_FACTOR_BODY_BYTES = 16 * 1024;
const LIST_LIMIT = 1000;

/** A fault this API answers with, beyond the coded errors: OAuth's bearer-token errors (RFC 6750 §3.1, RFC 9470 §3). */
class BearerProblem extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | null,
    readonly detail: string,
    readonly challenge: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const TITLES: Record<string, string> = {
  invalid_request: 'Access token required',
  invalid_token: 'Invalid access token',
  insufficient_scope: 'Insufficient scope',
  insufficient_user_authentication: 'Fresh login required',
  not_subscription_admin: 'Not a subscription administrator',
  other_subscription: 'Account of another subscription',
  own_account: 'Own account',
  account_suspended: 'Account suspended',
  no_email: 'No e-mail address',
  method_not_allowed: 'Method not allowed',
  bad_request: 'Bad request',
  body_too_large: 'Request body too large',
  missing_field: 'Missing parameter',
  not_found: 'Not found',
  conflict: 'Conflict',
  forbidden: 'Forbidden',
  unauthorized: 'Unauthorized',
  service_unavailable: 'Service unavailable',
  rate_limited: 'Too many requests',
  internal: 'Internal error',
  already_enrolled: 'Already enrolled',
  factor_disabled: 'Factor not enabled',
  malformed: 'Not a certificate',
  untrusted_issuer: 'Certificate not issued by a configured CA',
  expired: 'Certificate expired',
  not_yet_valid: 'Certificate not yet valid',
  wrong_usage: 'Certificate not for client authentication',
  revoked: 'Certificate revoked',
  crl_stale: 'Revocation cannot be checked',
  not_resynchronisable: 'Factor cannot be resynchronised',
  malformed_codes: 'Malformed codes',
  credential_blocked: 'Factor blocked',
  no_match: 'Codes do not match',
  replayed: 'Codes already used',
  counter_exhausted: 'Card exhausted',
};

/** An RFC 9457 problem document; `type` names the reason, stable for programs to branch on. */
function sendProblem(ctx: Context, status: number, code: string, detail: string, extra: Record<string, unknown> = {}): void {
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = { type: `urn:guichet:error:${code}`, title: TITLES[code] ?? code, status, detail, ...extra };
}

const challengeOf = (p: BearerProblem): string =>
  `Bearer ${[`realm="${REALM}"`, ...(p.error ? [`error="${p.error}"`, `error_description="${p.detail}"`] : []), ...Object.entries(p.challenge).map(([k, v]) => `${k}="${v}"`)].join(', ')}`;

/** Every answer of this API is JSON: faults become problem documents, and a 500 is logged as the bug it is. */
function problemDocuments(logger: Logger): Middleware {
  return async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (e) {
      if (e instanceof BearerProblem) {
        ctx.set('WWW-Authenticate', challengeOf(e));
        sendProblem(ctx, e.status, e.error ?? 'invalid_request', e.detail, e.error === 'insufficient_scope' ? { scope: ADMIN_SCOPE } : {});
      } else if (isGuichetError(e)) {
        const reason = reasonOf(e);
        sendProblem(ctx, e.status, reason ?? e.code, e.message === e.code ? TITLES[e.code] ?? e.code : e.message);
      } else if ((e as { status?: number }).status === 405) {
        sendProblem(ctx, 405, 'method_not_allowed', 'this resource does not accept that method');
      } else if (isOutage(e)) {
        logger.error({ err: e, path: ctx.path }, 'storage unavailable');
        ctx.set('Retry-After', '5');
        sendProblem(ctx, 503, 'service_unavailable', 'storage is unavailable; try again shortly');
      } else {
        logger.error({ err: e, path: ctx.path }, 'unhandled error');
        sendProblem(ctx, 500, 'internal', 'an unexpected error occurred');
      }
    }
  };
}

/** Who is calling, once the bearer token is checked. */
interface Caller {
  actor: AdminActor;
}

const callerOf = (ctx: Context): Caller => ctx.state.caller as Caller;

/**
 * Reads `Authorization: Bearer …` (RFC 6750 §2.1; never a query parameter) and finds the token:
 * client credentials of an operator, or a user's access token. Both need the `admin` scope, from
 * a client registered with it. A user's token also needs the `subscription_admin` role and a
 * login younger than `temporaryCodes.freshLoginSeconds` (RFC 9470 challenge with max_age).
 */
function authenticate(deps: AdminApiDependencies): Middleware {
  const { provider, repos, config, clock } = deps;
  return async (ctx, next) => {
    const match = /^Bearer ([\w\-.~+/]+=*)$/i.exec(ctx.get('authorization'));
    if (!match) throw new BearerProblem(401, null, 'a bearer access token is required');
    const value = match[1]!;
    const token = (await provider.ClientCredentials.find(value)) ?? (await provider.AccessToken.find(value));
    if (!token || token.isSenderConstrained()) throw new BearerProblem(401, 'invalid_token', 'the access token is unknown, expired or revoked');
    const client = await repos.clients.find(token.clientId!);
    const registered = typeof client?.metadata.scope === 'string' ? client.metadata.scope.split(' ') : [];
    if (!client || !registered.includes(ADMIN_SCOPE) || !token.scopes.has(ADMIN_SCOPE)) {
      throw new BearerProblem(403, 'insufficient_scope', `the access token lacks the ${ADMIN_SCOPE} scope`, { scope: ADMIN_SCOPE });
    }
    if (token.kind === 'ClientCredentials') {
      ctx.state.caller = { actor: { kind: 'operator', id: `client:${token.clientId}`, proof: { grant: 'client_credentials', clientId: token.clientId } } } satisfies Caller;
      return next();
    }
    const accessToken = token as InstanceType<Provider['AccessToken']>;
    const grant = accessToken.grantId ? await provider.Grant.find(accessToken.grantId) : undefined;
    const account = accessToken.accountId ? await repos.accounts.findById(accessToken.accountId) : null;
    if (!grant || grant.accountId !== accessToken.accountId || grant.clientId !== accessToken.clientId || !account || account.status !== 'active') {
      throw new BearerProblem(401, 'invalid_token', 'the access token is unknown, expired or revoked');
    }
    if (!account.roles.includes(SUBSCRIPTION_ADMIN_ROLE) || !account.subscriptionId) throw refusal('not_subscription_admin');
    const extra = (accessToken.extra ?? {}) as { auth_time?: number; acr?: string; amr?: string[] };
    const now = Math.floor(clock.now().getTime() / 1000);
    const maxAge = config.temporaryCodes.freshLoginSeconds;
    if (typeof extra.auth_time !== 'number' || now - extra.auth_time > maxAge) {
      throw new BearerProblem(401, 'insufficient_user_authentication', 'the administrator must have logged in again recently', { max_age: String(maxAge) });
    }
    const proof = { grant: 'authorization_code', clientId: accessToken.clientId, authTime: extra.auth_time, acr: extra.acr ?? null, amr: extra.amr ?? [] };
    ctx.state.caller = { actor: { kind: 'subscription-admin', account, proof } } satisfies Caller;
    return next();
  };
}

/** A JSON body of at most MAX_BODY_BYTES; an empty body is an empty object. */
async function readJson(ctx: Context, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new GuichetError('body_too_large', `the body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  if (ctx.request.type !== 'application/json') throw new GuichetError('bad_request', 'the body must be application/json');
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
  } catch {
    throw new GuichetError('bad_request', 'the body is not valid JSON');
  }
}

const temporaryCodeRequest = z.strictObject({ kind: z.enum(['pin', 'password']).optional(), delivery: z.enum(['show', 'mail']).optional() });

/** An administrator's card enrolment: the same fields as `guichet cap enrol` (cap-card-import.ts). */
const capCardRequest = capCardImport;

/** Two codes the user made one after the other on the token or card reader (RFC 4226 §7.4, EMV-CAP.md §6.4). */
const resyncRequest = z.strictObject({ codes: z.tuple([z.string().regex(/^\d{1,10}$/, 'digits'), z.string().regex(/^\d{1,10}$/, 'digits')]) });

/** Why two codes did not resynchronise a credential (the problem's `type` names the reason). */
const RESYNC_REFUSAL: Readonly<Record<ResyncRefusal, string>> = {
  no_credential: 'the account has no factor of that id',
  not_resynchronisable: 'only an HOTP token or an EMV-CAP card can be resynchronised',
  malformed_codes: 'the codes are not codes of this token or card',
  credential_blocked: 'the factor is blocked',
  no_match: 'the two codes are not consecutive codes of this token or card within the resynchronisation window',
  replayed: 'these codes were already used',
  counter_exhausted: 'the card has used its last ATC: it must be replaced',
};

/** A hardware HOTP token (RFC 4226): the same fields as `guichet factor import-hotp`, the seed in the body. */
const hotpTokenRequest = hotpTokenImport.strict();

const certificateRequest = z.strictObject({
  /** PEM (`-----BEGIN CERTIFICATE-----`), as the user's bank issued it. */
  certificate: z.string().min(1).max(MAX_FACTOR_BODY_BYTES),
  label: z.string().trim().min(1).max(100).optional(),
});

/** Why a certificate was not enrolled, for people (the problem's `type` names the reason). */
const CERTIFICATE_REFUSAL: Readonly<Record<EnrolmentFailure, string>> = {
  malformed: 'the text is not one X.509 certificate in PEM',
  untrusted_issuer: 'the certificate is not issued by a configured CA',
  expired: 'the certificate (or a CA of its chain) has expired',
  not_yet_valid: 'the certificate (or a CA of its chain) is not valid yet',
  wrong_usage: 'the certificate is not for client authentication (keyUsage digitalSignature, extendedKeyUsage clientAuth; no CA certificate)',
  revoked: "the certificate is revoked in its CA's CRL",
  crl_stale: "the CA's CRL is missing or out of date: revocation cannot be checked",
  already_enrolled: 'this certificate is already enrolled (a certificate opens one account)',
  sca_required: 'an SCA is required',
};

/**
 * A factor as this API shows it: never its sealed data (a seed, a card key). Only what is printed
 * on the device or public anyway: an HOTP token's serial, a certificate's names and thumbprint.
 */
function factorView(c: FactorCredential<unknown>, now: Date) {
  const data = (c.data ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null);
  return {
    id: c.id,
    kind: c.kind,
    label: c.label,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
    failedCount: c.failedCount,
    blocked: c.blockedAt !== null || (c.blockedUntil !== null && c.blockedUntil > now),
    ...(c.kind === 'hotp' ? { serial: text('serial') } : {}),
    ...(c.kind === 'x509' ? { certificate: { thumbprint: text('thumbprint'), subject: text('subject'), issuer: text('issuer'), serial: text('serial'), notAfter: text('notAfter') } } : {}),
  };
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new GuichetError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

/**
 * The administration API (docs/openapi.yaml): OAuth 2.0 bearer tokens only, JSON in and out,
 * RFC 9457 problem documents for every fault, every action audited with the caller and the
 * environment (`admin-api`). Operators reach every subscription; a subscription administrator
 * only their own.
 */
export function adminApi(deps: AdminApiDependencies) {
  const { repos, clock } = deps;
  const router = new Router({ prefix: '/admin/api' });
  const issueDeps = { ...deps, temporarySecrets: repos.temporarySecrets, audit: repos.audit };
  const requestOf = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || null });

  const auditAction = (ctx: Context, action: string, result: 'success' | 'failure', extra: { accountId?: string; reason?: string | null; details?: Record<string, unknown> } = {}) =>
    repos.audit.record({ action, result, actor: actorName(callerOf(ctx).actor), ...requestOf(ctx), accountId: extra.accountId ?? null, reason: extra.reason ?? null, details: { environment: 'admin-api', ...extra.details } });

  /** Loads `:id` and checks the caller may act on it; a refusal is audited under `action`. */
  const loadTarget = (action: string): Middleware => async (ctx, next) => {
    const account = await repos.accounts.findById(String(ctx.params.id));
    if (!account) throw new GuichetError('not_found', 'no such account');
    try {
      assertMayAdminister(callerOf(ctx).actor, account);
    } catch (e) {
      await auditAction(ctx, action, 'failure', { accountId: account.id, reason: reasonOf(e) ?? null });
      throw e;
    }
    ctx.state.target = account;
    return next();
  };
  const targetOf = (ctx: Context): Account => ctx.state.target as Account;

  /** An account in a list: enough to pick one, nothing about its secrets. */
  const summary = (a: Account) => ({ id: a.id, username: a.username, userNumber: a.userNumber, status: a.status, familyName: a.familyName, givenName: a.givenName });

  async function detail(a: Account) {
    const subscription = a.subscriptionId ? await repos.subscriptions.findById(a.subscriptionId) : null;
    const now = clock.now();
    const credentials = (await repos.credentials.listForAccount(a.id)).map((c) => ({
      kind: c.kind,
      setAt: c.setAt.toISOString(),
      mustChange: c.mustChange,
      blocked: c.blockedAt !== null || (c.blockedUntil !== null && c.blockedUntil > now),
      failedCount: c.failedCount,
    }));
    const temporary = await repos.temporarySecrets.find(a.id);
    return {
      ...summary(a),
      subscription: subscription?.identifier ?? null,
      email: a.email,
      locale: a.locale,
      roles: a.roles,
      credentials,
      temporaryCode: temporary && temporary.expiresAt > now ? { kind: temporary.kind, purpose: temporary.purpose, expiresAt: temporary.expiresAt.toISOString() } : null,
    };
  }

  router.get('/accounts', authenticate(deps), async (ctx) => {
    const { actor } = callerOf(ctx);
    const asked = typeof ctx.query.subscription === 'string' && ctx.query.subscription !== '' ? ctx.query.subscription : null;
    let subscription;
    if (actor.kind === 'subscription-admin') {
      subscription = await repos.subscriptions.findById(actor.account.subscriptionId!);
      if (asked !== null && asked !== subscription?.identifier) {
        await auditAction(ctx, 'admin.accounts.list', 'failure', { reason: 'other_subscription', details: { subscription: asked } });
        throw refusal('other_subscription');
      }
    } else {
      if (asked === null) throw new GuichetError('missing_field', 'the subscription query parameter is required');
      subscription = await repos.subscriptions.findByIdentifier(asked);
    }
    if (!subscription) throw new GuichetError('not_found', 'no such subscription');
    const accounts = await repos.accounts.listBySubscription(subscription.id, LIST_LIMIT);
    await auditAction(ctx, 'admin.accounts.list', 'success', { details: { subscription: subscription.identifier, count: accounts.length } });
    ctx.body = { subscription: { identifier: subscription.identifier, name: subscription.name }, accounts: accounts.map(summary) };
  });

  router.get('/accounts/:id', authenticate(deps), loadTarget('admin.account.show'), async (ctx) => {
    await auditAction(ctx, 'admin.account.show', 'success', { accountId: targetOf(ctx).id });
    ctx.body = await detail(targetOf(ctx));
  });

  router.post('/accounts/:id/temporary-code', authenticate(deps), async (ctx) => {
    // Read before the target: a malformed request is refused without touching the account.
    const body = parseBody(temporaryCodeRequest, await readJson(ctx));
    const account = await repos.accounts.findById(String(ctx.params.id));
    if (!account) throw new GuichetError('not_found', 'no such account');
    const issued = await issueTemporaryCode(issueDeps, { actor: callerOf(ctx).actor, targetAccount: account, kind: body.kind, delivery: body.delivery, environment: 'admin-api', ...requestOf(ctx) });
    ctx.status = 201;
    ctx.body = { ...(issued.code !== null ? { code: issued.code } : {}), kind: issued.kind, delivery: issued.delivery, expiresAt: issued.expiresAt.toISOString() };
  });

  router.post('/accounts/:id/unblock', authenticate(deps), loadTarget('admin.account.unblock'), async (ctx) => {
    const account = targetOf(ctx);
    const { actor } = callerOf(ctx);
    if (actor.kind === 'subscription-admin' && actor.account.id === account.id) {
      await auditAction(ctx, 'admin.account.unblock', 'failure', { accountId: account.id, reason: 'own_account' });
      throw refusal('own_account');
    }
    const now = clock.now();
    const unblocked: string[] = [];
    for (const credential of await repos.credentials.listForAccount(account.id)) {
      const blocked = credential.blockedAt !== null || (credential.blockedUntil !== null && credential.blockedUntil > now);
      if (!blocked && credential.failedCount === 0 && credential.blockCount === 0) continue;
      await deps.lockout.unblock(credential);
      unblocked.push(credential.kind);
    }
    const reactivated = account.status === 'blocked';
    if (reactivated) await repos.accounts.setStatus(account.id, 'active');
    await auditAction(ctx, 'admin.account.unblock', 'success', { accountId: account.id, details: { kinds: unblocked, reactivated } });
    ctx.body = { unblocked, reactivated, account: await detail((await repos.accounts.findById(account.id)) ?? account) };
  });

  // ---- strong factors: enrolment by administrators (PSD2 RTS art. 24(2): a secure environment), listing, revocation ----

  /** An administrator does not enrol or revoke their own factors: another one does, as for temporary codes. */
  async function refuseOwnAccount(ctx: Context, action: string, details: Record<string, unknown>): Promise<void> {
    const { actor } = callerOf(ctx);
    if (actor.kind === 'subscription-admin' && actor.account.id === targetOf(ctx).id) {
      await auditAction(ctx, action, 'failure', { accountId: targetOf(ctx).id, reason: 'own_account', details });
      throw refusal('own_account');
    }
  }

  /** Reads the body before the target is touched: a malformed request is refused without an audit of the account. */
  const factorBody = <T>(schema: z.ZodType<T>): Middleware => async (ctx, next) => {
    ctx.state.body = parseBody(schema, await readJson(ctx, MAX_FACTOR_BODY_BYTES));
    return next();
  };

  router.get('/accounts/:id/factors', authenticate(deps), loadTarget('admin.factors.list'), async (ctx) => {
    const account = targetOf(ctx);
    const now = clock.now();
    const factors = (await repos.factors.listForAccount(account.id)).map((f) => factorView(f, now));
    await auditAction(ctx, 'admin.factors.list', 'success', { accountId: account.id, details: { count: factors.length } });
    ctx.body = { accountId: account.id, factors };
  });

  router.post('/accounts/:id/factors/emv-cap', authenticate(deps), factorBody(capCardRequest), loadTarget('admin.factor.enrol'), async (ctx) => {
    const body = ctx.state.body as z.infer<typeof capCardRequest>;
    const account = targetOf(ctx);
    const details = { kind: 'emv-cap' };
    await refuseOwnAccount(ctx, 'admin.factor.enrol', details);
    if (!deps.cardKeys) throw new GuichetError('conflict', 'card enrolment is not available', { reason: 'factor_disabled' });
    let enrolled: Awaited<ReturnType<typeof enrolCapCard>>;
    try {
      enrolled = await enrolCapCard({ factors: repos.factors, keys: deps.cardKeys }, toCapEnrolment(account.id, body));
    } catch (e) {
      // The message names what is wrong (a digit count, the KCV), never a key.
      if (e instanceof GuichetError) await auditAction(ctx, 'admin.factor.enrol', 'failure', { accountId: account.id, reason: e.code, details: { ...details, pan: maskPan(body.pan) } });
      throw e;
    }
    const { credential, kcv } = enrolled;
    await auditAction(ctx, 'admin.factor.enrol', 'success', { accountId: account.id, details: { ...details, credentialId: credential.id, kcv } });
    ctx.status = 201;
    ctx.body = { credential: factorView(credential, clock.now()), kcv };
  });

  router.post('/accounts/:id/factors/hotp', authenticate(deps), factorBody(hotpTokenRequest), loadTarget('admin.factor.enrol'), async (ctx) => {
    const body = ctx.state.body as z.infer<typeof hotpTokenRequest>;
    const account = targetOf(ctx);
    const details = { kind: 'hotp', serial: body.serial };
    await refuseOwnAccount(ctx, 'admin.factor.enrol', details);
    const oath = createOathEnrolment({ factors: repos.factors, clock, policy: deps.config.oath });
    let imported: Awaited<ReturnType<typeof oath.importHotpToken>>;
    try {
      imported = await oath.importHotpToken(account.id, body);
    } catch (e) {
      if (!(e instanceof GuichetError)) throw e;
      const reason = e.code === 'conflict' ? 'already_enrolled' : e.code;
      await auditAction(ctx, 'admin.factor.enrol', 'failure', { accountId: account.id, reason, details });
      const issues = Array.isArray(e.details.issues) ? `: ${(e.details.issues as string[]).join('; ')}` : '';
      throw new GuichetError(e.code, `${e.code === 'conflict' ? `HOTP token ${body.serial} is already enrolled` : e.message}${issues}`, e.code === 'conflict' ? { reason } : {});
    }
    await auditAction(ctx, 'admin.factor.enrol', 'success', { accountId: account.id, details: { ...details, credentialId: imported.id } });
    const stored = await repos.factors.findById(imported.id);
    ctx.status = 201;
    ctx.body = { credential: factorView(stored!, clock.now()) };
  });

  router.post('/accounts/:id/factors/x509', authenticate(deps), factorBody(certificateRequest), loadTarget('admin.factor.enrol'), async (ctx) => {
    const body = ctx.state.body as z.infer<typeof certificateRequest>;
    const account = targetOf(ctx);
    await refuseOwnAccount(ctx, 'admin.factor.enrol', { kind: 'x509' });
    if (!deps.x509) throw new GuichetError('conflict', 'X.509 client certificates are not enabled (x509.enabled)', { reason: 'factor_disabled' });
    const outcome = await deps.x509.enrolment.enrolCertificate(account.id, body.certificate, { label: body.label ?? null });
    if (outcome.kind === 'refused') {
      await auditAction(ctx, 'admin.factor.enrol', 'failure', { accountId: account.id, reason: outcome.reason, details: { kind: 'x509', ...(outcome.thumbprint ? { thumbprint: outcome.thumbprint } : {}) } });
      throw new GuichetError(outcome.reason === 'already_enrolled' ? 'conflict' : 'bad_request', CERTIFICATE_REFUSAL[outcome.reason], { reason: outcome.reason });
    }
    const { credential } = outcome;
    await auditAction(ctx, 'admin.factor.enrol', 'success', { accountId: account.id, details: { kind: 'x509', credentialId: credential.id, thumbprint: credential.thumbprint } });
    const stored = await repos.factors.findById(credential.id);
    ctx.status = 201;
    ctx.body = { credential: factorView(stored!, clock.now()) };
  });

  router.post('/accounts/:id/factors/:factorId/resync', authenticate(deps), factorBody(resyncRequest), loadTarget('admin.factor.resync'), async (ctx) => {
    const { codes } = ctx.state.body as z.infer<typeof resyncRequest>;
    const account = targetOf(ctx);
    const factorId = String(ctx.params.factorId);
    if (!/^[\w-]{1,64}$/.test(factorId)) throw new GuichetError('not_found', RESYNC_REFUSAL.no_credential);
    await refuseOwnAccount(ctx, 'admin.factor.resync', { credentialId: factorId });
    const outcome = await resynchroniseFactor({ factors: repos.factors, clock, oath: deps.config.oath, cardKeys: deps.cardKeys }, account, factorId, codes);
    const details = { kind: outcome.credential?.kind ?? null, credentialId: factorId };
    if (outcome.kind === 'refused') {
      // The codes are never audited: the reason says enough.
      await auditAction(ctx, 'admin.factor.resync', 'failure', { accountId: account.id, reason: outcome.reason, details });
      if (outcome.reason === 'no_credential') throw new GuichetError('not_found', RESYNC_REFUSAL.no_credential);
      throw new GuichetError(outcome.reason === 'not_resynchronisable' ? 'conflict' : 'bad_request', RESYNC_REFUSAL[outcome.reason], { reason: outcome.reason });
    }
    await auditAction(ctx, 'admin.factor.resync', 'success', { accountId: account.id, details: { ...details, counter: outcome.counter } });
    const stored = await repos.factors.findById(factorId);
    ctx.body = { credential: factorView(stored!, clock.now()), counter: outcome.counter };
  });

  router.delete('/accounts/:id/factors/:factorId', authenticate(deps), loadTarget('admin.factor.revoke'), async (ctx) => {
    const account = targetOf(ctx);
    const factorId = String(ctx.params.factorId);
    const credential = /^[\w-]{1,64}$/.test(factorId) ? await repos.factors.findById(factorId) : null;
    if (!credential || credential.accountId !== account.id) throw new GuichetError('not_found', 'the account has no factor of that id');
    const details = { kind: credential.kind, credentialId: credential.id };
    await refuseOwnAccount(ctx, 'admin.factor.revoke', details);
    const view = factorView(credential, clock.now());
    // The row and its sealed data go: no code, card or certificate opens the account through it any more.
    const removed = credential.kind === 'x509' ? await revokeX509Credential(repos.factors, account.id, credential.id) : await repos.factors.remove(credential.id);
    if (!removed) throw new GuichetError('not_found', 'the account has no factor of that id');
    await auditAction(ctx, 'admin.factor.revoke', 'success', { accountId: account.id, details });
    ctx.body = { revoked: view };
  });

  const routes = router.routes();
  const allowed = router.allowedMethods({ throw: true });
  const problems = problemDocuments(deps.logger);
  /** Everything under /admin/api answers JSON, unknown paths included. */
  const middleware: Middleware = (ctx, next: Next) => {
    if (ctx.path !== '/admin/api' && !ctx.path.startsWith('/admin/api/')) return next();
    return problems(ctx, async () => {
      await allowed(ctx as never, () => routes(ctx as never, async () => {}) as Promise<void>);
      if (ctx.body === undefined || ctx.body === null) throw new GuichetError('not_found', 'no such resource');
    });
  };
  return { router, middleware };
}

/** The routes as OpenAPI writes them (`/admin/api/accounts/{id}`), with their methods; the OpenAPI test compares. */
export function declaredRoutes(router: Router): Array<{ method: string; path: string }> {
  return router.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method: method.toLowerCase(), path: String(layer.path).replace(/:(\w+)/g, '{$1}') })),
  );
}
