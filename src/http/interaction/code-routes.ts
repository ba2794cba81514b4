import type Router from '@koa/router';
import { GuichetError } from '../../errors/codes.js';
import { identifierKey, identifierLabel } from '../../flows/identifier.js';
import { enrolledCodeFactors, verifySecondFactor } from '../../flows/second-factor.js';
import type { InteractionKit } from './interaction-kit.js';

/** The code page: a one-time code from an app, a token or a card reader, as second factor or alone. */
export function codeRoutes(router: Router, kit: InteractionKit): void {
  const { deps, repos, clock, logger, abuse, details, loadFlow, finishUnmet, completeLogin, save, postedForm, enforceRate, page, render, renderBlocked } = kit;
  router.post('/:uid/otp', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    if (!flow.pendingSecond || !flow.identifier) throw new GuichetError('bad_request', 'no second factor is expected here');
    await enforceRate(ctx, flow.identifier);
    const p = page(ctx, d);
    const account = flow.accountId ? await repos.accounts.findById(flow.accountId) : null;
    if (account && flow.firstFactorPassed && !flow.alone && (await enrolledCodeFactors(deps.secondFactor, account.id)).length === 0) {
      await finishUnmet(ctx, flow, account.id);
      return;
    }
    const result = await verifySecondFactor(deps.secondFactor, {
      account,
      firstFactorPassed: flow.firstFactorPassed === true,
      alone: flow.alone === true,
      subject: identifierKey(flow.identifier),
      code: (form.code ?? '').slice(0, 32),
      clientId: flow.clientId,
      auth: { flowId: flow.uid, now: clock.now(), ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) },
    });
    if (result.kind === 'verified' && account) {
      const completed = [...flow.completed, { authenticator: result.factor.id, factors: result.factor.factors }];
      logger.info({ event: 'login.success', factor: result.factor.id, accountId: account.id, clientId: flow.clientId }, 'second factor verified');
      await completeLogin(ctx, d, flow, account.id, completed, [...(flow.sessionAmr ?? []), ...result.factor.amr]);
      return;
    }
    await abuse.recordFailure(ctx.ip, identifierLabel(flow.identifier));
    const stepUp = flow.alone === true || (flow.sessionAmr !== undefined && flow.firstFactorPassed && flow.completed.length > 0 && flow.completed.every((m) => m.authenticator === 'session'));
    if (result.kind === 'blocked') {
      await save({ ...flow, pendingSecond: false, firstFactorPassed: undefined, completed: [], temporarySecretUsed: undefined });
      renderBlocked(ctx, d, result.until);
      return;
    }
    if (stepUp) {
      await render(ctx, d, flow, { status: 401, error: p.t(flow.alone ? 'login.failed.code' : 'login.failed.sca') });
      return;
    }
    // Both factors are asked again: nothing tells which one was wrong.
    const reset = { ...flow, pendingSecond: false, firstFactorPassed: undefined, completed: [], sessionAmr: undefined, temporarySecretUsed: undefined };
    await save(reset);
    await render(ctx, d, reset, { status: 401, error: p.t('login.failed.sca') });
  });
}
