import type Router from '@koa/router';
import { GuichetError } from '../../errors/codes.js';
import { parseIdentifier } from '../../flows/identifier.js';
import { forgotIdentifierPage } from '../../../views/login.js';
import { loginSettings } from '../login-settings.js';
import { REMEMBER_COOKIE, type InteractionKit } from './interaction-kit.js';

/** The first page of a login, its identifier form, "start again", and the forgotten identifier. */
export function identifyRoutes(router: Router, kit: InteractionKit): void {
  const { deps, config, repos, abuse, captcha, base, secure, details, loadFlow, requirementAt, save, postedForm, enforceRate, page, render } = kit;
  router.get('/:uid', async (ctx) => {
    const d = await details(ctx);
    await render(ctx, d, await loadFlow(d));
  });

  router.get('/:uid/restart', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    if (!flow.done) await save({ ...flow, identifier: undefined, pendingSecond: false, firstFactorPassed: undefined, alone: undefined, accountId: undefined, completed: [], sessionAmr: undefined, keypad: undefined, temporarySecretUsed: undefined, actions: undefined, loginAmr: undefined, personalDone: undefined, temporarySecretPurpose: undefined, passkeyOfferDone: undefined, passkeyRegistration: undefined, passkey: undefined, capRequest: undefined });
    ctx.redirect(base(d.uid));
  });

  router.get('/:uid/forget-identifier', async (ctx) => {
    const d = await details(ctx);
    ctx.cookies.set(REMEMBER_COOKIE, null, { signed: true });
    ctx.redirect(base(d.uid));
  });

  router.post('/:uid/identify', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    if (flow.actions) throw new GuichetError('bad_request', 'the login only waits for its required actions');
    await enforceRate(ctx);
    const client = await repos.clients.find(flow.clientId);
    const parsed = parseIdentifier(form, loginSettings(config, client).schemes);
    if ('missing' in parsed) {
      await render(ctx, d, flow, { status: 400, error: page(ctx, d).t('identify.missing'), invalidField: parsed.missing });
      return;
    }
    if (form.remember === '1') {
      ctx.cookies.set(REMEMBER_COOKIE, Buffer.from(JSON.stringify(parsed)).toString('base64url'), { signed: true, httpOnly: true, sameSite: 'lax', secure, maxAge: config.login.rememberIdentifierDays * 86400 * 1000, overwrite: true });
    } else if (ctx.cookies.get(REMEMBER_COOKIE)) {
      // Forgotten only when the browser holds one: no signed deletion headers on every login.
      ctx.cookies.set(REMEMBER_COOKIE, null, { signed: true });
    }
    const settings = loginSettings(config, client);
    if (settings.firstFactor === 'card') {
      // The card reader's code is the whole proof: straight to the code page, known account or not.
      const account = await repos.accounts.findByIdentifier(parsed);
      const required = await requirementAt(ctx, d, flow, account?.status === 'active' ? account.id : null);
      await save({ ...flow, identifier: parsed, accountId: account?.status === 'active' ? account.id : undefined, pendingSecond: true, firstFactorPassed: true, alone: true, required });
    } else {
      await save({ ...flow, identifier: parsed });
    }
    ctx.status = 303;
    ctx.redirect(base(d.uid));
  });

  router.get('/:uid/forgot-identifier', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const needsCaptcha = await abuse.captchaRequired(ctx.ip, undefined);
    ctx.type = 'html';
    ctx.body = forgotIdentifierPage(page(ctx, d), {
      action: `${base(d.uid)}/forgot-identifier`,
      csrf: flow.csrf,
      backHref: base(d.uid),
      captcha: needsCaptcha ? { svg: await captcha.issue(`${flow.uid}:forgot`), newHref: `${base(d.uid)}/forgot-identifier` } : undefined,
    });
  });

  router.post('/:uid/forgot-identifier', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    await enforceRate(ctx);
    const p = page(ctx, d);
    const view = { action: `${base(d.uid)}/forgot-identifier`, csrf: flow.csrf, backHref: base(d.uid) };
    if (await abuse.captchaRequired(ctx.ip, undefined)) {
      if (!(await captcha.verify(`${flow.uid}:forgot`, form.captcha ?? ''))) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = forgotIdentifierPage(p, { ...view, error: p.t('captcha.wrong'), captcha: { svg: await captcha.issue(`${flow.uid}:forgot`), error: p.t('captcha.wrong'), newHref: view.action } });
        return;
      }
    }
    const email = (form.email ?? '').trim();
    if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(email)) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = forgotIdentifierPage(p, { ...view, error: p.t('forgot.invalid') });
      return;
    }
    // Every address costs the same: the lookup and mail run after the answer is sent.
    await abuse.recordFailure(ctx.ip, undefined);
    deps.forgotIdentifier.request(email, { ip: ctx.ip, userAgent: ctx.get('user-agent'), clientId: flow.clientId });
    ctx.type = 'html';
    ctx.body = forgotIdentifierPage(p, { ...view, sent: true });
  });
}
