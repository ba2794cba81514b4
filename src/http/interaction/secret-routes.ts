import type Router from '@koa/router';
import type { Context } from 'koa';
import { GuichetError } from '../../errors/codes.js';
import type { LoginFlow } from '../../flows/login-flow.js';
import { verifyFirstFactor, type SimpleFactor } from '../../flows/first-factor.js';
import { identifierLabel } from '../../flows/identifier.js';
import { levelOf } from '../../policy/assurance.js';
import { meets } from '../../policy/step-up.js';
import { enrolledCodeFactors } from '../../flows/second-factor.js';
import { pageContext } from '../page-context.js';
import { loginSettings } from '../login-settings.js';
import type { Details, InteractionKit } from './interaction-kit.js';

/** The simple factor: password or confidential code (with the scrambled keypad). */
export function secretRoutes(router: Router, kit: InteractionKit): void {
  const { deps, config, repos, clock, logger, abuse, captcha, base, details, loadFlow, requirementAt, completeLogin, save, sealDigits, openDigits, postedForm, enforceRate, page, render, renderBlocked } = kit;
  const secretStep = (factor: SimpleFactor) => async (ctx: Context) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    if (!flow.identifier) throw new GuichetError('missing_field', 'identify first', { field: 'identifier' });
    if (flow.actions) throw new GuichetError('bad_request', 'the login only waits for its required actions');
    const client = await repos.clients.find(flow.clientId);
    if (loginSettings(config, client).firstFactor !== factor) throw new GuichetError('bad_request', `${factor} is not this client's method`);
    // The captcha's counters are read beside the rate limits (one round trip); the limits still decide first.
    const needsCaptcha = abuse.captchaRequired(ctx.ip, identifierLabel(flow.identifier));
    needsCaptcha.catch(() => undefined); // awaited below, once the rate allows it
    await enforceRate(ctx, flow.identifier);
    const p = page(ctx, d);
    if (await needsCaptcha) {
      if (!(await captcha.verify(flow.uid, form.captcha ?? ''))) {
        await render(ctx, d, flow, { status: 400, error: p.t('captcha.wrong'), captchaError: p.t('captcha.wrong') });
        return;
      }
    }
    await checkSecret(ctx, d, flow, factor, form[factor] ?? '');
  };

  /** The on-screen keypad: each key names a slot of a layout redrawn at every page, never a digit. */
  router.post('/:uid/pin-keypad', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    const client = await repos.clients.find(flow.clientId);
    const settings = loginSettings(config, client);
    if (!flow.identifier || flow.actions || settings.firstFactor !== 'pin' || !settings.keypad || !flow.keypad) throw new GuichetError('bad_request', 'no keypad here');
    await enforceRate(ctx, flow.identifier);
    if (await abuse.captchaRequired(ctx.ip, identifierLabel(flow.identifier))) throw new GuichetError('bad_request', 'the keypad is not offered while a captcha is required');
    let entered = openDigits(flow.keypad.entered);
    if (form.key === 'erase') entered = entered.slice(0, -1);
    else if (/^\d$/.test(form.key ?? '')) entered += flow.keypad.layout[Number(form.key)] ?? '';
    else throw new GuichetError('bad_request', 'unknown key');
    if (entered.length < config.pinPolicy.length) {
      await save({ ...flow, keypad: { layout: flow.keypad.layout, entered: sealDigits(entered) } });
      ctx.status = 303;
      ctx.redirect(base(d.uid));
      return;
    }
    const cleared = { ...flow, keypad: { layout: flow.keypad.layout, entered: sealDigits('') } };
    await save(cleared);
    await checkSecret(ctx, d, cleared, 'pin', entered);
  });

  async function checkSecret(ctx: Context, d: Details, flow: LoginFlow, factor: SimpleFactor, secret: string): Promise<void> {
    const p = page(ctx, d);
    const label = identifierLabel(flow.identifier!);
    if (secret.length === 0 || secret.length > 1024) {
      await render(ctx, d, flow, { status: 400, error: p.t(factor === 'pin' ? 'login.failed.pin' : 'login.failed') });
      return;
    }
    const result = await verifyFirstFactor(deps.firstFactor, {
      identifier: flow.identifier!,
      factor,
      secret,
      clientId: flow.clientId,
      auth: { flowId: flow.uid, now: clock.now(), ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) },
      // The identifier's failures are forgotten in the same round trip as the lockout's counters.
      onVerified: () => abuse.recordSuccess(label),
    });
    switch (result.kind) {
      case 'failed': {
        await abuse.recordFailure(ctx.ip, label);
        logger.info({ event: 'login.failure', factor, reason: result.reason, accountId: result.accountId, clientId: flow.clientId }, 'login failed');
        const required = await requirementAt(ctx, d, flow, result.accountId);
        if (required.essential && !meets('simple', required.level)) {
          // SCA required: take the second factor before saying anything (PSD2 RTS art. 4(3)(a)).
          await save({ ...flow, pendingSecond: true, firstFactorPassed: false, accountId: result.accountId ?? undefined, required, temporarySecretUsed: undefined });
          ctx.status = 303;
          ctx.redirect(base(d.uid));
          return;
        }
        await render(ctx, d, flow, { status: 401, error: p.t(factor === 'pin' ? 'login.failed.pin' : 'login.failed') });
        return;
      }
      case 'blocked': {
        await abuse.recordFailure(ctx.ip, label);
        logger.info({ event: 'login.blocked', factor, accountId: result.accountId, clientId: flow.clientId }, 'credential blocked');
        renderBlocked(ctx, d, result.until);
        return;
      }
      case 'suspended':
        await render(ctx, d, flow, { status: 403, error: pageContext(ctx, config.defaultLocale, { account: result.account.locale }).t('login.suspended') });
        return;
      case 'verified': {
        const completed = [...flow.completed, { authenticator: factor, factors: result.authenticator.factors }];
        logger.info({ event: 'login.success', factor, accountId: result.account.id, clientId: flow.clientId }, 'first factor verified');
        const required = await requirementAt(ctx, d, flow, result.account.id);
        const temporarySecretUsed = result.temporarySecretUsed || undefined;
        const temporarySecretPurpose = temporarySecretUsed ? result.temporaryPurpose : undefined;
        // A temporary secret never stands in for an enrolled second factor (ASVS 5.0 6.4.3): the code
        // is asked whatever level the client needs.
        if (!meets(levelOf(completed), required.level) || temporarySecretUsed) {
          const enrolled = await enrolledCodeFactors(deps.secondFactor, result.account.id, false, true, kit.allowedMethodsOf(await repos.clients.find(flow.clientId)));
          // When SCA is required the code page comes whatever is enrolled, as it does after a wrong
          // password: the verdict on both factors is given once, on that page.
          if (enrolled.length > 0 || (required.essential && !meets(levelOf(completed), required.level))) {
            await save({ ...flow, completed, accountId: result.account.id, pendingSecond: true, firstFactorPassed: true, required, sessionAmr: result.amr, temporarySecretUsed, temporarySecretPurpose });
            ctx.status = 303;
            ctx.redirect(base(d.uid));
            return;
          }
        }
        await completeLogin(ctx, d, { ...flow, temporarySecretUsed, temporarySecretPurpose }, result.account.id, completed, result.amr, result.credential, result.account);
      }
    }
  }

  router.post('/:uid/password', secretStep('password'));
  router.post('/:uid/pin', secretStep('pin'));
}
