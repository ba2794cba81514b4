import type { Config } from '../config/schema.js';
import type { Account } from '../domain/account.js';
import type { CredentialKind } from '../domain/credential.js';
import type { Mailer, Repositories } from '../domain/ports.js';
import { GuichetError } from '../errors/codes.js';
import { translator } from '../i18n/messages.js';
import { escapeHtml } from '../lib/html.js';
import { issueTemporarySecret, type TemporarySecretDependencies } from '../authenticators/secret/temporary-secret.js';
import { checkPassword, checkPin } from '../policy/secret-policy.js';

/** The role that makes an account the administrator of its own subscription's users. */
export const SUBSCRIPTION_ADMIN_ROLE = 'subscription_admin';

/** Where an issue happened: the evidence of a secure environment under the PSP's responsibility (RTS art. 24(2)). */
export type IssuingEnvironment = 'admin-api' | 'cli' | 'admin-page';

export type TemporaryCodeDelivery = 'show' | 'mail';

/**
 * Who issues: a service operator (the CLI, an OAuth client with the `admin` scope), any account;
 * or a subscription administrator, only the other users of their own subscription.
 * `proof` is how the administrator authenticated (auth_time, acr, amr), kept in the audit trail.
 */
export type AdminActor =
  | { kind: 'operator'; id: string; proof?: Record<string, unknown> }
  | { kind: 'subscription-admin'; account: Account; proof?: Record<string, unknown> };

/** Why an issue is refused; each has its HTTP status through the error code it travels with. */
export type IssueRefusal = 'not_subscription_admin' | 'other_subscription' | 'own_account' | 'account_suspended' | 'no_email';

const REFUSALS: Record<IssueRefusal, 'forbidden' | 'conflict'> = {
  not_subscription_admin: 'forbidden',
  other_subscription: 'forbidden',
  own_account: 'forbidden',
  account_suspended: 'conflict',
  no_email: 'conflict',
};

const REFUSAL_TEXT: Record<IssueRefusal, string> = {
  not_subscription_admin: 'the account does not administer a subscription',
  other_subscription: 'the account belongs to another subscription',
  own_account: 'an administrator cannot issue a temporary code for their own account',
  account_suspended: 'the account is suspended',
  no_email: 'the account has no e-mail address to send the code to',
};

/** A typed refusal: a GuichetError whose `details.reason` says which rule refused. */
export const refusal = (reason: IssueRefusal): GuichetError => new GuichetError(REFUSALS[reason], REFUSAL_TEXT[reason], { reason });

export const reasonOf = (e: unknown): IssueRefusal | undefined => (e instanceof GuichetError ? (e.details.reason as IssueRefusal | undefined) : undefined);

/** How the audit trail names an actor. */
export const actorName = (actor: AdminActor): string => (actor.kind === 'operator' ? actor.id : `account:${actor.account.id}`);

/**
 * Refuses what the actor may not touch: a subscription administrator acts only on the other
 * accounts of their own subscription. Operators reach every account.
 */
export function assertMayAdminister(actor: AdminActor, target: Account): void {
  if (actor.kind === 'operator') return;
  if (!actor.account.roles.includes(SUBSCRIPTION_ADMIN_ROLE) || !actor.account.subscriptionId) throw refusal('not_subscription_admin');
  if (target.subscriptionId !== actor.account.subscriptionId) throw refusal('other_subscription');
}

export interface TemporaryCodeDependencies extends TemporarySecretDependencies {
  repos: Pick<Repositories, 'credentials' | 'subscriptions'>;
  config: Readonly<Pick<Config, 'temporaryCodes' | 'pinPolicy' | 'passwordPolicy' | 'login' | 'issuer'>>;
  mailer: Mailer;
}

export interface IssuedTemporaryCode {
  /** The code itself when shown; null when it went to the user by mail. */
  code: string | null;
  kind: CredentialKind;
  delivery: TemporaryCodeDelivery;
  expiresAt: Date;
}

/** Words that no temporary password may contain, as for chosen ones (ASVS 5.0 6.2.11). */
const SERVICE_WORDS = ['guichet'];

/**
 * The kind of secret the account logs in with: its confidential code first, then its password;
 * an account with neither gets the deployment's first factor.
 */
async function defaultKind(deps: TemporaryCodeDependencies, account: Account): Promise<CredentialKind> {
  const kinds = (await deps.repos.credentials.listForAccount(account.id)).map((c) => c.kind);
  if (kinds.includes('pin')) return 'pin';
  if (kinds.includes('password')) return 'password';
  return deps.config.login.firstFactor === 'pin' ? 'pin' : 'password';
}

/**
 * A code must pass the policy users' codes pass (ASVS 5.0 6.4.1): a PIN such as 123456 or one
 * holding the user number is drawn again. The generator fixes a password's length and alphabet,
 * so only the rules a random draw can break apply to it.
 */
function acceptableFor(deps: TemporaryCodeDependencies, kind: CredentialKind, identifiers: string[]): (secret: string) => boolean {
  if (kind === 'pin') return (secret) => checkPin(secret, deps.config.pinPolicy, { identifiers }).ok;
  const drawable = new Set(['common', 'contains_identifier', 'context_word', 'repetitive']);
  return (secret) => {
    const check = checkPassword(secret, deps.config.passwordPolicy, { identifiers, serviceWords: SERVICE_WORDS });
    return check.ok || !check.reasons.some((r) => drawable.has(r));
  };
}

/** An expiry as people read it, in Paris time (the deployments' time zone). */
export const formatExpiry = (at: Date, locale: Account['locale']): string =>
  new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(at);

/** The mail that carries a code to its user, in their language, as text and minimal HTML. */
function codeMail(account: Account, issued: { code: string; kind: CredentialKind; expiresAt: Date }, issuer: string) {
  const t = translator(account.locale);
  const expires = formatExpiry(issued.expiresAt, account.locale);
  const noun = t(issued.kind === 'pin' ? 'admin.mail.noun.pin' : 'admin.mail.noun.password');
  const paragraphs = [t('admin.mail.greeting'), t('admin.mail.intro', { noun }), issued.code, t('admin.mail.expires', { time: expires }), t('admin.mail.choose', { url: issuer }), t('admin.mail.not_you')];
  return {
    to: account.email!,
    subject: t('admin.mail.subject', { noun }),
    text: paragraphs.join('\n\n'),
    html: `<!doctype html><html><body style="font-family:sans-serif">${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</body></html>`,
  };
}

/**
 * Issues a temporary code (or password) for an account on an administrator's request: random,
 * stored hashed, single use, expiring, and only good for choosing the user's own new secret at
 * the next login, so the administrator never knows nor chooses the final one (ASVS 5.0 6.4.6).
 * Shown once to the administrator (short lifetime) or mailed to the user (longer lifetime, no
 * code returned). The audit event says who, for whom, how, from where, never the code.
 */
export async function issueTemporaryCode(
  deps: TemporaryCodeDependencies,
  request: { actor: AdminActor; targetAccount: Account; kind?: CredentialKind | undefined; delivery?: TemporaryCodeDelivery | undefined; environment: IssuingEnvironment; ip?: string | null; userAgent?: string | null },
): Promise<IssuedTemporaryCode> {
  const { actor, targetAccount: account, environment } = request;
  const delivery = request.delivery ?? deps.config.temporaryCodes.delivery;
  const audit = { actor: actorName(actor), accountId: account.id, ip: request.ip ?? null, userAgent: request.userAgent ?? null };
  try {
    assertMayAdminister(actor, account);
    if (actor.kind === 'subscription-admin' && actor.account.id === account.id) throw refusal('own_account');
    if (account.status === 'suspended') throw refusal('account_suspended');
    if (delivery === 'mail' && !account.email) throw refusal('no_email');
  } catch (e) {
    await deps.audit.record({ action: 'admin.temporary_code.issued', result: 'failure', reason: reasonOf(e) ?? null, ...audit, details: { delivery, environment } });
    throw e;
  }
  const kind = request.kind ?? (await defaultKind(deps, account));
  const subscription = account.subscriptionId ? await deps.repos.subscriptions.findById(account.subscriptionId) : null;
  const identifiers = [account.username, account.userNumber, subscription?.identifier, account.email].filter((v): v is string => typeof v === 'string' && v !== '');
  const ttlSeconds = delivery === 'show' ? deps.config.temporaryCodes.shownTtlMinutes * 60 : deps.config.temporaryCodes.postedTtlDays * 86400;
  const { secret, record } = await issueTemporarySecret(deps, {
    account,
    kind,
    purpose: 'admin',
    ttlSeconds,
    issuedBy: audit.actor,
    pinLength: deps.config.pinPolicy.length,
    acceptable: acceptableFor(deps, kind, identifiers),
  });
  if (delivery === 'mail') await deps.mailer.send(codeMail(account, { code: secret, kind, expiresAt: record.expiresAt }, deps.config.issuer));
  await deps.audit.record({
    action: 'admin.temporary_code.issued',
    result: 'success',
    ...audit,
    details: { kind, delivery, environment, expiresAt: record.expiresAt.toISOString(), ...(actor.proof ? { actorAuthentication: actor.proof } : {}) },
  });
  return { code: delivery === 'show' ? secret : null, kind, delivery, expiresAt: record.expiresAt };
}
