import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Identifier } from '../domain/account.js';
import type { ExpiringStore, Repositories } from '../domain/ports.js';
import { GuichetError } from '../errors/codes.js';
import { safeEqual } from '../lib/constant-time.js';
import { randomToken } from '../lib/random.js';
import type { FlowStore } from '../flows/flow-store.js';
import type { LoginFlow } from '../flows/login-flow.js';
import type { SimpleFactor } from '../flows/first-factor.js';
import { identifierLabel, isIdentifier, parseIdentifier } from '../flows/identifier.js';
import type { Recovery, RequestMeta } from '../flows/recovery.js';
import type { AbuseGuard } from '../policy/abuse-guard.js';
import type { Captcha } from '../policy/captcha.js';
import { describePasswordRules, describePinRules } from '../policy/secret-policy.js';
import { questionText } from '../policy/security-questions.js';
import type { MessageId } from '../i18n/messages.js';
import { recoveryMessagePage, recoveryQuestionsPage, recoveryStartPage, type RecoveryMethod } from '../../views/recovery.js';
import { pageContext } from './page-context.js';
import { readForm } from './read-form.js';
import { loginSettings } from './login-settings.js';

export interface RecoveryRouteDependencies {
  config: Readonly<Config>;
  repos: Repositories;
  store: ExpiringStore;
  flows: FlowStore;
  abuse: AbuseGuard;
  captcha: Captcha;
  recovery: Recovery;
  logger: Logger;
}

/**
 * One person's recovery in progress, bound to their browser by a random cookie (not to the login's
 * uid, which a link's recipient and the requester may both know). `accountId` is set once an
 * e-mailed link was followed; `verified` once the answers were right and only the secret is left.
 */
interface RecoveryState {
  uid: string;
  csrf: string;
  identifier: Identifier;
  kind: SimpleFactor;
  linkedAccountId?: string | undefined;
  verified?: string | undefined;
}

export const RECOVERY_COOKIE = 'guichet_recovery';
const STATE_TTL = 20 * 60;

/**
 * The recovery pages under `/recovery/:uid`, where uid is the login interaction's: its flow gives
 * the client (whose first factor is renewed) and the way back. Always captcha-gated and rate
 * limited; the requests and outcomes are audited by flows/recovery.ts. Never signs anyone in.
 */
export function recoveryRoutes(deps: RecoveryRouteDependencies): Router {
  const { config, repos, store, flows, abuse, captcha, recovery, logger } = deps;
  const router = new Router({ prefix: '/recovery/:uid' });
  const secure = new URL(config.issuer).protocol === 'https:';
  const base = (uid: string) => `/recovery/${uid}`;
  const loginHref = (uid: string) => `/interaction/${uid}`;
  const stateKey = (id: string) => `recovery:state:${id}`;
  const captchaScope = (uid: string) => `${uid}:recovery`;
  const strict = config.recovery.emailLinkFirst;
  const methods: RecoveryMethod[] = [...(config.recovery.securityQuestions ? (['questions'] as const) : []), ...(config.recovery.emailedTemporary ? (['emailed'] as const) : [])];

  const meta = (ctx: Context, flow: LoginFlow): RequestMeta => ({ ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512), clientId: flow.clientId });

  /** The login this recovery belongs to, and the secret its client uses; a `card` client has none to recover. */
  async function loginOf(ctx: Context): Promise<{ flow: LoginFlow; kind: SimpleFactor; schemes: ReturnType<typeof loginSettings>['schemes'] } | null> {
    const uid = String(ctx.params.uid ?? '');
    const flow = uid.length <= 128 ? await flows.load(uid) : null;
    if (!flow) throw new GuichetError('session_expired', 'no login flow for this recovery');
    const settings = loginSettings(config, await repos.clients.find(flow.clientId));
    if (settings.firstFactor === 'card' || methods.length === 0) {
      const p = page(ctx);
      ctx.status = 404;
      ctx.type = 'html';
      ctx.body = recoveryMessagePage(p, { step: 'recovery-unavailable', title: p.t('recovery.unavailable.title'), message: p.t('recovery.unavailable'), alert: true, backHref: loginHref(flow.uid) });
      return null;
    }
    return { flow, kind: settings.firstFactor, schemes: settings.schemes };
  }

  const page = (ctx: Context, here?: string) => pageContext(ctx, config.defaultLocale, { here });

  async function enforceRate(ctx: Context, identifier?: Identifier): Promise<void> {
    const rate = await abuse.checkRate(ctx.ip, identifier ? identifierLabel(identifier) : undefined);
    if (!rate.allowed) {
      ctx.set('Retry-After', String(rate.retryAfterSeconds));
      throw new GuichetError('rate_limited');
    }
  }

  async function loadState(ctx: Context, uid: string): Promise<{ id: string; state: RecoveryState } | null> {
    const id = ctx.cookies.get(RECOVERY_COOKIE, { signed: false });
    if (!id || id.length > 64) return null;
    const raw = await store.get(stateKey(id));
    const state = raw ? (JSON.parse(raw) as RecoveryState) : null;
    return state && state.uid === uid && isIdentifier(state.identifier) ? { id, state } : null;
  }

  async function saveState(ctx: Context, state: RecoveryState, id = randomToken(24)): Promise<void> {
    await store.set(stateKey(id), JSON.stringify(state), STATE_TTL);
    ctx.cookies.set(RECOVERY_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure, signed: false, path: '/recovery', overwrite: true, maxAge: STATE_TTL * 1000 });
  }

  async function endState(ctx: Context, id: string): Promise<void> {
    await store.delete(stateKey(id));
    ctx.cookies.set(RECOVERY_COOKIE, null, { path: '/recovery', secure });
  }

  const rules = (p: ReturnType<typeof page>, kind: SimpleFactor) =>
    (kind === 'pin' ? describePinRules(config.pinPolicy) : describePasswordRules(config.passwordPolicy)).map((r) => p.t(r.id as MessageId, r.params));

  async function renderStart(ctx: Context, login: NonNullable<Awaited<ReturnType<typeof loginOf>>>, options: { status?: number; error?: string; invalidField?: string; captchaError?: string; values?: Record<string, string> } = {}): Promise<void> {
    const { flow, kind, schemes } = login;
    const p = page(ctx, base(flow.uid));
    const values = options.values ?? {};
    ctx.status = options.status ?? 200;
    ctx.type = 'html';
    ctx.body = recoveryStartPage(p, {
      action: base(flow.uid),
      csrf: flow.csrf,
      kind,
      schemes,
      methods,
      linkFirst: strict,
      values: { identifier: values.identifier, subscription: values.subscription, user_number: values.user_number, method: values.method },
      invalidField: options.invalidField,
      error: options.error,
      captcha: { svg: await captcha.issue(captchaScope(flow.uid)), newHref: base(flow.uid), error: options.captchaError },
      backHref: loginHref(flow.uid),
    });
  }

  async function renderQuestions(ctx: Context, uid: string, state: RecoveryState, options: { status?: number; error?: string; invalid?: 'answers' | 'secret' | 'confirmation'; problems?: string[]; notice?: string } = {}): Promise<void> {
    const p = page(ctx, `${base(uid)}/questions`);
    const questions = state.verified ? [] : await recovery.questionsFor(state.identifier, state.kind, state.linkedAccountId);
    ctx.status = options.status ?? 200;
    ctx.type = 'html';
    ctx.body = recoveryQuestionsPage(p, {
      action: `${base(uid)}/questions`,
      csrf: state.csrf,
      kind: state.kind,
      identifier: identifierLabel(state.identifier),
      questions: questions.map((q) => questionText(q, p.locale)),
      rules: rules(p, state.kind),
      pinLength: config.pinPolicy.length,
      error: options.error,
      invalid: options.invalid,
      problems: options.problems,
      notice: options.notice,
      backHref: loginHref(uid),
    });
  }

  router.get('/', async (ctx) => {
    const login = await loginOf(ctx);
    if (login) await renderStart(ctx, login);
  });

  router.post('/', async (ctx) => {
    const login = await loginOf(ctx);
    if (!login) return;
    const { flow, kind, schemes } = login;
    const form = await readForm(ctx, config.maxBodyBytes);
    if (!form.csrf || !safeEqual(form.csrf, flow.csrf)) throw new GuichetError('csrf_failed');
    const p = page(ctx, base(flow.uid));
    const values = { identifier: form.identifier ?? '', subscription: form.subscription ?? '', user_number: form.user_number ?? '', method: form.method ?? '' };
    // One form carries both schemes' fields: empty subscription fields mean the username was used.
    if (schemes.length > 1 && !form.subscription?.trim() && !form.user_number?.trim()) {
      delete form.subscription;
      delete form.user_number;
    }
    const parsed = parseIdentifier(form, schemes);
    await enforceRate(ctx, 'missing' in parsed ? undefined : parsed);
    const audit = { action: 'recovery.requested', clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) };
    if (!(await captcha.verify(captchaScope(flow.uid), form.captcha ?? ''))) {
      await abuse.recordFailure(ctx.ip, undefined);
      await repos.audit.record({ ...audit, result: 'failure', reason: 'captcha_wrong' });
      await renderStart(ctx, login, { status: 400, error: p.t('captcha.wrong'), captchaError: p.t('captcha.wrong'), values });
      return;
    }
    if ('missing' in parsed) {
      await renderStart(ctx, login, { status: 400, error: p.t('identify.missing'), invalidField: parsed.missing, values });
      return;
    }
    const method = methods.find((m) => m === form.method);
    if (!method) {
      await renderStart(ctx, login, { status: 400, error: p.t('recovery.method.missing'), invalidField: 'method', values });
      return;
    }
    await repos.audit.record({ ...audit, result: 'success', details: { method, linkFirst: method === 'questions' && strict } });
    ctx.type = 'html';
    if (method === 'emailed') {
      // Every identifier costs the same: the lookup and the mail run after the answer is sent.
      void recovery.requestTemporary(parsed, kind, meta(ctx, flow));
      ctx.body = recoveryMessagePage(p, { step: 'recovery-sent', title: p.t('recovery.sent.title'), message: p.t(`recovery.sent.${kind}`, { hours: String(config.recovery.temporaryTtlHours) }), backHref: loginHref(flow.uid) });
      return;
    }
    if (strict) {
      void recovery.requestLink(parsed, kind, flow.uid, meta(ctx, flow));
      ctx.body = recoveryMessagePage(p, { step: 'recovery-link-sent', title: p.t('recovery.sent.title'), message: p.t('recovery.link_sent', { minutes: String(config.recovery.linkTtlMinutes) }), backHref: loginHref(flow.uid) });
      return;
    }
    await saveState(ctx, { uid: flow.uid, csrf: randomToken(), identifier: parsed, kind });
    ctx.status = 303;
    ctx.redirect(`${base(flow.uid)}/questions`);
  });

  /** The strict profile's e-mailed link: redeemed once, it opens the questions for its account in this browser. */
  router.get('/link', async (ctx) => {
    const login = await loginOf(ctx);
    if (!login) return;
    const { flow } = login;
    await enforceRate(ctx);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    const grant = strict && config.recovery.securityQuestions ? await recovery.followLink(flow.uid, token, meta(ctx, flow)) : null;
    if (!grant || grant.kind !== login.kind) {
      const p = page(ctx, base(flow.uid));
      ctx.status = 410;
      ctx.type = 'html';
      ctx.body = recoveryMessagePage(p, { step: 'recovery-link-invalid', title: p.t('recovery.link_invalid.title'), message: p.t('recovery.link_invalid'), alert: true, backHref: loginHref(flow.uid), again: base(flow.uid) });
      return;
    }
    await saveState(ctx, { uid: flow.uid, csrf: randomToken(), identifier: grant.identifier, kind: grant.kind, linkedAccountId: grant.accountId });
    ctx.status = 303;
    ctx.redirect(`${base(flow.uid)}/questions`);
  });

  /** Questions only after the start page (and, in the strict profile, only after the link). */
  async function questionsState(ctx: Context): Promise<{ id: string; state: RecoveryState; flow: LoginFlow } | null> {
    const login = await loginOf(ctx);
    if (!login) return null;
    const found = config.recovery.securityQuestions ? await loadState(ctx, login.flow.uid) : null;
    if (!found || (strict && !found.state.linkedAccountId) || found.state.kind !== login.kind) {
      ctx.status = 303;
      ctx.redirect(base(login.flow.uid));
      return null;
    }
    return { ...found, flow: login.flow };
  }

  router.get('/questions', async (ctx) => {
    const found = await questionsState(ctx);
    if (found) await renderQuestions(ctx, found.flow.uid, found.state);
  });

  router.post('/questions', async (ctx) => {
    const found = await questionsState(ctx);
    if (!found) return;
    const { id, state, flow } = found;
    const form = await readForm(ctx, config.maxBodyBytes);
    if (!form.csrf || !safeEqual(form.csrf, state.csrf)) throw new GuichetError('csrf_failed');
    await enforceRate(ctx, state.identifier);
    const p = page(ctx, `${base(flow.uid)}/questions`);
    const secret = (form.secret ?? '').slice(0, 1024);
    const confirmation = (form.confirmation ?? '').slice(0, 1024);
    let accountId = state.verified;
    if (!accountId) {
      const count = (await recovery.questionsFor(state.identifier, state.kind, state.linkedAccountId)).length;
      const answers = Array.from({ length: count }, (_, i) => form[`answer_${i + 1}`] ?? '');
      if (answers.some((a) => a.trim() === '')) {
        await renderQuestions(ctx, flow.uid, state, { status: 400, error: p.t('recovery.questions.missing'), invalid: 'answers' });
        return;
      }
      const outcome = await recovery.checkAnswers({ identifier: state.identifier, kind: state.kind, linkedAccountId: state.linkedAccountId, answers, meta: meta(ctx, flow) });
      if (outcome.kind === 'blocked') {
        await abuse.recordFailure(ctx.ip, identifierLabel(state.identifier));
        await endState(ctx, id);
        const message = outcome.until ? p.t('login.blocked_until', { time: outcome.until.toLocaleString(p.locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' }) }) : p.t(config.recovery.emailedTemporary ? 'recovery.blocked.emailed' : 'recovery.blocked');
        ctx.status = 403;
        ctx.type = 'html';
        ctx.body = recoveryMessagePage(p, { step: 'recovery-blocked', title: p.t('recovery.blocked.title'), message, alert: true, backHref: loginHref(flow.uid) });
        return;
      }
      if (outcome.kind === 'wrong') {
        await abuse.recordFailure(ctx.ip, identifierLabel(state.identifier));
        logger.info({ event: 'recovery.wrong_answers', clientId: flow.clientId }, 'recovery answers refused');
        await renderQuestions(ctx, flow.uid, state, { status: 401, error: p.t('recovery.questions.wrong'), invalid: 'answers' });
        return;
      }
      accountId = outcome.accountId;
    }
    const result = await recovery.setSecret({ accountId, kind: state.kind, secret, confirmation, meta: meta(ctx, flow) });
    if (!result.ok) {
      // The answers were right: they are not asked again while this recovery lasts.
      const verified = { ...state, verified: accountId };
      await saveState(ctx, verified, id);
      await renderQuestions(ctx, flow.uid, verified, { status: 400, invalid: result.field, problems: result.problems.map((problem) => p.t(problem.id as MessageId, problem.params)), notice: p.t('recovery.questions.verified') });
      return;
    }
    await abuse.recordSuccess(identifierLabel(state.identifier));
    await endState(ctx, id);
    logger.info({ event: 'recovery.completed', accountId, clientId: flow.clientId }, 'secret renewed by recovery');
    ctx.type = 'html';
    ctx.body = recoveryMessagePage(p, { step: 'recovery-done', title: p.t(`recovery.done.title.${state.kind}`), message: p.t(`recovery.done.${state.kind}`), backHref: loginHref(flow.uid) });
  });

  return router;
}
