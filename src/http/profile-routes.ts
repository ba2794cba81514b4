import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import QRCode from 'qrcode';
import type { Config } from '../config/schema.js';
import type { Account } from '../domain/account.js';
import type { CredentialKind } from '../domain/credential.js';
import type { ExpiringStore, Mailer, Repositories } from '../domain/ports.js';
import { GuichetError, isGuichetError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../lib/encryption.js';
import type { MessageId, Translate } from '../i18n/messages.js';
import { createOathEnrolment, type TotpEnrolment } from '../authenticators/oath/enrolment.js';
import type { AbuseGuard } from '../policy/abuse-guard.js';
import { describePasswordRules, describePinRules } from '../policy/secret-policy.js';
import { DEFAULT_QUESTIONS, questionText } from '../policy/security-questions.js';
import { chooseOwnSecret } from '../flows/choose-secret.js';
import type { FirstFactorDependencies } from '../flows/first-factor.js';
import { enrolledCodeFactors, type SecondFactorDependencies } from '../flows/second-factor.js';
import {
  changedFields,
  confirmEmailChange,
  formatDateTime,
  ISO_COUNTRIES,
  KNOWN_LANDINGS,
  notifyOwner,
  pendingEmailChange,
  readDetails,
  replaceSecurityAnswers,
  requestEmailChange,
  verifyCurrentSecret,
  type FieldProblem,
  type RequestOrigin,
} from '../flows/profile.js';
import type { PageContext } from '../../views/layout.js';
import { detailsPage, emailConfirmPage, emailLinkInvalidPage, emailPage, emailSentPage, profilePage, questionsPage, secretChangePage, totpPage, totpUnavailablePage, type FieldError } from '../../views/profile.js';
import { LANG_COOKIE, pageContext } from './page-context.js';
import { PORTAL_CLIENT_ID, type PortalSessions, type PortalUser, type Requirement } from './portal-session.js';
import { readForm } from './read-form.js';

export interface ProfileDependencies {
  config: Readonly<Config>;
  repos: Repositories;
  store: ExpiringStore;
  portal: PortalSessions;
  firstFactor: FirstFactorDependencies;
  secondFactor: SecondFactorDependencies;
  abuse: AbuseGuard;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  box: SecretBox;
}

/**
 * Changing the e-mail address, a secret, the security answers or a factor needs a login at most
 * this old: a full re-authentication (ASVS 5.0 7.5.1, OWASP security questions cheat sheet).
 */
export const FRESH_LOGIN_SECONDS = 300;
/** An authenticator app's seed waits this long for its first code, sealed in the store. */
const TOTP_PENDING_SECONDS = 600;
const TOTP_ISSUER = 'Guichet';
const SIGN_INS_SHOWN = 10;

const DONE: Record<string, MessageId> = {
  details: 'profile.done.details',
  email: 'profile.done.email',
  password: 'profile.done.password',
  pin: 'profile.done.pin',
  questions: 'profile.done.questions',
  totp: 'profile.done.totp',
};

const METHODS: Record<string, MessageId> = {
  'login.password': 'profile.method.password',
  'login.pin': 'profile.method.pin',
  'login.second_factor': 'profile.method.second_factor',
};

/**
 * The profile at /account, for the person signed in to Guichet's own pages (portal sessions): names,
 * language and preferences; e-mail, secret, security questions and authenticator app behind a
 * fresh login, the app also behind SCA (PSD2 RTS art. 24(2)); the recent sign-ins from the audit.
 * Every form carries the session's CSRF token; every change is audited without its values.
 */
export function profileRoutes(deps: ProfileDependencies): Router {
  const { config, repos, store, portal, clock, logger } = deps;
  const router = new Router({ prefix: '/account' });
  const secure = new URL(config.issuer).protocol === 'https:';
  const fresh: Requirement = { maxAgeSeconds: FRESH_LOGIN_SECONDS };
  const strong: Requirement = { maxAgeSeconds: FRESH_LOGIN_SECONDS, acr: config.acr.sca };
  const oath = createOathEnrolment({ factors: repos.factors, clock, policy: config.oath });
  const catalogue = config.securityQuestions.catalogue ?? DEFAULT_QUESTIONS;
  const totpKey = (accountId: string) => `profile:totp:${accountId}`;

  const page = (ctx: Context, user: PortalUser, here?: string): PageContext => pageContext(ctx, config.defaultLocale, { account: user.account.locale, ...(here ? { here } : {}) });
  const origin = (ctx: Context): RequestOrigin => ({ clientId: PORTAL_CLIENT_ID, ip: ctx.ip, userAgent: ctx.get('user-agent') || null });
  const fieldErrors = (t: Translate, problems: readonly FieldProblem[]): FieldError[] => problems.map((p) => ({ field: p.field, message: t(p.id, p.params) }));

  function seeOther(ctx: Context, location: string): void {
    ctx.redirect(location);
    ctx.status = 303;
  }

  function html(ctx: Context, body: string, status = 200): void {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = body;
  }

  /** A POST cannot be sent through a login: a session too old for it gets the error page with a way back to the form. */
  async function requireForPost(ctx: Context, requirement: Requirement, here: string): Promise<{ user: PortalUser; form: Record<string, string> }> {
    let user: PortalUser | null;
    try {
      user = await portal.require(ctx, requirement);
    } catch (e) {
      if (isGuichetError(e) && e.code === 'session_expired') throw new GuichetError('session_expired', e.message, { restart: here });
      throw e;
    }
    if (!user) throw new GuichetError('session_expired', 'no portal session', { restart: here });
    const form = await readForm(ctx, config.maxBodyBytes);
    portal.checkCsrf(user, form.csrf);
    return { user, form };
  }

  async function identifierOf(account: Account): Promise<string> {
    if (account.username) return account.username;
    const subscription = account.subscriptionId ? await repos.subscriptions.findById(account.subscriptionId) : null;
    return [subscription?.identifier, account.userNumber].filter(Boolean).join(' / ') || account.id;
  }

  const secretKinds = async (accountId: string): Promise<CredentialKind[]> => {
    const kinds = new Set((await repos.credentials.listForAccount(accountId)).map((c) => c.kind));
    return (['password', 'pin'] as const).filter((k) => kinds.has(k));
  };

  const countryName = (locale: string, code: string): string => new Intl.DisplayNames([locale], { type: 'region' }).of(code) ?? code;

  // ---- the profile ----------------------------------------------------------------------------------

  async function recentSignIns(p: PageContext, accountId: string) {
    const events = (await repos.audit.list({ accountId, limit: 200 })).filter((e) => e.action.startsWith('login.')).slice(0, SIGN_INS_SHOWN);
    const names = new Map<string, string>();
    for (const id of new Set(events.map((e) => e.clientId).filter((c): c is string => Boolean(c)))) {
      const client = await repos.clients.find(id);
      names.set(id, typeof client?.metadata.client_name === 'string' ? client.metadata.client_name : id);
    }
    return events.map((e) => ({
      date: formatDateTime(e.at, p.locale),
      success: e.result === 'success',
      method: p.t(METHODS[e.action] ?? 'profile.method.other'),
      client: (e.clientId && names.get(e.clientId)) || p.t('profile.unknown'),
      ip: e.ip || p.t('profile.unknown'),
    }));
  }

  router.get('/', async (ctx) => {
    const user = await portal.require(ctx);
    if (!user) return;
    const { account } = user;
    const p = page(ctx, user);
    const preference = (key: string) => (typeof account.preferences[key] === 'string' ? (account.preferences[key] as string) : null);
    const country = preference('defaultCountry');
    const done = typeof ctx.query.done === 'string' ? DONE[ctx.query.done] : undefined;
    html(
      ctx,
      profilePage(p, {
        identifier: await identifierOf(account),
        familyName: account.familyName,
        givenName: account.givenName,
        email: account.email,
        emailVerified: account.emailVerified,
        localeName: account.locale === 'en' ? 'English' : 'Français',
        defaultContract: preference('defaultContract'),
        defaultCountry: country ? countryName(p.locale, country) : null,
        defaultLanding: preference('defaultLanding'),
        secretKinds: await secretKinds(account.id),
        totpEnrolled: (await repos.factors.listForAccount(account.id, 'totp')).length > 0,
        signIns: await recentSignIns(p, account.id),
        csrf: user.csrf,
        notice: done ? p.t(done) : undefined,
      }),
    );
  });

  // ---- names, language, preferences ----------------------------------------------------------------

  function renderDetails(ctx: Context, user: PortalUser, values: Record<string, string>, errors: FieldError[], status = 200): void {
    const p = page(ctx, user, '/account/details');
    const countries = ISO_COUNTRIES.map((code) => ({ code, name: countryName(p.locale, code) })).sort((a, b) => a.name.localeCompare(b.name, p.locale));
    const value = (name: string) => values[name] ?? '';
    html(
      ctx,
      detailsPage(p, {
        csrf: user.csrf,
        values: { family_name: value('family_name'), given_name: value('given_name'), locale: value('locale'), default_contract: value('default_contract'), default_country: value('default_country').toUpperCase(), default_landing: value('default_landing') },
        countries,
        landings: KNOWN_LANDINGS,
        errors,
      }),
      status,
    );
  }

  router.get('/details', async (ctx) => {
    const user = await portal.require(ctx);
    if (!user) return;
    const { account } = user;
    const preference = (key: string) => (typeof account.preferences[key] === 'string' ? (account.preferences[key] as string) : '');
    renderDetails(ctx, user, { family_name: account.familyName ?? '', given_name: account.givenName ?? '', locale: account.locale, default_contract: preference('defaultContract'), default_country: preference('defaultCountry'), default_landing: preference('defaultLanding') }, []);
  });

  router.post('/details', async (ctx) => {
    const { user, form } = await requireForPost(ctx, {}, '/account/details');
    const { account } = user;
    const { patch, problems } = readDetails(account, form);
    if (problems.length > 0) return renderDetails(ctx, user, form, fieldErrors(page(ctx, user).t, problems), 400);
    const fields = changedFields(account, patch);
    if (fields.length > 0) {
      const result = await repos.accounts.update(account.id, patch);
      if (result !== 'updated') throw new GuichetError('session_expired', `account update: ${result}`);
      await repos.audit.record({ action: 'profile.details.changed', result: 'success', actor: `account:${account.id}`, accountId: account.id, ...origin(ctx), details: { fields } });
    }
    // The new language shows at once, even over an earlier explicit choice on the switch.
    if (patch.locale && patch.locale !== account.locale) ctx.cookies.set(LANG_COOKIE, patch.locale, { httpOnly: true, sameSite: 'lax', secure, maxAge: 365 * 86400 * 1000, signed: false, overwrite: true });
    seeOther(ctx, '/account?done=details');
  });

  // ---- e-mail ---------------------------------------------------------------------------------------

  const emailDeps = { accounts: repos.accounts, store, mailer: deps.mailer, audit: repos.audit, issuer: config.issuer };

  router.get('/email', async (ctx) => {
    const user = await portal.require(ctx, fresh);
    if (!user) return;
    html(ctx, emailPage(page(ctx, user), { csrf: user.csrf, current: user.account.email, values: { email: '', email_confirmation: '' }, errors: [] }));
  });

  router.post('/email', async (ctx) => {
    const { user, form } = await requireForPost(ctx, fresh, '/account/email');
    const p = page(ctx, user, '/account/email');
    let result: Awaited<ReturnType<typeof requestEmailChange>>;
    try {
      result = await requestEmailChange(emailDeps, { account: user.account, email: form.email ?? '', confirmation: form.email_confirmation ?? '', origin: origin(ctx) });
    } catch (err) {
      if (isGuichetError(err)) throw err;
      logger.error({ err }, 'e-mail change: mail not sent');
      throw new GuichetError('service_unavailable', 'mail not sent');
    }
    if (!result.ok) return html(ctx, emailPage(p, { csrf: user.csrf, current: user.account.email, values: { email: form.email ?? '', email_confirmation: form.email_confirmation ?? '' }, errors: fieldErrors(p.t, result.problems) }), 400);
    html(ctx, emailSentPage(p, result.email));
  });

  // The link may be opened anywhere: a login first if needed, then one button (mail scanners follow links, never forms).
  router.get('/email/confirm', async (ctx) => {
    const user = await portal.require(ctx);
    if (!user) return;
    const p = page(ctx, user, '/account');
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    const email = await pendingEmailChange(store, user.account.id, token);
    if (!email) return html(ctx, emailLinkInvalidPage(p, p.t('profile.email.link_invalid')), 410);
    html(ctx, emailConfirmPage(p, { csrf: user.csrf, token, email }));
  });

  router.post('/email/confirm', async (ctx) => {
    const { user, form } = await requireForPost(ctx, {}, '/account');
    const p = page(ctx, user, '/account');
    const outcome = await confirmEmailChange(emailDeps, { account: user.account, token: form.token ?? '', origin: origin(ctx) });
    if (outcome.kind === 'invalid_link') return html(ctx, emailLinkInvalidPage(p, p.t('profile.email.link_invalid')), 410);
    if (outcome.kind === 'email_taken') return html(ctx, emailLinkInvalidPage(p, p.t('profile.email.taken_at_confirm')), 409);
    seeOther(ctx, '/account?done=email');
  });

  // ---- password or confidential code ----------------------------------------------------------------

  function renderSecret(ctx: Context, user: PortalUser, kinds: CredentialKind[], options: { kind?: string; errors?: FieldError[]; message?: string; status?: number } = {}): void {
    const p = page(ctx, user, '/account/secret');
    const rules = { password: describePasswordRules(config.passwordPolicy).map((r) => p.t(r.id as MessageId, r.params)), pin: describePinRules(config.pinPolicy).map((r) => p.t(r.id as MessageId, r.params)) };
    html(ctx, secretChangePage(p, { csrf: user.csrf, kinds, kind: options.kind, pinLength: config.pinPolicy.length, rules, errors: options.errors ?? [], message: options.message }), options.status ?? 200);
  }

  router.get('/secret', async (ctx) => {
    const user = await portal.require(ctx, fresh);
    if (!user) return;
    renderSecret(ctx, user, await secretKinds(user.account.id));
  });

  router.post('/secret', async (ctx) => {
    const { user, form } = await requireForPost(ctx, fresh, '/account/secret');
    const { account } = user;
    const { t, locale } = page(ctx, user);
    const rate = await deps.abuse.checkRate(ctx.ip, `profile:${account.id}`);
    if (!rate.allowed) {
      ctx.set('Retry-After', String(rate.retryAfterSeconds));
      throw new GuichetError('rate_limited');
    }
    const kinds = await secretKinds(account.id);
    const kind = kinds.length === 1 ? kinds[0] : kinds.find((k) => k === form.kind);
    const errors: FieldError[] = [];
    if (!kind) errors.push({ field: 'kind', message: t('profile.secret.kind.invalid') });
    for (const field of ['current_secret', 'new_secret', 'confirmation']) if (!form[field]) errors.push({ field, message: t('profile.field.required') });
    if (!kind || errors.length > 0) return renderSecret(ctx, user, kinds, { kind: form.kind, errors, status: 400 });
    const factor = t(kind === 'pin' ? 'factor.pin' : 'factor.password');

    const current = await verifyCurrentSecret(
      { credentials: repos.credentials, authenticators: deps.firstFactor.authenticators, lockout: deps.firstFactor.lockout, audit: repos.audit },
      { account, kind, secret: form.current_secret!, auth: { flowId: `profile:${account.id}`, now: clock.now(), ip: ctx.ip, userAgent: ctx.get('user-agent') }, origin: origin(ctx) },
    );
    if (current.kind === 'blocked') {
      const message = current.until ? t('login.blocked_until', { time: formatDateTime(current.until, locale) }) : t('login.blocked');
      return renderSecret(ctx, user, kinds, { kind, message, status: 403 });
    }
    if (current.kind === 'failed') return renderSecret(ctx, user, kinds, { kind, errors: [{ field: 'current_secret', message: t('profile.secret.current_wrong', { factor, n: String(current.remaining) }) }], status: 401 });

    const subscription = account.subscriptionId ? await repos.subscriptions.findById(account.subscriptionId) : null;
    const chosen = await chooseOwnSecret(
      { credentials: repos.credentials, temporarySecrets: repos.temporarySecrets, hasher: deps.firstFactor.hasher, clock, audit: repos.audit, config },
      { account, kind, secret: form.new_secret!, confirmation: form.confirmation!, subscriptionIdentifier: subscription?.identifier ?? null, via: 'profile', ...origin(ctx) },
    );
    if (!chosen.ok) {
      const field = chosen.field === 'secret' ? 'new_secret' : 'confirmation';
      return renderSecret(ctx, user, kinds, { kind, errors: chosen.problems.map((problem) => ({ field, message: t(problem.id as MessageId, problem.params) })), status: 400 });
    }
    await notifyOwner(deps.mailer, account, { kind: 'secret', factor: kind }, clock.now()).catch((err: unknown) => logger.error({ err }, 'secret change notice not sent'));
    seeOther(ctx, `/account?done=${kind}`);
  });

  // ---- security questions ---------------------------------------------------------------------------

  function renderQuestions(ctx: Context, user: PortalUser, chosen: string[], errors: FieldError[], status = 200): void {
    const p = page(ctx, user, '/account/questions');
    html(ctx, questionsPage(p, { csrf: user.csrf, count: config.securityQuestions.count, questions: catalogue.map((q) => ({ id: q.id, text: questionText(q, p.locale) })), chosen, errors }), status);
  }

  router.get('/questions', async (ctx) => {
    const user = await portal.require(ctx, fresh);
    if (!user) return;
    const current = (await repos.securityAnswers.list(user.account.id)).sort((a, b) => a.position - b.position);
    renderQuestions(ctx, user, current.map((a) => a.questionId), []);
  });

  router.post('/questions', async (ctx) => {
    const { user, form } = await requireForPost(ctx, fresh, '/account/questions');
    const count = config.securityQuestions.count;
    const choices = Array.from({ length: count }, (_, i) => ({ questionId: form[`question_${i + 1}`] ?? '', answer: form[`answer_${i + 1}`] ?? '' }));
    const result = await replaceSecurityAnswers(
      { securityAnswers: repos.securityAnswers, hasher: deps.firstFactor.hasher, clock, audit: repos.audit },
      { account: user.account, catalogue, count, choices, origin: origin(ctx) },
    );
    if (!result.ok) return renderQuestions(ctx, user, choices.map((c) => c.questionId), fieldErrors(page(ctx, user).t, result.problems), 400);
    seeOther(ctx, '/account?done=questions');
  });

  // ---- authenticator app (PSD2 RTS art. 24(2): a remote association needs SCA; art. 26: so does a replacement) ----

  /** A new seed, or the one waiting for its first code, kept sealed in the store until confirmed. */
  async function pendingTotp(account: Account, renew: boolean): Promise<TotpEnrolment | null> {
    if (!renew) {
      const sealed = await store.get(totpKey(account.id));
      return sealed ? (JSON.parse(deps.box.open(sealed)) as TotpEnrolment) : null;
    }
    const enrolment = oath.beginTotpEnrolment(await identifierOf(account), TOTP_ISSUER);
    await store.set(totpKey(account.id), deps.box.seal(JSON.stringify(enrolment)), TOTP_PENDING_SECONDS);
    return enrolment;
  }

  async function renderTotp(ctx: Context, user: PortalUser, enrolment: TotpEnrolment, error?: MessageId, status = 200): Promise<void> {
    const qrSvg = await QRCode.toString(enrolment.otpauthUri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
    const p = page(ctx, user, '/account/totp');
    const replacing = (await repos.factors.listForAccount(user.account.id, 'totp')).length > 0;
    html(ctx, totpPage(p, { csrf: user.csrf, qrSvg, manualKey: enrolment.secret.match(/.{1,4}/g)!.join(' '), replacing, error: error ? p.t(error) : undefined }), status);
  }

  router.get('/totp', async (ctx) => {
    const user = await portal.require(ctx);
    if (!user) return;
    // Without a factor to reach SCA, a login cannot help: the first association is made in a secure environment.
    if ((await enrolledCodeFactors(deps.secondFactor, user.account.id)).length === 0) return html(ctx, totpUnavailablePage(page(ctx, user)), 403);
    const strongUser = await portal.require(ctx, strong);
    if (!strongUser) return;
    await renderTotp(ctx, strongUser, (await pendingTotp(strongUser.account, true))!);
  });

  router.post('/totp', async (ctx) => {
    const { user, form } = await requireForPost(ctx, strong, '/account/totp');
    const { account } = user;
    const pending = await pendingTotp(account, false);
    if (!pending) return renderTotp(ctx, user, (await pendingTotp(account, true))!, 'profile.totp.expired', 400);
    const audit = { action: 'factor.enrol', actor: `account:${account.id}`, accountId: account.id, ...origin(ctx) };
    const result = await oath.confirmTotpEnrolment(account.id, pending.secret, form.code ?? '', { label: null });
    if (result.kind !== 'enrolled') {
      await repos.audit.record({ ...audit, result: 'failure', reason: 'wrong_code', details: { kind: 'totp', via: 'profile' } });
      return renderTotp(ctx, user, pending, 'profile.totp.wrong_code', 400);
    }
    await store.delete(totpKey(account.id));
    await repos.audit.record({ ...audit, result: 'success', details: { kind: 'totp', via: 'profile', credentialId: result.credential.id, revoked: result.revoked, acr: user.acr } });
    await notifyOwner(deps.mailer, account, { kind: 'totp' }, clock.now()).catch((err: unknown) => logger.error({ err }, 'factor notice not sent'));
    seeOther(ctx, '/account?done=totp');
  });

  return router;
}
