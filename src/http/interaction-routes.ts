import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Account } from '../domain/account.js';
import type { Repositories } from '../domain/ports.js';
import { GuichetError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import { safeEqual } from '../lib/constant-time.js';
import { randomToken } from '../lib/random.js';
import type { createPasswordAuthenticator } from '../authenticators/password/password-authenticator.js';
import type { AuthContext } from '../authenticators/contract.js';
import { nextStep, type LoginFlow } from '../flows/login-flow.js';
import type { FlowStore } from '../flows/flow-store.js';
import { levelOf } from '../policy/assurance.js';
import { consentPage, identifyPage, passwordPage } from '../../views/login.js';
import { readForm, requireField } from './read-form.js';
import { pageContext } from './page-context.js';

export interface InteractionDependencies {
  provider: Provider;
  config: Readonly<Config>;
  repos: Repositories;
  flows: FlowStore;
  password: ReturnType<typeof createPasswordAuthenticator>;
  clock: Clock;
  logger: Logger;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Guichet's login pages, driven by oidc-provider interactions. Each form carries `data-step` and
 * stable input names (docs/FORMS.md). GET renders the flow's next step; POST handles one step and
 * redirects (303) back to GET, so reloading never resubmits.
 */
export function interactionRoutes(deps: InteractionDependencies): Router {
  const { provider, config, repos, flows, clock, logger } = deps;
  const router = new Router({ prefix: '/interaction' });
  const base = (uid: string) => `/interaction/${uid}`;

  async function details(ctx: Context): Promise<Details> {
    try {
      const found = await provider.interactionDetails(ctx.req, ctx.res);
      if (found.uid !== ctx.params.uid) throw new oidcErrors.SessionNotFound('interaction mismatch');
      return found;
    } catch (e) {
      if (e instanceof oidcErrors.SessionNotFound) {
        const flow = await flows.load(String(ctx.params.uid ?? ''));
        throw new GuichetError('session_expired', 'interaction expired', flow ? { restart: flow.restartUrl } : {});
      }
      throw e;
    }
  }

  async function loadFlow(d: Details): Promise<LoginFlow> {
    const existing = await flows.load(d.uid);
    if (existing) return existing;
    const restart = new URL('/auth', config.issuer);
    for (const [name, value] of Object.entries(d.params)) if (typeof value === 'string') restart.searchParams.set(name, value);
    const flow: LoginFlow = { uid: d.uid, clientId: String(d.params.client_id), csrf: randomToken(), restartUrl: restart.pathname + restart.search, completed: [], done: false };
    await flows.save(flow, config.ttl.flow);
    return flow;
  }

  async function postedForm(ctx: Context, flow: LoginFlow): Promise<Record<string, string>> {
    const form = await readForm(ctx, config.maxBodyBytes);
    if (flow.done) throw new GuichetError('form_replayed');
    if (!form.csrf || !safeEqual(form.csrf, flow.csrf)) throw new GuichetError('csrf_failed');
    return form;
  }

  const authContext = (ctx: Context, flow: LoginFlow, account: Account | null): AuthContext => ({
    flowId: flow.uid,
    account,
    now: clock.now(),
    ip: ctx.ip,
    userAgent: ctx.get('user-agent').slice(0, 512),
  });

  async function render(ctx: Context, d: Details, flow: LoginFlow, error?: string): Promise<void> {
    const client = await repos.clients.find(flow.clientId);
    const page = pageContext(ctx, config.defaultLocale, { uiLocales: d.params.ui_locales as string | undefined });
    const step = nextStep(flow, { prompt: d.prompt.name, firstParty: client?.firstParty ?? false });
    const common = { csrf: flow.csrf, clientName: String(client?.metadata.client_name ?? flow.clientId), abortHref: `${base(d.uid)}/abort`, error };
    ctx.type = 'html';
    switch (step) {
      case 'identify':
        ctx.body = identifyPage(page, { ...common, action: `${base(d.uid)}/identify` });
        return;
      case 'password':
        ctx.body = passwordPage(page, { ...common, action: `${base(d.uid)}/password`, identifier: flow.identifier!, restartHref: `${base(d.uid)}/restart` });
        return;
      case 'consent':
        ctx.body = consentPage(page, { ...common, action: `${base(d.uid)}/consent`, scopes: String(d.params.scope ?? 'openid').split(' ') });
        return;
      case 'auto-consent':
        await grantConsent(ctx, d, flow);
        return;
      case 'done':
        throw new GuichetError('form_replayed');
    }
  }

  async function grantConsent(ctx: Context, d: Details, flow: LoginFlow): Promise<void> {
    const accountId = d.session?.accountId;
    if (!accountId) throw new GuichetError('session_expired');
    const grant = d.grantId ? await provider.Grant.find(d.grantId) : new provider.Grant({ accountId, clientId: flow.clientId });
    if (!grant) throw new GuichetError('session_expired');
    const missing = d.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await flows.save({ ...flow, done: true }, config.ttl.flow);
    await repos.audit.record({ action: 'consent.granted', result: 'success', accountId, clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent'), details: { scopes: missing.missingOIDCScope ?? [] } });
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  router.get('/:uid', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    await render(ctx, d, flow);
  });

  router.get('/:uid/restart', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    if (!flow.done) await flows.save({ ...flow, identifier: undefined }, config.ttl.flow);
    ctx.redirect(base(d.uid));
  });

  router.post('/:uid/identify', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    const identifier = requireField(form, 'identifier', 128).trim();
    await flows.save({ ...flow, identifier }, config.ttl.flow);
    ctx.status = 303;
    ctx.redirect(base(d.uid));
  });

  router.post('/:uid/password', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    if (!flow.identifier) throw new GuichetError('missing_field', 'identify first', { field: 'identifier' });
    const password = requireField(form, 'password', 1024);
    const account = await repos.accounts.findByIdentifier({ scheme: 'username', username: flow.identifier });
    const auth = authContext(ctx, flow, account);
    const outcome = await deps.password.verify(auth, { password });
    const audit = { clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent'), accountId: account?.id ?? null, details: { factor: 'password', identifier: flow.identifier } };
    if (outcome.kind !== 'verified') {
      const reason = outcome.kind === 'rejected' ? outcome.reason : 'not_applicable';
      await repos.audit.record({ ...audit, action: 'login.password', result: 'failure', reason });
      logger.info({ event: 'login.failure', factor: 'password', reason, accountId: account?.id, clientId: flow.clientId }, 'login failed');
      const page = pageContext(ctx, config.defaultLocale, { uiLocales: d.params.ui_locales as string | undefined });
      ctx.status = 401;
      await render(ctx, d, flow, page.t('login.failed'));
      return;
    }
    if (account!.status === 'suspended') {
      await repos.audit.record({ ...audit, action: 'login.password', result: 'failure', reason: 'account_suspended' });
      const page = pageContext(ctx, config.defaultLocale, { account: account!.locale });
      ctx.status = 403;
      await render(ctx, d, flow, page.t('login.suspended'));
      return;
    }
    await deps.password.commit(auth, outcome.evidence);
    const completed = [...flow.completed, { authenticator: 'password', factors: deps.password.factors }];
    await flows.save({ ...flow, completed, accountId: account!.id, done: true }, config.ttl.flow);
    await repos.audit.record({ ...audit, action: 'login.password', result: 'success' });
    logger.info({ event: 'login.success', factor: 'password', accountId: account!.id, clientId: flow.clientId }, 'login succeeded');
    const level = levelOf(completed);
    const acr = level === 'sca-phr' ? config.acr.scaPhr : level === 'sca' ? config.acr.sca : config.acr.simple;
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: account!.id, acr, amr: [...deps.password.amr], remember: true, ts: Math.floor(clock.now().getTime() / 1000) } },
      { mergeWithLastSubmission: false },
    );
  });

  router.post('/:uid/consent', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    if (d.prompt.name !== 'consent') throw new GuichetError('bad_request', 'no consent asked');
    if (form.decision === 'allow') {
      await grantConsent(ctx, d, flow);
      return;
    }
    await flows.save({ ...flow, done: true }, config.ttl.flow);
    await repos.audit.record({ action: 'consent.denied', result: 'failure', accountId: d.session?.accountId ?? null, clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') });
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
  });

  router.get('/:uid/abort', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    await flows.save({ ...flow, done: true }, config.ttl.flow);
    await repos.audit.record({ action: 'login.aborted', result: 'failure', clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') });
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'the user cancelled the login' }, { mergeWithLastSubmission: false });
  });

  return router;
}
