import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Account } from '../../domain/account.js';
import { GuichetError } from '../../errors/codes.js';
import type { LoginFlow } from '../../flows/login-flow.js';
import type { RequiredAction } from '../../flows/required-actions.js';
import { chooseSecurityAnswers, savePersonalData } from '../../flows/registration.js';
import { chooseOwnSecret } from '../../flows/choose-secret.js';
import { pageContext } from '../page-context.js';
import type { WebAuthnFailure } from '../../authenticators/webauthn/webauthn-credential.js';
import type { MessageId } from '../../i18n/messages.js';
import type { Details, InteractionKit } from './interaction-kit.js';

/** Required actions after the last factor: a new secret, and the first-login registration's steps. */
export function actionRoutes(router: Router, kit: InteractionKit): void {
  const { deps, config, repos, base, details, loadFlow, continueLogin, postedForm, enforceRate, render, secretKind, originOf, fieldErrors, registrationDeps, chooseDeps } = kit;
  /** A required action's POST: the usual checks, and only the action the flow waits for. */
  const actionStep = (step: RequiredAction, handle: (ctx: Context, d: Details, flow: LoginFlow, account: Account, form: Record<string, string>) => Promise<void>) => async (ctx: Context) => {
    const d = await details(ctx);
    const flow = await loadFlow(d);
    const form = await postedForm(ctx, flow);
    if (flow.actions?.[0]?.action !== step || !flow.accountId || !flow.identifier) throw new GuichetError('bad_request', `no ${step} step is expected here`);
    await enforceRate(ctx, flow.identifier);
    const account = await repos.accounts.findById(flow.accountId);
    if (!account) throw new GuichetError('session_expired', 'the account is gone');
    if (account.status !== 'active' && account.status !== 'pending_registration') throw new GuichetError('forbidden', 'the account is not active');
    await handle(ctx, d, flow, account, form);
  };

  const pageFor = (ctx: Context, d: Details, account: Account) => pageContext(ctx, config.defaultLocale, { uiLocales: d.params.ui_locales as string | undefined, account: account.locale, here: base(d.uid) });

  router.post(
    '/:uid/new-secret',
    actionStep('new-secret', async (ctx, d, flow, account, form) => {
      const client = await repos.clients.find(flow.clientId);
      const kind = secretKind(client);
      if (!kind) throw new GuichetError('bad_request', 'a card login has no secret to choose');
      const before = await repos.credentials.find(account.id, kind);
      const subscription = account.subscriptionId ? await repos.subscriptions.findById(account.subscriptionId) : null;
      const reason = flow.actions![0]!.reason;
      const result = await chooseOwnSecret(chooseDeps, {
        account,
        kind,
        secret: (form.new_secret ?? '').slice(0, 1024),
        confirmation: (form.confirmation ?? '').slice(0, 1024),
        subscriptionIdentifier: subscription?.identifier ?? null,
        via: reason === 'temporary_secret_used' ? 'temporary_secret' : account.status === 'pending_registration' ? 'registration' : reason,
        ...originOf(ctx, flow),
      });
      if (!result.ok) {
        await repos.audit.record({ action: `credential.${kind}.change_refused`, result: 'failure', actor: `account:${account.id}`, accountId: account.id, ...originOf(ctx, flow), reason: result.problems[0]?.id ?? 'refused', details: { problems: result.problems.map((p) => p.id) } });
        const t = pageFor(ctx, d, account).t;
        await render(ctx, d, flow, { status: 400, fieldErrors: fieldErrors(t, result.problems.map((p) => ({ ...p, field: result.field === 'secret' ? 'new_secret' : 'confirmation' }))) });
        return;
      }
      // The new secret starts with fresh counters: the old generations' store counters go too.
      if (before) await deps.firstFactor.lockout.reset(before);
      await continueLogin(ctx, d, { ...flow, temporarySecretUsed: undefined });
    }),
  );

  router.post(
    '/:uid/security-questions',
    actionStep('security-questions', async (ctx, d, flow, account, form) => {
      const count = config.securityQuestions.count;
      const choices = Array.from({ length: count }, (_, i) => ({ questionId: form[`question_${i + 1}`] ?? '', answer: (form[`answer_${i + 1}`] ?? '').slice(0, 1024) }));
      const result = await chooseSecurityAnswers(registrationDeps, { account, choices, via: 'registration', origin: originOf(ctx, flow) });
      if (!result.ok) {
        await render(ctx, d, flow, { status: 400, fieldErrors: fieldErrors(pageFor(ctx, d, account).t, result.problems), chosenQuestions: choices.map((c) => c.questionId) });
        return;
      }
      await continueLogin(ctx, d, flow);
    }),
  );

  router.post(
    '/:uid/personal-data',
    actionStep('personal-data', async (ctx, d, flow, account, form) => {
      const values = { email: (form.email ?? '').slice(0, 320), emailConfirmation: (form.email_confirmation ?? '').slice(0, 320), familyName: (form.family_name ?? '').slice(0, 400), givenName: (form.given_name ?? '').slice(0, 400), locale: form.locale ?? '' };
      const result = await savePersonalData(registrationDeps, { account, ...values, via: 'registration', origin: originOf(ctx, flow) });
      if (!result.ok) {
        const t = pageFor(ctx, d, account).t;
        await render(ctx, d, flow, { status: 400, fieldErrors: fieldErrors(t, result.problems), personal: { ...values, locale: values.locale === 'en' ? 'en' : values.locale === 'fr' ? 'fr' : account.locale } });
        return;
      }
      await continueLogin(ctx, d, { ...flow, personalDone: true });
    }),
  );

  // ---- enrol-passkey: a first passkey in a session an administrator's temporary code opened (PSD2 RTS art. 24(2)) ----

  const PASSKEY_REFUSAL: Partial<Record<WebAuthnFailure, MessageId>> = {
    already_registered: 'profile.passkeys.already',
    backup_eligible_refused: 'profile.passkeys.synced_refused',
    challenge_expired: 'passkey.expired',
    challenge_reused: 'passkey.expired',
  };
  /** The audit's evidence that the association happened in an administrator-assisted session (PSD2-37). */
  const ASSISTED = { kind: 'webauthn', via: 'admin_temporary_code' } as const;
  const answered = (flow: LoginFlow): LoginFlow => ({ ...flow, passkeyRegistration: undefined, passkeyOfferDone: true });

  router.post(
    '/:uid/enrol-passkey',
    actionStep('enrol-passkey', async (ctx, d, flow, account, form) => {
      const passkeys = deps.passkeys;
      if (!passkeys) throw new GuichetError('bad_request', 'passkeys are not enabled');
      const audit = { action: 'factor.enrol', actor: `account:${account.id}`, accountId: account.id, ...originOf(ctx, flow) };
      const expected = flow.passkeyRegistration;
      const t = pageFor(ctx, d, account).t;
      if (!expected) {
        await render(ctx, d, flow, { status: 400, error: t('passkey.expired') });
        return;
      }
      const label = (form.label ?? '').trim().slice(0, 64) || null;
      const outcome = await passkeys.enrolment.finishRegistration(account.id, form.response ?? '', expected, { label });
      if (outcome.kind !== 'enrolled') {
        await repos.audit.record({ ...audit, result: 'failure', reason: outcome.detail, details: ASSISTED });
        await render(ctx, d, { ...flow, passkeyRegistration: undefined }, { status: 400, error: t(PASSKEY_REFUSAL[outcome.detail] ?? 'passkey.enrol.failed') });
        return;
      }
      await repos.audit.record({ ...audit, result: 'success', details: { ...ASSISTED, credentialId: outcome.credential.id, backupEligible: outcome.credential.backupEligible } });
      await continueLogin(ctx, d, answered(flow));
    }),
  );

  router.post(
    '/:uid/enrol-passkey/skip',
    actionStep('enrol-passkey', async (ctx, d, flow, account) => {
      await repos.audit.record({ action: 'factor.enrol_declined', result: 'success', actor: `account:${account.id}`, accountId: account.id, ...originOf(ctx, flow), details: ASSISTED });
      await continueLogin(ctx, d, answered(flow));
    }),
  );
}
