import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Account, Identifier } from '../../domain/account.js';
import { GuichetError } from '../../errors/codes.js';
import type { MessageId } from '../../i18n/messages.js';
import type { LoginFlow } from '../../flows/login-flow.js';
import { identifierLabel } from '../../flows/identifier.js';
import { enrolledCodeFactors } from '../../flows/second-factor.js';
import { levelOf, type CompletedMethod } from '../../policy/assurance.js';
import { meets } from '../../policy/step-up.js';
import { certificateFactors } from '../../authenticators/x509/x509-credential.js';
import { certificateRefusedPage } from '../../../views/certificate.js';
import type { Details, InteractionKit } from './interaction-kit.js';

export type { CertificateDependencies } from './interaction-kit.js';

/** Why a certificate login was refused: the validator's and the mapping's reasons, and none presented. */
type Refusal = 'no_certificate' | 'malformed' | 'untrusted_issuer' | 'expired' | 'not_yet_valid' | 'wrong_usage' | 'revoked' | 'crl_stale' | 'unbound' | 'other_account' | 'credential_blocked' | 'not_enough';

/**
 * Certificate login, `GET /interaction/:uid/certificate`: reached by the link on the identify page
 * (the certificate names its owner: identify and authenticate at once) or on the code page (the
 * second factor, or a step-up). On Guichet's own TLS listener the handshake proved the key
 * (CertificateVerify); behind a trusted proxy its `Client-Cert` header stands for it, and a header
 * from anyone else counts for nothing (ASVS-41). The interaction cookie is host-scoped, so it
 * arrives on the listener's port; oidc-provider's result sends the browser back to the main origin.
 * No form: the handshake is the proof, and the uid in the path with the interaction cookie bind the
 * request to the browser that opened the login, as a POST's CSRF token does elsewhere.
 */
export function certificateRoutes(router: Router, kit: InteractionKit): void {
  const x509 = kit.deps.x509;
  if (!x509) return;
  const { deps, config, repos, clock, logger, abuse, base, details, loadFlow, requirementAt, completeLogin, save, enforceRate, page, renderBlocked, originOf, transactionDetails, allowedMethodsOf, refuseUnlessAllowed } = kit;
  const mainOrigin = (path: string) => new URL(path, config.issuer).href;
  const method: CompletedMethod = { authenticator: 'x509', factors: certificateFactors(x509.settings.pinProtected), phishingResistant: x509.settings.pinProtected };

  /** The way back is the main origin's page of this login, whichever port showed the refusal. */
  function renderRefusal(ctx: Context, d: Details, message: string, status: number): void {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = certificateRefusedPage(page(ctx, d), { message, backHref: mainOrigin(base(d.uid)), abortHref: mainOrigin(`${base(d.uid)}/abort`) });
  }

  async function refuse(ctx: Context, d: Details, flow: LoginFlow, reason: Refusal, audit: { accountId?: string | null; thumbprint?: string; transport?: string }): Promise<void> {
    await repos.audit.record({
      action: 'login.certificate',
      result: 'failure',
      ...originOf(ctx, flow),
      accountId: audit.accountId ?? null,
      reason,
      details: { step: flow.pendingSecond ? 'second' : 'first', ...(audit.thumbprint ? { thumbprint: audit.thumbprint } : {}), ...(audit.transport ? { transport: audit.transport } : {}) },
    });
    await abuse.recordFailure(ctx.ip, flow.identifier ? identifierLabel(flow.identifier) : undefined);
    logger.info({ event: 'login.failure', factor: 'x509', reason, accountId: audit.accountId ?? null, clientId: flow.clientId }, 'certificate refused');
    renderRefusal(ctx, d, page(ctx, d).t(`certificate.reason.${reason}` as MessageId), 401);
  }

  /** A page path the login goes on to is made absolute on the main origin: the listener serves this route only as an entry. */
  function backToMainOrigin(ctx: Context): void {
    const location = ctx.response.get('Location');
    if (!ctx.res.headersSent && ctx.status >= 300 && ctx.status < 400 && location.startsWith('/')) ctx.redirect(mainOrigin(location));
  }

  async function identifierOf(account: Account): Promise<Identifier | null> {
    if (account.username) return { scheme: 'username', username: account.username };
    const subscription = account.subscriptionId ? await repos.subscriptions.findById(account.subscriptionId) : null;
    return subscription && account.userNumber ? { scheme: 'subscription', subscription: subscription.identifier, userNumber: account.userNumber } : null;
  }

  router.get('/:uid/certificate', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    if (flow.done) throw new GuichetError('form_replayed');
    if (flow.actions) throw new GuichetError('bad_request', 'the login only waits for its required actions');
    if (transactionDetails(d)?.length) throw new GuichetError('bad_request', 'a certificate cannot authorise a transaction (no dynamic linking)');
    // Not offered to a client whose policy leaves certificates out; refused (and audited) if reached anyway.
    await refuseUnlessAllowed(ctx, flow, 'x509', 'login.certificate');
    await enforceRate(ctx, flow.identifier);
    const second = flow.pendingSecond === true;
    // On the code page the certificate must be the identified account's: it is looked up for that account only.
    const expected = second && flow.accountId ? await repos.accounts.findById(flow.accountId) : null;
    const presented = await x509.certificates.certificateOf(ctx.req);
    if (presented.kind === 'absent') return refuse(ctx, d, flow, 'no_certificate', { accountId: expected?.id });
    const transport = presented.kind === 'present' ? presented.via : 'header';
    if (second && !expected) return refuse(ctx, d, flow, 'unbound', { transport });
    if (second && flow.completed.some((m) => m.authenticator === 'x509')) throw new GuichetError('bad_request', 'the certificate was already used in this login');

    const auth = { flowId: flow.uid, account: expected, now: clock.now(), ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) };
    const outcome = await x509.authenticator.verify(auth, { certificateDer: presented.kind === 'present' ? presented.der : new Uint8Array() }, undefined);
    if (outcome.kind === 'rejected') return refuse(ctx, d, flow, outcome.detail, { accountId: expected?.id, transport, ...(outcome.thumbprint ? { thumbprint: outcome.thumbprint } : {}) });

    const { evidence } = outcome;
    const account = await repos.accounts.findById(outcome.accountId);
    const identifier = account ? await identifierOf(account) : null;
    if (!account || !identifier) return refuse(ctx, d, flow, 'unbound', { transport, thumbprint: evidence.thumbprint });
    if (account.status === 'suspended') {
      await repos.audit.record({ action: 'login.certificate', result: 'failure', ...originOf(ctx, flow), accountId: account.id, reason: 'account_suspended', details: { thumbprint: evidence.thumbprint, transport } });
      return renderRefusal(ctx, d, page(ctx, d).t('login.suspended'), 403);
    }
    if (account.status === 'blocked') {
      await repos.audit.record({ action: 'login.certificate', result: 'failure', ...originOf(ctx, flow), accountId: account.id, reason: 'account_blocked', details: { thumbprint: evidence.thumbprint, transport } });
      return renderBlocked(ctx, d, null);
    }
    // With SCA required, the first factor's verdict is told only with the second (PSD2 RTS art. 4(3)(a)).
    if (second && !flow.firstFactorPassed) {
      await save({ ...flow, pendingSecond: false, firstFactorPassed: undefined, completed: [], sessionAmr: undefined, temporarySecretUsed: undefined });
      await repos.audit.record({ action: 'login.certificate', result: 'failure', ...originOf(ctx, flow), accountId: account.id, reason: 'first_factor_failed', details: { step: 'second', thumbprint: evidence.thumbprint, transport } });
      return renderRefusal(ctx, d, page(ctx, d).t('login.failed.sca'), 401);
    }

    const completed = [...(second ? flow.completed : []), method];
    const required = second && flow.required ? flow.required : await requirementAt(ctx, d, flow, account.id);
    const short = !meets(levelOf(completed), required.level);
    // A certificate without its PIN proves possession only: a `card` login or a step-up it cannot complete is refused, not lowered.
    if (short && required.essential && (second || flow.alone)) return refuse(ctx, d, flow, 'not_enough', { accountId: account.id, transport, thumbprint: evidence.thumbprint });

    await x509.authenticator.commit(auth, evidence);
    await abuse.recordSuccess(identifierLabel(identifier));
    await repos.audit.record({ action: 'login.certificate', result: 'success', ...originOf(ctx, flow), accountId: account.id, details: { step: second ? 'second' : 'first', thumbprint: evidence.thumbprint, via: evidence.via, transport, amr: evidence.amr } });
    logger.info({ event: 'login.success', factor: 'x509', accountId: account.id, clientId: flow.clientId }, 'certificate verified');

    if (!second && short && ((await enrolledCodeFactors(deps.secondFactor, account.id, false, true, allowedMethodsOf(await repos.clients.find(flow.clientId)))).length > 0 || required.essential)) {
      // Possession only: the code page asks for the other factor, on the main origin.
      await save({ ...flow, identifier, completed, accountId: account.id, pendingSecond: true, firstFactorPassed: true, alone: undefined, required, sessionAmr: evidence.amr });
      ctx.status = 303;
      ctx.redirect(mainOrigin(base(d.uid)));
      return;
    }
    const amr = [...(second ? (flow.sessionAmr ?? []) : []), ...evidence.amr];
    await completeLogin(ctx, d, second ? flow : { ...flow, identifier, alone: undefined, firstFactorPassed: true }, account.id, completed, amr);
    backToMainOrigin(ctx);
  });
}
