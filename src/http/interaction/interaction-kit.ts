import { randomInt } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors as oidcErrors } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Account, Identifier } from '../../domain/account.js';
import type { SecretCredential } from '../../domain/credential.js';
import type { Repositories } from '../../domain/ports.js';
import type { ClientRecord } from '../../domain/client.js';
import { GuichetError } from '../../errors/codes.js';
import type { Clock } from '../../lib/clock.js';
import type { SecretBox } from '../../lib/encryption.js';
import { safeEqual } from '../../lib/constant-time.js';
import { randomToken } from '../../lib/random.js';
import { nextStep, type LoginFlow } from '../../flows/login-flow.js';
import { findDueActions, type RequiredAction } from '../../flows/required-actions.js';
import { completeRegistration, questionCatalogue, type FieldProblem, type RequestOrigin } from '../../flows/registration.js';
import { questionText } from '../../policy/security-questions.js';
import type { FlowStore } from '../../flows/flow-store.js';
import type { FirstFactorDependencies, SimpleFactor } from '../../flows/first-factor.js';
import { identifierLabel, isIdentifier } from '../../flows/identifier.js';
import type { ForgotIdentifier } from '../../flows/forgot-identifier.js';
import { levelOf, type CompletedMethod } from '../../policy/assurance.js';
import { acrOf, meets, requiredLevel, type Requirement } from '../../policy/step-up.js';
import type { SecondFactorDependencies } from '../../flows/second-factor.js';
import type { AbuseGuard } from '../../policy/abuse-guard.js';
import type { Captcha } from '../../policy/captcha.js';
import { describePasswordRules, describePinRules } from '../../policy/secret-policy.js';
import type { MessageId, Translate } from '../../i18n/messages.js';
import { blockedPage, codePage, consentPage, identifyPage, secretPage, type CapView, type TransactionView } from '../../../views/login.js';
import { authorizationDetailsOf } from '../../oidc/authorization-details-param.js';
import { otpMayAuthorise, outstandingCapRequest, planCapRequest } from '../../flows/second-factor.js';
import { knownOperation, type AuthorizationDetail } from '../../policy/authorization-details.js';
import { newSecretPage, personalDataPage, securityQuestionsPage, type FieldErrors, type PersonalDataView } from '../../../views/setup.js';
import { readForm } from '../read-form.js';
import { pageContext } from '../page-context.js';
import { loginSettings } from '../login-settings.js';
import type { X509Settings } from '../../authenticators/x509/x509-settings.js';
import type { TrustSource } from '../../authenticators/x509/trust-store.js';
import type { X509Authenticator } from '../../authenticators/x509/x509-authenticator.js';
import type { X509Enrolment } from '../../authenticators/x509/enrolment.js';
import type { ClientCertificateSource } from '../../authenticators/x509/client-certificate-source.js';
import type { ScaState } from '../../policy/sca-state.js';
import { decideSca } from '../../policy/sca-rules.js';
import { scaPolicyOf } from '../../policy/client-policy.js';
import type { MethodId } from '../../config/profiles.js';
import { ensureDeviceId } from '../device-cookie.js';
import type { Passkeys } from '../../authenticators/webauthn/passkeys.js';
import { enrolPasskeyPage, passkeyEntry, passkeyPage } from '../../../views/passkey.js';


export interface InteractionDependencies {
  provider: Provider;
  config: Readonly<Config>;
  repos: Repositories;
  flows: FlowStore;
  firstFactor: FirstFactorDependencies;
  secondFactor: SecondFactorDependencies;
  abuse: AbuseGuard;
  captcha: Captcha;
  forgotIdentifier: ForgotIdentifier;
  clock: Clock;
  logger: Logger;
  /** Seals the keypad digits typed so far: a partial code never rests in the store in clear. */
  box: SecretBox;
  /** When each account last completed SCA, its known devices, the idle timer after SCA. */
  scaState: ScaState;
  /** X.509 client certificates, when `x509.enabled` (certificate-routes.ts). */
  x509?: CertificateDependencies | undefined;
  /** Passkeys, when `webauthn.enabled` (passkey-routes.ts). */
  passkeys?: Passkeys | null | undefined;
}

/** Certificate login's parts, built by the composition root (src/container.ts). */
export interface CertificateDependencies {
  settings: X509Settings;
  trust: TrustSource;
  authenticator: X509Authenticator;
  enrolment: X509Enrolment;
  certificates: ClientCertificateSource;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

export const REMEMBER_COOKIE = 'guichet_remember';

/** A uniformly random order of the ten digits (Fisher–Yates on a CSPRNG). */
function shuffledDigits(): string {
  const digits = '0123456789'.split('');
  for (let i = digits.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [digits[i], digits[j]] = [digits[j]!, digits[i]!];
  }
  return digits.join('');
}

/**
 * What every interaction route shares: the interaction and its flow, the checks every POST makes,
 * the page for the flow's next step, and the ways a login ends. Each group of steps has its own
 * routes file beside this one (src/http/interaction/*-routes.ts).
 */
export function createInteractionKit(deps: InteractionDependencies) {
  const { provider, config, repos, flows, clock, logger, abuse, captcha } = deps;
  const base = (uid: string) => `/interaction/${uid}`;
  const secure = new URL(config.issuer).protocol === 'https:';
  /**
   * Where "sign in with my certificate" leads: Guichet's TLS listener (the issuer's host, its own
   * port: the interaction cookies are host-scoped, so they arrive there), else this origin when a
   * trusted proxy forwards the certificate; nowhere when neither is configured.
   */
  const certificateHref = (uid: string, client: ClientRecord | null): string | undefined => {
    const x509 = deps.x509?.settings;
    if (!x509 || !allowedMethodsOf(client).includes('x509')) return undefined;
    if (x509.tls.port > 0) return `https://${new URL(config.issuer).hostname}:${x509.tls.port}${base(uid)}/certificate`;
    return x509.trustedProxies.length > 0 ? `${base(uid)}/certificate` : undefined;
  };

  /** The flow read alongside the interaction (one round trip fewer per step), for loadFlow. */
  const preloaded = new WeakMap<Details, Promise<LoginFlow | null>>();

  async function details(ctx: Context): Promise<Details> {
    const uid = String(ctx.params.uid ?? '');
    const flow = flows.load(uid);
    flow.catch(() => undefined); // awaited below or by loadFlow; an outage surfaces there
    try {
      const found = await provider.interactionDetails(ctx.req, ctx.res);
      if (found.uid !== uid) throw new oidcErrors.SessionNotFound('interaction mismatch');
      preloaded.set(found, flow);
      return found;
    } catch (e) {
      if (e instanceof oidcErrors.SessionNotFound) {
        const expired = await flow;
        throw new GuichetError('session_expired', 'interaction expired', expired ? { restart: expired.restartUrl } : {});
      }
      throw e;
    }
  }

  async function loadFlow(d: Details): Promise<LoginFlow> {
    const early = preloaded.get(d);
    preloaded.delete(d); // a second call in the same request reads the store again (it may have changed)
    const existing = await (early ?? flows.load(d.uid));
    if (existing) return existing;
    const restart = new URL('/auth', config.issuer);
    for (const [name, value] of Object.entries(d.params)) if (typeof value === 'string') restart.searchParams.set(name, value);
    const flow: LoginFlow = { uid: d.uid, clientId: String(d.params.client_id), csrf: randomToken(), restartUrl: restart.pathname + restart.search, completed: [], done: false };
    const stepUp = await stepUpFromSession(d, flow);
    await flows.save(stepUp ?? flow, config.ttl.flow);
    return stepUp ?? flow;
  }

  /**
   * A session that is only short of level (no other reason to log in again) keeps its first factor:
   * the flow starts at the second one (STYLE.md flow model, reason `level_below_requested`).
   */
  async function stepUpFromSession(d: Details, flow: LoginFlow): Promise<LoginFlow | null> {
    const accountId = d.session?.accountId;
    const reasons = d.prompt.reasons ?? [];
    if (!accountId || d.prompt.name !== 'login' || reasons.length === 0 || reasons.some((r) => r !== 'level_below_requested' && r !== 'essential_acr' && r !== 'essential_acrs')) return null;
    const account = await repos.accounts.findById(accountId);
    if (!account || account.status !== 'active') return null;
    const identifier: Identifier | null = account.username
      ? { scheme: 'username', username: account.username }
      : account.subscriptionId && account.userNumber
        ? { scheme: 'subscription', subscription: (await repos.subscriptions.findById(account.subscriptionId))?.identifier ?? '', userNumber: account.userNumber }
        : null;
    if (!identifier) return null;
    const sessionAmr = (d.session as { amr?: string[] } | undefined)?.amr ?? [];
    const required = await requirementFor(d, flow.clientId);
    return { ...flow, identifier, accountId, completed: methodsFromAmr(sessionAmr), sessionAmr, pendingSecond: true, firstFactorPassed: true, required: { ...required, reason: 'level_below_requested' } };
  }

  async function requirementFor(d: Details, clientId: string): Promise<Requirement> {
    const client = await repos.clients.find(clientId);
    const minimum = (client?.metadata.guichet_minimum_level as Requirement['level'] | undefined) ?? config.sca.defaultMinimumLevel;
    let essentialAcrs: string[] | undefined;
    try {
      const claims = typeof d.params.claims === 'string' ? (JSON.parse(d.params.claims) as { id_token?: { acr?: { essential?: boolean; value?: string; values?: string[] } } }) : undefined;
      const acr = claims?.id_token?.acr;
      if (acr?.essential) essentialAcrs = acr.values ?? (acr.value ? [acr.value] : undefined);
    } catch {
      essentialAcrs = undefined;
    }
    return requiredLevel({ acrValues: d.params.acr_values as string | undefined, essentialAcrs, clientMinimum: minimum, authorizationDetails: authorizationDetailsOf(d.params as Record<string, unknown>) }, config.acr);
  }

  /** The idle timer of SCA runs per account and device (the device cookie names the browser). */
  const idleKey = (accountId: string, deviceId: string) => `${accountId}:${deviceId}`;

  /**
   * What this request needs once the client's SCA policy is applied (src/policy/sca-rules.ts): the
   * periodic rule and the new-device rule raise any access to SCA. With no account known yet (a
   * wrong identifier) the facts are those of a device never seen, so an unknown identifier and an
   * existing one look alike to anyone but the device's owner.
   */
  async function requirementAt(ctx: Context, d: Details, flow: LoginFlow, accountId: string | null | undefined): Promise<NonNullable<LoginFlow['required']>> {
    const asked = await requirementFor(d, flow.clientId);
    const client = await repos.clients.find(flow.clientId);
    const policy = scaPolicyOf(config, client?.metadata);
    // The device cookie only where the new-device rule reads it (an SCA sets it anyway, finishLogin);
    // the policy is the client's, so known and unknown identifiers still get the same headers.
    const deviceId = policy.newDevice ? ensureDeviceId(ctx, secure, config.sca.deviceCookieDays) : null;
    // Only what the policy's rules look at is read (a `basic` client costs no store round trip).
    const facts = accountId
      ? {
          lastScaAt: policy.periodDays !== null ? await deps.scaState.lastScaAt(accountId) : null,
          deviceKnown: deviceId !== null ? await deps.scaState.deviceKnown(accountId, deviceId) : true,
          scaStillActive: false,
        }
      : { lastScaAt: null, deviceKnown: false, scaStillActive: false };
    const decision = decideSca(asked, policy, facts, clock.now());
    // A session sent back by the provider's idle check says so on the page (the rule is its reason).
    const idle = (d.prompt.reasons ?? []).includes('idle_after_sca') && meets('sca', decision.level) ? 'idle_after_sca' : undefined;
    const reason = idle ?? decision.reasons.find((r) => r !== 'client_minimum' && r !== asked.reason) ?? decision.reasons[0] ?? 'none';
    if (decision.reasons.some((r) => r === 'sca_period_elapsed' || r === 'new_device')) logger.info({ event: 'sca.required', reasons: decision.reasons, accountId: accountId ?? null, clientId: flow.clientId }, 'SCA required by policy');
    return { level: decision.level, essential: decision.essential, reason };
  }

  /**
   * No enrolled method reaches an essential level: the client hears it, never a lower `acr` (OIDC Core
   * §5.5.1.1). `method_not_allowed`: the account has one, but the client's policy does not allow it.
   */
  async function finishUnmet(ctx: Context, flow: LoginFlow, accountId: string, reason: 'no_strong_factor_enrolled' | 'method_not_allowed' = 'no_strong_factor_enrolled'): Promise<void> {
    await save({ ...flow, done: true, pendingSecond: false });
    await repos.audit.record({ action: 'login.unmet_requirements', result: 'failure', accountId, clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason, details: { required: flow.required?.level ?? null } });
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'unmet_authentication_requirements', error_description: 'no enrolled method reaches the requested level' }, { mergeWithLastSubmission: false });
  }

  /** Ends the login with the level and methods actually completed (RFC 8176 amr, `mfa` when more than one factor). */
  async function finishLogin(ctx: Context, d: Details, flow: LoginFlow, accountId: string, completed: CompletedMethod[], amr: string[]): Promise<void> {
    // Written first, awaited with the interaction's result below: both writes share one round trip.
    const flowSaved = save({ ...flow, completed, accountId, done: true, pendingSecond: false });
    flowSaved.catch(() => undefined); // awaited below; an outage surfaces there
    const level = levelOf(completed);
    if (level === 'sca' || level === 'sca-phr') {
      // The period restarts, this device becomes known for the account, the idle timer starts.
      const client = await repos.clients.find(flow.clientId);
      const deviceId = ensureDeviceId(ctx, secure, config.sca.deviceCookieDays);
      await deps.scaState.recordSca({ accountId, deviceId, sessionKey: idleKey(accountId, deviceId), idleSeconds: scaPolicyOf(config, client?.metadata).idleSeconds });
    }
    const all = [...new Set([...(flow.sessionAmr ?? []), ...amr])];
    if (new Set(completed.flatMap((m) => m.factors)).size > 1 && !all.includes('mfa')) all.push('mfa');
    await finishInteraction(ctx, d, { login: { accountId, acr: acrOf(level, config.acr), amr: all, remember: true, ts: Math.floor(clock.now().getTime() / 1000) } }, flowSaved);
  }

  /**
   * What provider.interactionFinished does (`mergeWithLastSubmission: false`) without reading the
   * interaction again: this request read it already (details()). The result is stored alongside the
   * caller's own write, and the browser goes on (303, empty body, as oidc-provider answers) only
   * once both are stored.
   */
  async function finishInteraction(ctx: Context, d: Details, result: NonNullable<Details['result']>, alongside: Promise<unknown>): Promise<void> {
    d.result = result;
    // The interaction's expiry is oidc-provider's, in wall-clock epoch seconds (its epochTime()).
    await Promise.all([alongside, d.save(d.exp - Math.floor(Date.now() / 1000))]);
    ctx.res.statusCode = 303;
    ctx.res.setHeader('Location', d.returnTo);
    ctx.res.setHeader('Content-Length', '0');
    ctx.res.end();
  }

  const actionDeps = { credentials: repos.credentials, securityAnswers: repos.securityAnswers, factors: repos.factors, clock, config };
  const registrationDeps = { accounts: repos.accounts, securityAnswers: repos.securityAnswers, hasher: deps.firstFactor.hasher, clock, audit: repos.audit, config };
  const chooseDeps = { credentials: repos.credentials, temporarySecrets: repos.temporarySecrets, hasher: deps.firstFactor.hasher, clock, audit: repos.audit, config };
  /** The kind of secret this client's users log in with, the one a new-secret step sets; none for a card login. */
  const secretKind = (client: ClientRecord | null): SimpleFactor | null => {
    const factor = loginSettings(config, client).firstFactor;
    return factor === 'card' ? null : factor;
  };
  const originOf = (ctx: Context, flow: LoginFlow): RequestOrigin => ({ clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512) });

  /**
   * Every factor is done: the login ends unless required actions remain (a new secret, the
   * registration's steps), computed from stored state; they are then asked first. Called again after
   * each action, so the list always reflects what is stored.
   */
  async function completeLogin(ctx: Context, d: Details, flow: LoginFlow, accountId: string, completed: CompletedMethod[], amr: string[], loadedSecret?: SecretCredential | null, loadedAccount?: Account): Promise<void> {
    await continueLogin(ctx, d, { ...flow, completed, accountId, pendingSecond: false, loginAmr: amr }, loadedSecret, loadedAccount);
  }

  /**
   * A first passkey may be associated in this login (PSD2 RTS art. 24(2)): passkeys are on, an
   * administrator's temporary code let the user in with their first factor (an assisted session, not
   * an e-mailed recovery secret) and the offer is not answered yet. findDueActions adds: no strong factor.
   */
  const assistedEnrolment = (flow: LoginFlow): boolean =>
    Boolean(deps.passkeys) && flow.temporarySecretPurpose === 'admin' && !flow.passkeyOfferDone && flow.completed.some((m) => m.authenticator === 'password' || m.authenticator === 'pin');

  /** `loadedAccount`: the account as this request already read it (the first factor's own query), to spare a read. */
  async function continueLogin(ctx: Context, d: Details, flow: LoginFlow, loadedSecret?: SecretCredential | null, loadedAccount?: Account): Promise<void> {
    const account = !flow.accountId ? null : loadedAccount?.id === flow.accountId ? loadedAccount : await repos.accounts.findById(flow.accountId);
    if (!account) throw new GuichetError('session_expired', 'the account is gone');
    if (account.status !== 'active' && account.status !== 'pending_registration') throw new GuichetError('forbidden', 'the account is not active');
    const due = await findDueActions(actionDeps, { account, kind: secretKind(await repos.clients.find(flow.clientId)), temporarySecretUsed: flow.temporarySecretUsed === true, personalDone: flow.personalDone === true, assistedEnrolment: assistedEnrolment(flow), loadedSecret });
    if (due.length === 0) {
      if (account.status === 'pending_registration') await completeRegistration(registrationDeps, { account, origin: originOf(ctx, flow) });
      await finishLogin(ctx, d, { ...flow, actions: undefined }, account.id, flow.completed, flow.loginAmr ?? []);
      return;
    }
    if (!flow.actions) await repos.audit.record({ action: 'login.required_actions', result: 'success', accountId: account.id, ...originOf(ctx, flow), details: { actions: due.map((a) => a.action), reasons: due.map((a) => a.reason) } });
    await save({ ...flow, actions: due });
    ctx.status = 303;
    ctx.redirect(base(d.uid));
  }

  // A finished flow is kept only long enough to recognise a replayed form (two minutes: the
  // interaction itself is gone once the login resumed), which keeps Redis memory per user down.
  const save = (flow: LoginFlow) => flows.save(flow, flow.done ? Math.min(120, config.ttl.flow) : config.ttl.flow);
  const sealDigits = (digits: string) => deps.box.seal(digits);
  const openDigits = (sealed: string) => (sealed ? deps.box.open(sealed) : '');

  async function postedForm(ctx: Context, flow: LoginFlow): Promise<Record<string, string>> {
    const form = await readForm(ctx, config.maxBodyBytes);
    if (flow.done) throw new GuichetError('form_replayed');
    if (!form.csrf || !safeEqual(form.csrf, flow.csrf)) throw new GuichetError('csrf_failed');
    return form;
  }

  async function enforceRate(ctx: Context, identifier?: Identifier): Promise<void> {
    const rate = await abuse.checkRate(ctx.ip, identifier ? identifierLabel(identifier) : undefined);
    if (!rate.allowed) {
      ctx.set('Retry-After', String(rate.retryAfterSeconds));
      throw new GuichetError('rate_limited');
    }
  }

  function readRemembered(ctx: Context): Identifier | undefined {
    const raw = ctx.cookies.get(REMEMBER_COOKIE, { signed: true });
    if (!raw) return undefined;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
      return isIdentifier(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  const page = (ctx: Context, d: Details) => pageContext(ctx, config.defaultLocale, { uiLocales: d.params.ui_locales as string | undefined, here: ctx.method === 'GET' ? undefined : base(d.uid) });

  const rules = (t: Translate, factor: SimpleFactor) =>
    (factor === 'pin' ? describePinRules(config.pinPolicy) : describePasswordRules(config.passwordPolicy)).map((r) => t(r.id as MessageId, r.params));

  interface RenderOptions {
    error?: string;
    invalidField?: string;
    captchaError?: string;
    status?: number;
    /** Required-action pages: messages per input, and what to show again. */
    fieldErrors?: FieldErrors;
    chosenQuestions?: string[];
    personal?: PersonalDataView['values'];
  }

  async function render(ctx: Context, d: Details, flow: LoginFlow, options: RenderOptions = {}): Promise<void> {
    const client = await repos.clients.find(flow.clientId);
    const settings = loginSettings(config, client);
    const p = page(ctx, d);
    const step = nextStep(flow, { prompt: d.prompt.name, firstParty: client?.firstParty ?? false, firstFactor: settings.firstFactor });
    const common = { csrf: flow.csrf, clientName: String(client?.metadata.client_name ?? flow.clientId), abortHref: `${base(d.uid)}/abort`, error: options.error };
    if (options.status) ctx.status = options.status;
    ctx.type = 'html';
    switch (step) {
      case 'identify': {
        const remembered = readRemembered(ctx);
        ctx.body = identifyPage(p, {
          ...common,
          action: `${base(d.uid)}/identify`,
          schemes: settings.schemes,
          invalidField: options.invalidField,
          remembered: remembered ? (remembered.scheme === 'username' ? { username: remembered.username } : { subscription: remembered.subscription, userNumber: remembered.userNumber }) : undefined,
          forgetHref: `${base(d.uid)}/forget-identifier`,
          forgotHref: `${base(d.uid)}/forgot-identifier`,
          certificateHref: certificateHref(d.uid, client),
          passkey: deps.passkeys && allowedMethodsOf(client).includes('webauthn') ? passkeyEntry(p, { action: `${base(d.uid)}/passkey`, csrf: flow.csrf, purpose: 'login' }) : undefined,
        });
        return;
      }
      case 'password':
      case 'pin': {
        const needsCaptcha = await abuse.captchaRequired(ctx.ip, identifierLabel(flow.identifier!));
        let keypad: { action: string; layout: string; entered: number } | undefined;
        if (step === 'pin' && settings.keypad && !needsCaptcha) {
          const layout = shuffledDigits();
          const entered = openDigits(flow.keypad?.entered ?? '');
          await save({ ...flow, keypad: { layout, entered: sealDigits(entered) } });
          keypad = { action: `${base(d.uid)}/pin-keypad`, layout, entered: entered.length };
        }
        ctx.body = secretPage(p, {
          ...common,
          factor: step,
          action: `${base(d.uid)}/${step}`,
          identifier: identifierLabel(flow.identifier!),
          restartHref: `${base(d.uid)}/restart`,
          recoverHref: config.recovery.securityQuestions || config.recovery.emailedTemporary ? `/recovery/${d.uid}` : undefined,
          pinLength: config.pinPolicy.length,
          rules: rules(p.t, step),
          captcha: needsCaptcha ? { svg: await captcha.issue(flow.uid), error: options.captchaError, newHref: base(d.uid) } : undefined,
          keypad,
        });
        return;
      }
      case 'code': {
        const transaction = transactionDetails(d);
        // The card reader's instructions only where the client allows it; the hint follows (views/login.ts).
        const cap = allowedMethodsOf(client).includes('emv-cap') ? await issueCapRequest(flow, transaction) : undefined;
        ctx.body = codePage(p, {
          ...common,
          action: `${base(d.uid)}/otp`,
          identifier: identifierLabel(flow.identifier!),
          reason: flow.required && flow.required.reason !== 'none' ? p.t(`stepup.${flow.required.reason}` as MessageId) : undefined,
          transactions: transaction ? transactionViews(p.t, transaction) : undefined,
          cap: cap ? { ...cap, batch: transaction?.find((t) => t.type === 'payment_initiation' || t.type === 'payment_batch')?.type === 'payment_batch' } : undefined,
          otpOffered: otpAllowedFor(client, transaction) && allowedMethodsOf(client).some((m) => m === 'totp' || m === 'hotp'),
          // A TLS handshake cannot carry a transaction (no dynamic linking): not offered to authorise one.
          certificateHref: transaction?.length ? undefined : certificateHref(d.uid, client),
          passkey: (await passkeyOffered(flow, client)) ? passkeyEntry(p, { action: `${base(d.uid)}/passkey`, csrf: flow.csrf, purpose: 'second' }) : undefined,
        });
        return;
      }
      case 'passkey': {
        const transaction = transactionDetails(d);
        ctx.body = passkeyPage(p, { ...common, purpose: flow.passkey!.purpose, action: `${base(d.uid)}/passkey/verify`, options: flow.passkey!.options, transactions: transaction ? transactionViews(p.t, transaction) : [], backHref: `${base(d.uid)}/passkey/cancel` });
        return;
      }
      case 'new-secret':
      case 'security-questions':
      case 'personal-data':
      case 'enrol-passkey':
        ctx.body = await actionPage(ctx, d, flow, step, options);
        return;
      case 'consent':
        ctx.body = consentPage(p, { ...common, action: `${base(d.uid)}/consent`, scopes: String(d.params.scope ?? 'openid').split(' ') });
        return;
      case 'auto-consent':
        await grantConsent(ctx, d, flow);
        return;
      case 'done':
        throw new GuichetError('form_replayed');
    }
  }

  /** What this interaction's request authorises (RFC 9396), as the server holds it: never re-read from the browser. */
  const transactionDetails = (d: Details): AuthorizationDetail[] | null => authorizationDetailsOf(d.params as Record<string, unknown>);

  /**
   * "Use a passkey instead" on the code page: on a step-up, when the account has a passkey; on an SCA
   * login, always (the first factor's verdict is not told yet, so the page must not depend on the
   * account); never beside a card alone.
   */
  async function passkeyOffered(flow: LoginFlow, client: ClientRecord | null): Promise<boolean> {
    if (!deps.passkeys || flow.alone || !allowedMethodsOf(client).includes('webauthn')) return false;
    if (!isSessionStepUp(flow)) return true;
    return flow.accountId !== undefined && (await repos.factors.listForAccount(flow.accountId, 'webauthn')).length > 0;
  }

  /** One-time codes authorise a payment only when the client's policy allows it (`otpForPayments`, CS-08). */
  const otpAllowedFor = (client: ClientRecord | null, details: readonly AuthorizationDetail[] | null): boolean => otpMayAuthorise(details, scaPolicyOf(config, client?.metadata).otpForPayments);

  /** The methods the client's policy offers and accepts (`guichet_allowed_methods`, else `sca.allowedMethods`). */
  function allowedMethodsOf(client: ClientRecord | null): readonly MethodId[] {
    return scaPolicyOf(config, client?.metadata).allowedMethods;
  }

  /**
   * A method the client does not allow was used anyway (a forged request: the pages never offer it):
   * audited under `method_not_allowed`, then refused. Returns when the method is allowed.
   */
  async function refuseUnlessAllowed(ctx: Context, flow: LoginFlow, method: MethodId, action: string): Promise<void> {
    if (allowedMethodsOf(await repos.clients.find(flow.clientId)).includes(method)) return;
    await repos.audit.record({ action, result: 'failure', accountId: flow.accountId ?? null, clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 512), reason: 'method_not_allowed', details: { method } });
    throw new GuichetError('forbidden', `${method} is not allowed for this client`);
  }

  /** The card-reader request the code page shows: the flow's own while it stands for these details, else a new one, recorded. */
  async function issueCapRequest(flow: LoginFlow, details: readonly AuthorizationDetail[] | null): Promise<CapView> {
    const now = clock.now();
    const standing = outstandingCapRequest(flow.capRequest, details, now);
    if (standing) return standing;
    const issued = planCapRequest(details, config.emvCap.loginMode, now);
    await save({ ...flow, capRequest: issued });
    return issued.request;
  }

  /** A required action's page, in the account's language unless the request chose one. */
  async function actionPage(ctx: Context, d: Details, flow: LoginFlow, step: RequiredAction, options: RenderOptions): Promise<string> {
    const account = flow.accountId ? await repos.accounts.findById(flow.accountId) : null;
    const due = flow.actions?.[0];
    if (!account || !due) throw new GuichetError('session_expired', 'no account for the required actions');
    const p = pageContext(ctx, config.defaultLocale, { uiLocales: d.params.ui_locales as string | undefined, account: account.locale, here: ctx.method === 'GET' ? undefined : base(d.uid) });
    const common = { action: `${base(d.uid)}/${step}`, csrf: flow.csrf, abortHref: `${base(d.uid)}/abort`, progress: registrationProgress(account, step), errors: options.fieldErrors };
    switch (step) {
      case 'new-secret': {
        const kind = secretKind(await repos.clients.find(flow.clientId));
        if (!kind) throw new GuichetError('bad_request', 'a card login has no secret to choose');
        return newSecretPage(p, { ...common, factor: kind, identifier: identifierLabel(flow.identifier!), reason: p.t(`setup.secret.reason.${due.reason}` as MessageId, { what: p.t(`factor.${kind}`) }), pinLength: config.pinPolicy.length, rules: rules(p.t, kind) });
      }
      case 'security-questions':
        return securityQuestionsPage(p, { ...common, count: config.securityQuestions.count, questions: questionCatalogue(config).map((q) => ({ id: q.id, text: questionText(q, p.locale) })), chosen: options.chosenQuestions });
      case 'personal-data':
        return personalDataPage(p, { ...common, values: options.personal ?? { email: account.email ?? '', emailConfirmation: '', familyName: account.familyName ?? '', givenName: account.givenName ?? '', locale: account.locale } });
      case 'enrol-passkey': {
        if (!deps.passkeys) throw new GuichetError('bad_request', 'passkeys are not enabled');
        // Fresh options each time the page is shown; the challenge waits in the flow, single use.
        const { options: creation, challenge } = await deps.passkeys.enrolment.beginRegistration(account, await deps.passkeys.enrolment.listWebAuthnCredentials(account.id));
        await save({ ...flow, passkeyRegistration: challenge });
        return enrolPasskeyPage(p, { action: common.action, skipAction: `${common.action}/skip`, csrf: flow.csrf, options: creation, abortHref: common.abortHref, error: options.error });
      }
    }
  }

  /** "Step n of total" while registering: the position of the action's step among the configured ones. */
  function registrationProgress(account: Account, step: RequiredAction): { n: number; total: number } | undefined {
    if (account.status !== 'pending_registration' || step === 'enrol-passkey') return undefined;
    const steps = config.registration.steps;
    const index = steps.indexOf(step === 'new-secret' ? 'password' : step === 'security-questions' ? 'questions' : 'personal');
    return index >= 0 ? { n: index + 1, total: steps.length } : undefined;
  }

  /** Problems of a required action as messages per input (ids of the setup and policy catalogues). */
  const fieldErrors = (t: Translate, problems: readonly FieldProblem[]): FieldErrors => {
    const errors: Record<string, string[]> = {};
    for (const problem of problems) (errors[problem.field] ??= []).push(t(problem.id as MessageId, problem.params));
    return errors;
  };

  /** A blocked credential: the page says so and how to unblock, with no form to keep guessing in. */
  function renderBlocked(ctx: Context, d: Details, until: Date | null): void {
    const p = page(ctx, d);
    const message = until ? p.t('login.blocked_until', { time: until.toLocaleString(p.locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris' }) }) : p.t('login.blocked');
    ctx.status = 403;
    ctx.type = 'html';
    ctx.body = blockedPage(p, { message, restartHref: `${base(d.uid)}/restart`, abortHref: `${base(d.uid)}/abort` });
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
    await save({ ...flow, done: true });
    await repos.audit.record({ action: 'consent.granted', result: 'success', accountId, clientId: flow.clientId, ip: ctx.ip, userAgent: ctx.get('user-agent'), details: { scopes: missing.missingOIDCScope ?? [] } });
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  return { deps, provider, config, repos, flows, clock, logger, abuse, captcha, base, secure, certificateHref, details, loadFlow, transactionDetails, otpAllowedFor, allowedMethodsOf, refuseUnlessAllowed, requirementFor, requirementAt, finishUnmet, finishLogin, completeLogin, continueLogin, save, sealDigits, openDigits, postedForm, enforceRate, readRemembered, page, rules, render, renderBlocked, grantConsent, secretKind, originOf, fieldErrors, actionDeps, registrationDeps, chooseDeps };
}

export type InteractionKit = ReturnType<typeof createInteractionKit>;

/** A step-up from a signed-in session: its methods came from the session, no first factor to give again. */
export const isSessionStepUp = (flow: LoginFlow): boolean => flow.sessionAmr !== undefined && flow.firstFactorPassed === true && flow.completed.length > 0 && flow.completed.every((m) => m.authenticator === 'session');
export type { Details };

/** The details as the code page shows them; operation names in the page's language. */
function transactionViews(t: Translate, details: readonly AuthorizationDetail[]): TransactionView[] {
  return details.map((d): TransactionView => {
    switch (d.type) {
      case 'payment_initiation':
        return { kind: 'payment', amount: d.instructedAmount.amount, currency: d.instructedAmount.currency, payeeName: d.creditorName, iban: d.creditorAccount.iban, remittance: d.remittanceInformationUnstructured };
      case 'payment_batch':
        return { kind: 'batch', total: d.totalAmount.amount, currency: d.totalAmount.currency, count: d.numberOfPayments, payees: d.payments.map((p) => ({ name: p.creditorName, iban: p.creditorAccount.iban, amount: p.instructedAmount.amount })) };
      case 'sensitive_operation': {
        // An operation the deployment added (`rar.sensitiveOperations`) has no name of its own: a generic text with its code.
        const known = knownOperation(d.operation);
        return { kind: 'operation', name: known ? t(`transaction.operation.${known}`) : t('transaction.operation.other', { operation: d.operation }), description: d.description };
      }
    }
  });
}

/** The methods a session already holds, from its RFC 8176 amr, so a step-up adds only what is missing. */
export function methodsFromAmr(amr: readonly string[]): CompletedMethod[] {
  const methods: CompletedMethod[] = [];
  if (amr.some((v) => v === 'pwd' || v === 'pin' || v === 'kba')) methods.push({ authenticator: 'session', factors: ['knowledge'] });
  if (amr.some((v) => v === 'otp' || v === 'hwk' || v === 'swk' || v === 'sc' || v === 'pop')) methods.push({ authenticator: 'session', factors: ['possession'] });
  return methods;
}
