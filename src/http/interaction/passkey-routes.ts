import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Account, Identifier } from '../../domain/account.js';
import type { FactorCredential } from '../../domain/credential.js';
import { GuichetError } from '../../errors/codes.js';
import type { LoginFlow } from '../../flows/login-flow.js';
import { enrolledCodeFactors } from '../../flows/second-factor.js';
import { identifierLabel } from '../../flows/identifier.js';
import { levelOf, type CompletedMethod } from '../../policy/assurance.js';
import { meets } from '../../policy/step-up.js';
import type { TransactionDetails } from '../../authenticators/webauthn/transaction-challenge.js';
import type { Passkeys } from '../../authenticators/webauthn/passkeys.js';
import type { WebAuthnData, WebAuthnEvidence } from '../../authenticators/webauthn/webauthn-credential.js';
import { authorizationDetailsOf } from '../../oidc/authorization-details-param.js';
import { isSessionStepUp, type Details, type InteractionKit } from './interaction-kit.js';

/**
 * The method a verified assertion completes (levelOf). A device-bound passkey with user verification
 * is possession plus the verification (EBA-06) and phishing resistant (N3-19): `sca-phr` by itself.
 * A synced one is SCA without the phishing-resistant level (N4-02), or, where the profile refuses it
 * for SCA (G-14, RTS art. 7(2)), only its user verification: a simple login.
 */
export function passkeyMethod(evidence: Pick<WebAuthnEvidence, 'backupEligible'>, acceptBackupEligible: boolean): CompletedMethod {
  if (!evidence.backupEligible) return { authenticator: 'webauthn', factors: ['possession', 'knowledge'], phishingResistant: true };
  if (acceptBackupEligible) return { authenticator: 'webauthn', factors: ['possession', 'knowledge'] };
  return { authenticator: 'webauthn', factors: ['knowledge'] };
}

/** What the challenge commits to: the request's authorization details (RFC 9396), as Guichet parsed them. */
export const transactionOf = (d: Details): TransactionDetails | null => {
  const details = authorizationDetailsOf(d.params as Record<string, unknown>);
  return details ? ({ authorization_details: details } as unknown as TransactionDetails) : null;
};

type Attempt = { kind: 'verified'; account: Account; evidence: WebAuthnEvidence } | { kind: 'failed'; reason: string } | { kind: 'blocked'; until: Date | null };

/**
 * Passkeys on the login pages: `passkey-start` (identify page: usernameless; code page: instead of
 * the code), the `passkey` page whose script runs the ceremony, and its verification. The challenge
 * is single use (taken out of the flow, and spent in the store by the factor), lives
 * `webauthn.timeoutSeconds`, and is derived from the authorization details when the request has
 * some (PSD2 RTS art. 5). Failures count on the credential named through the shared lockout.
 */
export function passkeyRoutes(router: Router, kit: InteractionKit): void {
  const passkeys = kit.deps.passkeys;
  if (!passkeys) return;
  const { deps, repos, clock, logger, abuse, base, details, loadFlow, requirementAt, completeLogin, save, postedForm, enforceRate, page, render, renderBlocked } = kit;
  const lockout = deps.secondFactor.lockout;

  router.post('/:uid/passkey', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    await postedForm(ctx, flow);
    if (flow.actions) throw new GuichetError('bad_request', 'the login only waits for its required actions');
    const purpose = flow.pendingSecond && !flow.alone ? 'second' : !flow.identifier && !flow.pendingSecond ? 'login' : null;
    if (!purpose) throw new GuichetError('bad_request', 'no passkey is expected here');
    await kit.refuseUnlessAllowed(ctx, flow, 'webauthn', 'login.passkey');
    await enforceRate(ctx, flow.identifier);
    // On a step-up the browser is told which passkeys are the account's; on an SCA login the request
    // stays discoverable, so that the page says nothing about the account before the verdict.
    const stepUp = purpose === 'second' && isSessionStepUp(flow);
    const account = stepUp && flow.accountId ? await repos.accounts.findById(flow.accountId) : null;
    const { options, state } = await passkeys.authenticator.beginAuthentication({ account, transaction: transactionOf(d), deviceBoundOnly: !passkeys.acceptBackupEligible });
    await save({ ...flow, passkey: { purpose, options: options as unknown as Record<string, unknown>, state } });
    ctx.status = 303;
    ctx.redirect(base(d.uid));
  });

  router.get('/:uid/passkey/cancel', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    if (flow.passkey && !flow.done) await save({ ...flow, passkey: undefined });
    ctx.redirect(base(d.uid));
  });

  router.post('/:uid/passkey/verify', async (ctx) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    const ceremony = flow.passkey;
    if (!ceremony) throw new GuichetError('bad_request', 'no passkey ceremony is under way');
    await enforceRate(ctx, flow.identifier);
    // The challenge leaves the flow now, whatever the outcome: one assertion per challenge (WA-02).
    const left: LoginFlow = { ...flow, passkey: undefined };
    await save(left);
    const p = page(ctx, d);
    const expectedAccount = ceremony.purpose === 'second' ? (flow.accountId ?? null) : undefined;
    const result = await attempt(ctx, d, left, ceremony.purpose, ceremony.state, form.response ?? '', expectedAccount);

    if (result.kind === 'blocked') {
      await save({ ...left, pendingSecond: false, firstFactorPassed: undefined, completed: [], temporarySecretUsed: undefined });
      renderBlocked(ctx, d, result.until);
      return;
    }
    if (ceremony.purpose === 'login') return finishUsernameless(ctx, d, left, result);
    return finishSecond(ctx, d, left, result, p.t('passkey.failed'));
  });

  /** One assertion: lockout gate on the credential it names, verification, audit, lockout outcome. */
  async function attempt(ctx: Context, d: Details, flow: LoginFlow, purpose: 'login' | 'second', state: NonNullable<LoginFlow['passkey']>['state'], response: string, expectedAccount: string | null | undefined): Promise<Attempt> {
    const audit = { action: 'login.passkey', clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) };
    const parsed = passkeys!.authenticator.input.safeParse({ credential: response });
    if (!parsed.success) {
      await abuse.recordFailure(ctx.ip, flow.identifier ? identifierLabel(flow.identifier) : undefined);
      await repos.audit.record({ ...audit, result: 'failure', accountId: expectedAccount ?? null, reason: 'invalid_response', details: { purpose } });
      return { kind: 'failed', reason: 'invalid_response' };
    }
    const credential = parsed.data.credential;
    const named = await repos.factors.findByLookup<WebAuthnData>('webauthn', credential.id);
    // Failures count on the passkey the response names; on a second factor, on the account's first one otherwise.
    const guard: FactorCredential<WebAuthnData> | null =
      named && (expectedAccount === undefined || named.accountId === expectedAccount) ? named : expectedAccount ? ((await repos.factors.listForAccount<WebAuthnData>(expectedAccount, 'webauthn'))[0] ?? null) : null;
    const accountId = guard?.accountId ?? expectedAccount ?? null;
    const gate = guard ? await lockout.gate(guard) : null;
    if (gate?.kind === 'blocked') {
      await repos.audit.record({ ...audit, result: 'failure', accountId, reason: 'credential_blocked', details: { purpose, credentialId: guard!.id } });
      return { kind: 'blocked', until: gate.until };
    }
    const account = expectedAccount ? await repos.accounts.findById(expectedAccount) : null;
    const outcome = await passkeys!.authenticator.verifyAssertion(
      { flowId: flow.uid, account, now: clock.now(), ip: ctx.ip, userAgent: audit.userAgent },
      credential,
      state,
      transactionOf(d),
    );
    const owner = outcome.kind === 'verified' ? await repos.accounts.findById(outcome.accountId) : null;
    // A second factor must be the identified account's own passkey, and an unknown identifier has none.
    const wrongOwner = outcome.kind === 'verified' && (expectedAccount === null || (expectedAccount !== undefined && outcome.accountId !== expectedAccount));
    if (outcome.kind === 'verified' && owner && owner.status === 'active' && !wrongOwner) {
      if (guard) await lockout.reset(guard);
      await passkeys!.authenticator.commit({ flowId: flow.uid, account: owner, now: clock.now(), ip: ctx.ip, userAgent: audit.userAgent }, outcome.evidence);
      await repos.audit.record({
        ...audit,
        result: 'success',
        accountId: owner.id,
        details: { purpose, credentialId: outcome.evidence.credentialId, backupEligible: outcome.evidence.backupEligible, transactionHash: outcome.evidence.transactionHash },
      });
      return { kind: 'verified', account: owner, evidence: outcome.evidence };
    }
    const reason = outcome.kind === 'rejected' ? outcome.detail : wrongOwner ? 'other_account' : 'account_not_active';
    await abuse.recordFailure(ctx.ip, flow.identifier ? identifierLabel(flow.identifier) : undefined);
    if (guard && gate?.kind === 'proceed') {
      const failure = await lockout.recordFailure(guard, gate.attempt);
      if (failure.blocked) {
        await repos.audit.record({ ...audit, result: 'failure', accountId, reason, details: { purpose, credentialId: guard.id, blocked: true } });
        return { kind: 'blocked', until: failure.until };
      }
    }
    // counter_regression (a cloned authenticator, WebAuthn L2 §6.1.1) is audited under its own reason.
    if (reason === 'counter_regression') logger.warn({ event: 'passkey.counter_regression', accountId, credentialId: guard?.id ?? null }, 'passkey signature counter went backwards');
    await repos.audit.record({ ...audit, result: 'failure', accountId, reason, details: { purpose, ...(guard ? { credentialId: guard.id } : {}) } });
    return { kind: 'failed', reason };
  }

  /** The passkey alone: SCA when it proves two classes, else the code page follows as for a password. */
  async function finishUsernameless(ctx: Context, d: Details, flow: LoginFlow, result: Attempt): Promise<void> {
    const p = page(ctx, d);
    if (result.kind !== 'verified') {
      await render(ctx, d, flow, { status: 401, error: p.t(result.kind === 'failed' && (result.reason === 'challenge_reused' || result.reason === 'challenge_expired') ? 'passkey.expired' : 'passkey.failed') });
      return;
    }
    const { account, evidence } = result;
    const identifier = await identifierOf(account);
    const completed = [passkeyMethod(evidence, passkeys!.acceptBackupEligible)];
    const required = await requirementAt(ctx, d, flow, account.id);
    logger.info({ event: 'login.success', factor: 'webauthn', accountId: account.id, clientId: flow.clientId }, 'passkey verified');
    if (!meets(levelOf(completed), required.level) && identifier && (required.essential || (await enrolledCodeFactors(deps.secondFactor, account.id, false, true, kit.allowedMethodsOf(await repos.clients.find(flow.clientId)))).length > 0)) {
      await save({ ...flow, identifier, accountId: account.id, completed, pendingSecond: true, firstFactorPassed: true, required, sessionAmr: evidence.amr });
      ctx.status = 303;
      ctx.redirect(base(d.uid));
      return;
    }
    await completeLogin(ctx, d, { ...flow, identifier: identifier ?? undefined }, account.id, completed, evidence.amr);
  }

  /** Instead of the code: the same single verdict on both factors (PSD2 RTS art. 4(3)(a)) as the code page. */
  async function finishSecond(ctx: Context, d: Details, flow: LoginFlow, result: Attempt, failed: string): Promise<void> {
    const p = page(ctx, d);
    const stepUp = isSessionStepUp(flow);
    if (result.kind === 'verified' && flow.firstFactorPassed) {
      const method = passkeyMethod(result.evidence, passkeys!.acceptBackupEligible);
      const completed = [...flow.completed, method];
      if (!meets(levelOf(completed), flow.required?.level ?? 'sca')) {
        // A synced passkey where the profile refuses it for SCA: nothing was wrong, but it is not enough.
        await render(ctx, d, flow, { status: 401, error: p.t('passkey.not_sca') });
        return;
      }
      logger.info({ event: 'login.success', factor: 'webauthn', accountId: result.account.id, clientId: flow.clientId }, 'passkey verified');
      await completeLogin(ctx, d, flow, result.account.id, completed, [...(flow.sessionAmr ?? []), ...result.evidence.amr]);
      return;
    }
    if (stepUp) {
      await render(ctx, d, flow, { status: 401, error: failed });
      return;
    }
    // Both factors are asked again: nothing tells which one was wrong.
    const reset: LoginFlow = { ...flow, pendingSecond: false, firstFactorPassed: undefined, completed: [], sessionAmr: undefined, temporarySecretUsed: undefined };
    await save(reset);
    await render(ctx, d, reset, { status: 401, error: p.t('login.failed.sca') });
  }

  async function identifierOf(account: Account): Promise<Identifier | null> {
    if (account.username) return { scheme: 'username', username: account.username };
    if (account.subscriptionId && account.userNumber) {
      const subscription = await repos.subscriptions.findById(account.subscriptionId);
      if (subscription) return { scheme: 'subscription', subscription: subscription.identifier, userNumber: account.userNumber };
    }
    return null;
  }
}
