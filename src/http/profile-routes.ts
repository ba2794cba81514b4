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
import type { CertificateDependencies } from './interaction/interaction-kit.js';
import { certificateEnrolPage, type CertificateEnrolView } from '../../views/certificate.js';
import type { Passkeys } from '../authenticators/webauthn/passkeys.js';
import type { RegistrationChallenge } from '../authenticators/webauthn/enrolment.js';
import type { WebAuthnFailure } from '../authenticators/webauthn/webauthn-credential.js';
import { renderMail } from '../flows/mail-content.js';
import { translator } from '../i18n/messages.js';
import { passkeysPage, passkeysUnavailablePage } from '../../views/passkey.js';

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
  /** Passkeys, when `webauthn.enabled`: /account/passkeys. */
  passkeys?: Passkeys | null | undefined;
  /** X.509 client certificates, when `x509.enabled`: /account/certificate. */
  x509?: CertificateDependencies | undefined;
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
  certificate: 'certificate.profile.done',
};

const METHODS: Record<string, MessageId> = {
  'login.password': 'profile.method.password',
  'login.pin': 'profile.method.pin',
  'login.second_factor': 'profile.method.second_factor',
  'login.certificate': 'certificate.profile.method',
  'login.passkey': 'profile.method.passkey',
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
        passkeys: deps.passkeys ? (await repos.factors.listForAccount(account.id, 'webauthn')).length : undefined,
        certificates: deps.x509 ? (await repos.factors.listForAccount(account.id, 'x509')).length : undefined,
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

  if (deps.passkeys) passkeyRoutes(router, deps.passkeys);
  if (deps.x509) certificateProfileRoutes(router, deps, deps.x509, { page, html, requireForPost, origin });
  return router;

  // ---- passkeys (PSD2 RTS art. 24(2): a remote association needs SCA; art. 27: revocation) ----------

  function passkeyRoutes(r: Router, passkeys: Passkeys): void {
    const pendingKey = (accountId: string) => `profile:passkey:${accountId}`;
    const REFUSAL: Partial<Record<WebAuthnFailure, MessageId>> = {
      already_registered: 'profile.passkeys.already',
      backup_eligible_refused: 'profile.passkeys.synced_refused',
      challenge_expired: 'passkey.expired',
      challenge_reused: 'passkey.expired',
    };

    /** The list, and fresh creation options whose challenge waits in the store for the POST (single use). */
    async function renderPasskeys(ctx: Context, user: PortalUser, options: { notice?: MessageId; error?: MessageId; status?: number } = {}): Promise<void> {
      const p = page(ctx, user, '/account/passkeys');
      const list = await passkeys.enrolment.listWebAuthnCredentials(user.account.id);
      const { options: creation, challenge } = await passkeys.enrolment.beginRegistration(user.account, list);
      await store.set(pendingKey(user.account.id), JSON.stringify(challenge), passkeys.settings.timeoutSeconds);
      html(
        ctx,
        passkeysPage(p, {
          csrf: user.csrf,
          passkeys: list.map((c) => ({ id: c.id, label: c.label ?? '', synced: c.backupEligible, created: formatDateTime(c.createdAt, p.locale), used: c.lastUsedAt ? formatDateTime(c.lastUsedAt, p.locale) : null })),
          options: creation,
          syncedNotSca: !passkeys.acceptBackupEligible && list.some((c) => c.backupEligible),
          notice: options.notice ? p.t(options.notice) : undefined,
          error: options.error ? p.t(options.error) : undefined,
        }),
        options.status ?? 200,
      );
    }

    r.get('/passkeys', async (ctx) => {
      const user = await portal.require(ctx);
      if (!user) return;
      // Without a factor to reach SCA, a login cannot help: the first association is made in a secure environment.
      const strongFactors = (await enrolledCodeFactors(deps.secondFactor, user.account.id)).length + (await repos.factors.listForAccount(user.account.id, 'webauthn')).length;
      if (strongFactors === 0) return html(ctx, passkeysUnavailablePage(page(ctx, user)), 403);
      const strongUser = await portal.require(ctx, strong);
      if (!strongUser) return;
      const done = ctx.query.done === 'added' ? 'profile.passkeys.done.added' : ctx.query.done === 'revoked' ? 'profile.passkeys.done.revoked' : undefined;
      await renderPasskeys(ctx, strongUser, { notice: done });
    });

    r.post('/passkeys', async (ctx) => {
      const { user, form } = await requireForPost(ctx, strong, '/account/passkeys');
      const { account } = user;
      const raw = await store.get(pendingKey(account.id));
      await store.delete(pendingKey(account.id));
      const audit = { action: 'factor.enrol', actor: `account:${account.id}`, accountId: account.id, ...origin(ctx) };
      if (!raw) return renderPasskeys(ctx, user, { error: 'passkey.expired', status: 400 });
      const label = (form.label ?? '').trim().slice(0, 64) || null;
      const outcome = await passkeys.enrolment.finishRegistration(account.id, form.response ?? '', JSON.parse(raw) as RegistrationChallenge, { label });
      if (outcome.kind !== 'enrolled') {
        await repos.audit.record({ ...audit, result: 'failure', reason: outcome.detail, details: { kind: 'webauthn', via: 'profile' } });
        return renderPasskeys(ctx, user, { error: REFUSAL[outcome.detail] ?? 'profile.passkeys.failed', status: 400 });
      }
      await repos.audit.record({ ...audit, result: 'success', details: { kind: 'webauthn', via: 'profile', credentialId: outcome.credential.id, backupEligible: outcome.credential.backupEligible, acr: user.acr } });
      await notifyPasskey(account, 'added').catch((err: unknown) => logger.error({ err }, 'passkey notice not sent'));
      seeOther(ctx, '/account/passkeys?done=added');
    });

    r.post('/passkeys/revoke', async (ctx) => {
      const { user, form } = await requireForPost(ctx, strong, '/account/passkeys');
      const { account } = user;
      const credentialId = (form.credential ?? '').slice(0, 64);
      const revoked = /^[0-9a-f-]{36}$/i.test(credentialId) && (await passkeys.enrolment.revokeWebAuthnCredential(account.id, credentialId));
      if (!revoked) return renderPasskeys(ctx, user, { error: 'profile.passkeys.revoke_unknown', status: 404 });
      await repos.audit.record({ action: 'factor.revoke', result: 'success', actor: `account:${account.id}`, accountId: account.id, ...origin(ctx), details: { kind: 'webauthn', via: 'profile', credentialId } });
      await notifyPasskey(account, 'revoked').catch((err: unknown) => logger.error({ err }, 'passkey notice not sent'));
      seeOther(ctx, '/account/passkeys?done=revoked');
    });

    /** A passkey added or removed is told to the owner by mail, so a change they did not make is noticed. */
    async function notifyPasskey(account: Account, change: 'added' | 'revoked'): Promise<void> {
      if (!account.email) return;
      const t = translator(account.locale);
      const time = formatDateTime(clock.now(), account.locale);
      await deps.mailer.send({ to: account.email, ...renderMail(t(`profile.mail.passkey_${change}.subject`), t(`profile.mail.passkey_${change}.body`, { time })) });
    }
  }
}

// ---- sign-in certificate (PSD2 RTS art. 24(2): a remote association needs SCA) ---------------------

interface ProfileHelpers {
  page(ctx: Context, user: PortalUser, here?: string): PageContext;
  html(ctx: Context, body: string, status?: number): void;
  requireForPost(ctx: Context, requirement: Requirement, here: string): Promise<{ user: PortalUser; form: Record<string, string> }>;
  origin(ctx: Context): RequestOrigin;
}

/**
 * /account/certificate: the user binds the certificate of their token, within five minutes of an SCA
 * (enrolOwnCertificate). The certificate comes from the TLS handshake on Guichet's listener (its own
 * port: the page on the main origin links there) or from a trusted proxy's header, never from the
 * form. The portal cookie is host-scoped, so the session is the same on both ports; every way on
 * from the listener leads back to the main origin.
 */
function certificateProfileRoutes(router: Router, deps: ProfileDependencies, x509: CertificateDependencies, h: ProfileHelpers): void {
  const { config, repos, portal, logger } = deps;
  const strong: Requirement = { maxAgeSeconds: FRESH_LOGIN_SECONDS, acr: config.acr.sca };
  const mainOrigin = (path: string) => new URL(path, config.issuer).href;
  const listener = x509.settings.tls.port > 0 ? `https://${new URL(config.issuer).hostname}:${x509.settings.tls.port}` : null;
  const presentHref = listener ? `${listener}/account/certificate` : '/account/certificate';
  const formatDate = (iso: string, locale: string) => new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(new Date(iso));

  /** A login redirect made on the listener's port goes through the main origin. */
  function redirectToMainOrigin(ctx: Context): void {
    const location = ctx.response.get('Location');
    if (location.startsWith('/')) ctx.redirect(mainOrigin(location));
  }

  async function render(ctx: Context, user: PortalUser, state: CertificateEnrolView['state'], status = 200): Promise<void> {
    const p = h.page(ctx, user, '/account/certificate');
    const enrolled = (await x509.enrolment.listCertificates(user.account.id)).map((c) => ({ label: c.label ?? c.subject, subject: c.subject, issuer: c.issuer, expires: formatDate(c.notAfter, p.locale) }));
    h.html(ctx, certificateEnrolPage(p, { backHref: mainOrigin('/account'), enrolled, state }), status);
  }

  const reasonText = (p: PageContext, reason: string) => p.t(`certificate.reason.${reason}` as MessageId);

  router.get('/certificate', async (ctx) => {
    const user = await portal.require(ctx);
    if (!user) return redirectToMainOrigin(ctx);
    // Without a strong factor a login cannot reach SCA: the first one is enrolled by an administrator.
    const strongFactors = (await enrolledCodeFactors(deps.secondFactor, user.account.id)).length + (await repos.factors.listForAccount(user.account.id, 'x509')).length;
    if (strongFactors === 0) return render(ctx, user, { kind: 'unavailable', message: h.page(ctx, user).t('certificate.profile.unavailable') }, 403);
    const strongUser = await portal.require(ctx, strong);
    if (!strongUser) return redirectToMainOrigin(ctx);
    const p = h.page(ctx, strongUser);
    const presented = await x509.certificates.certificateOf(ctx.req);
    if (presented.kind === 'absent') {
      // On the main origin the listener is one link away; there, or behind the proxy, none was presented.
      const onListener = listener !== null && ctx.origin !== new URL(config.issuer).origin;
      return listener && !onListener ? render(ctx, strongUser, { kind: 'ask', presentHref }) : render(ctx, strongUser, { kind: 'refused', message: reasonText(p, 'no_certificate'), presentHref }, 400);
    }
    const check = x509.enrolment.inspectCertificate(presented.kind === 'present' ? presented.der : new Uint8Array());
    if (check.kind === 'invalid') return render(ctx, strongUser, { kind: 'refused', message: reasonText(p, check.reason), presentHref }, 400);
    const { certificate } = check;
    await render(ctx, strongUser, { kind: 'presented', csrf: strongUser.csrf, action: '/account/certificate', certificate: { subject: certificate.subject, issuer: certificate.issuer, expires: formatDate(certificate.notAfter.toISOString(), p.locale) } });
  });

  router.post('/certificate', async (ctx) => {
    const { user, form } = await h.requireForPost(ctx, strong, mainOrigin('/account/certificate'));
    const { account } = user;
    const p = h.page(ctx, user);
    const audit = { action: 'factor.enrol', actor: `account:${account.id}`, accountId: account.id, ...h.origin(ctx) };
    const presented = await x509.certificates.certificateOf(ctx.req);
    const label = (form.label ?? '').trim();
    // The input holds 100 characters at most: more is a tampered form.
    if (label.length > 100) throw new GuichetError('bad_request', 'label too long');
    if (presented.kind === 'absent') {
      await repos.audit.record({ ...audit, result: 'failure', reason: 'no_certificate', details: { kind: 'x509', via: 'profile' } });
      return render(ctx, user, { kind: 'refused', message: reasonText(p, 'no_certificate'), presentHref }, 400);
    }
    // `require` checked the level: the session's login is the SCA whose age the enrolment checks again.
    const outcome = await x509.enrolment.enrolOwnCertificate(account.id, presented.kind === 'present' ? presented.der : new Uint8Array(), { lastScaAt: new Date(user.authTime * 1000), label: label || null });
    if (outcome.kind === 'refused') {
      await repos.audit.record({ ...audit, result: 'failure', reason: outcome.reason, details: { kind: 'x509', via: 'profile', ...(outcome.thumbprint ? { thumbprint: outcome.thumbprint } : {}) } });
      return render(ctx, user, { kind: 'refused', message: reasonText(p, outcome.reason), presentHref }, outcome.reason === 'already_enrolled' ? 409 : 400);
    }
    await repos.audit.record({ ...audit, result: 'success', details: { kind: 'x509', via: 'profile', credentialId: outcome.credential.id, thumbprint: outcome.credential.thumbprint, acr: user.acr } });
    logger.info({ event: 'factor.enrol', kind: 'x509', accountId: account.id }, 'certificate enrolled by its owner');
    ctx.status = 303;
    ctx.redirect(mainOrigin('/account?done=certificate'));
  });
}

