import type Router from '@koa/router';
import { GuichetError } from '../../errors/codes.js';
import { identifierKey, identifierLabel } from '../../flows/identifier.js';
import { codeFactorsAmong, outstandingCapRequest, verifySecondFactor } from '../../flows/second-factor.js';
import type { InteractionKit } from './interaction-kit.js';

/**
 * The code page: a one-time code from an app, a token or a card reader, as second factor or alone.
 * When the request authorises something (RFC 9396 details), the proof is bound to it (PSD2 RTS
 * art. 5): the card code is checked against the request recorded for these very details (Sign for a
 * payment, Respond for another operation), and one-time codes approve a payment only if the
 * client's policy allows it. A factor outside the client's allowed methods is never accepted.
 */
export function codeRoutes(router: Router, kit: InteractionKit): void {
  const { deps, repos, clock, logger, abuse, details, loadFlow, finishUnmet, completeLogin, save, postedForm, enforceRate, page, render, renderBlocked, transactionDetails, otpAllowedFor, allowedMethodsOf } = kit;
  router.post('/:uid/otp', async (ctx) => {
    const d = await details(ctx);
    const loaded = await loadFlow(d);
    const form = await postedForm(ctx, loaded);
    const identifier = loaded.identifier;
    if (!loaded.pendingSecond || !identifier) throw new GuichetError('bad_request', 'no second factor is expected here');
    await enforceRate(ctx, identifier);
    const p = page(ctx, d);
    // The details of the interaction being completed, as the server holds them (RTS art. 5(1)(c)).
    const transaction = transactionDetails(d);
    const client = await repos.clients.find(loaded.clientId);
    const otpAllowed = otpAllowedFor(client, transaction);
    // Only the code factors the client's policy allows are tried (`guichet_allowed_methods`).
    const allowed = allowedMethodsOf(client);
    // What the reader was asked for is used once, whatever the outcome (EMV-CAP.md §6.5).
    const cap = outstandingCapRequest(loaded.capRequest, transaction, clock.now());
    const flow = { ...loaded, capRequest: undefined };
    if (loaded.capRequest) await save(flow);
    const account = flow.accountId ? await repos.accounts.findById(flow.accountId) : null;
    // One read of the account's factors serves the checks below and the verification.
    const credentials = account ? await deps.secondFactor.factors.listForAccount<Record<string, unknown>>(account.id) : [];
    if (account && flow.firstFactorPassed && !flow.alone && codeFactorsAmong(deps.secondFactor, credentials, false, otpAllowed, allowed).length === 0) {
      const excluded = codeFactorsAmong(deps.secondFactor, credentials, false, otpAllowed).length > 0;
      await finishUnmet(ctx, flow, account.id, excluded ? 'method_not_allowed' : undefined);
      return;
    }
    const result = await verifySecondFactor(deps.secondFactor, {
      account,
      firstFactorPassed: flow.firstFactorPassed === true,
      alone: flow.alone === true,
      subject: identifierKey(identifier),
      code: (form.code ?? '').slice(0, 32),
      clientId: flow.clientId,
      auth: { flowId: flow.uid, now: clock.now(), ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) },
      cap,
      otpAllowed,
      allowed,
      credentials,
    });
    if (result.kind === 'verified' && account) {
      const completed = [...flow.completed, { authenticator: result.factor.id, factors: result.factor.factors }];
      logger.info({ event: 'login.success', factor: result.factor.id, capMode: result.factor.id === 'emv-cap' ? cap?.mode : undefined, accountId: account.id, clientId: flow.clientId }, 'second factor verified');
      await completeLogin(ctx, d, flow, account.id, completed, [...(flow.sessionAmr ?? []), ...result.factor.amr]);
      return;
    }
    await abuse.recordFailure(ctx.ip, identifierLabel(identifier));
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
