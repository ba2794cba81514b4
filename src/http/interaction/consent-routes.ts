import type Router from '@koa/router';
import { GuichetError } from '../../errors/codes.js';
import type { InteractionKit } from './interaction-kit.js';

/** Consent for third-party clients, and cancelling a login. */
export function consentRoutes(router: Router, kit: InteractionKit): void {
  const { provider, repos, details, loadFlow, save, postedForm, grantConsent } = kit;
  router.post('/:uid/consent', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    if (d.prompt.name !== 'consent') throw new GuichetError('bad_request', 'no consent asked');
    if (form.decision === 'allow') {
      await grantConsent(ctx, d, flow);
      return;
    }
    await save({ ...flow, done: true });
    await repos.audit.record({ action: 'consent.denied', result: 'failure', accountId: d.session?.accountId ?? null, clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') });
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
  });

  router.get('/:uid/abort', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    await save({ ...flow, done: true });
    await repos.audit.record({ action: 'login.aborted', result: 'failure', clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent') });
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'the user cancelled the login' }, { mergeWithLastSubmission: false });
  });
}
