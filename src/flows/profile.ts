import { createHash } from 'node:crypto';
import type { Account, Locale } from '../domain/account.js';
import type { CredentialKind, SecretCredential } from '../domain/credential.js';
import type { AccountPatch } from '../domain/life-cycle.js';
import type { AccountRepository, AuditLog, CredentialRepository, ExpiringStore, Mailer, SecurityAnswerRepository } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import type { Clock } from '../lib/clock.js';
import { randomToken } from '../lib/random.js';
import type { AuthContext } from '../authenticators/contract.js';
import type { SecretAuthenticator } from '../authenticators/secret/secret-authenticator.js';
import type { Lockout } from '../policy/lockout.js';
import { answerProblem, normaliseAnswer, type SecurityQuestion } from '../policy/security-questions.js';
import { translator, type MessageId } from '../i18n/messages.js';
import { renderMail } from './mail-content.js';

/** A refused field of a profile form: the input's name and a message id of the profile catalogue. */
export interface FieldProblem {
  field: string;
  id: MessageId;
  params?: Record<string, string>;
}

/** Where a change came from, for the audit log. */
export interface RequestOrigin {
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** ISO 3166-1 alpha-2 codes (officially assigned), the only values `default_country` takes. */
export const ISO_COUNTRIES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');

/** Landing pages a relying party knows by name; anything else must be one of its own paths. */
export const KNOWN_LANDINGS: readonly string[] = ['default-contract', 'contracts', 'dashboard'];

const NAME_MAX = 100;
// Names are free text, but control and formatting characters have no place in them (or in the ID token).
const NAME_FORBIDDEN = /[\p{Cc}\p{Cf}<>]/u;
const CONTRACT = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$/;
const LANDING_PATH = /^\/(?!\/)[A-Za-z0-9\-._~/]{0,199}$/;

/** The names, language and preferences form, read and checked; preferences it does not own are kept. */
export function readDetails(account: Account, form: Record<string, string>): { patch: AccountPatch; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const text = (name: string) => (form[name] ?? '').normalize('NFC').trim().replace(/\s+/g, ' ');
  const familyName = text('family_name');
  const givenName = text('given_name');
  if (familyName === '') problems.push({ field: 'family_name', id: 'profile.family_name.required' });
  for (const [field, value] of [['family_name', familyName], ['given_name', givenName]] as const) {
    if ([...value].length > NAME_MAX) problems.push({ field, id: 'profile.name.too_long', params: { n: String(NAME_MAX) } });
    else if (NAME_FORBIDDEN.test(value)) problems.push({ field, id: 'profile.name.invalid' });
  }
  const locale = form.locale;
  if (locale !== 'fr' && locale !== 'en') problems.push({ field: 'locale', id: 'profile.locale.invalid' });
  const contract = text('default_contract');
  if (contract !== '' && !CONTRACT.test(contract)) problems.push({ field: 'default_contract', id: 'profile.default_contract.invalid' });
  const country = text('default_country').toUpperCase();
  if (country !== '' && !ISO_COUNTRIES.includes(country)) problems.push({ field: 'default_country', id: 'profile.default_country.invalid' });
  const landing = text('default_landing');
  if (landing !== '' && !KNOWN_LANDINGS.includes(landing) && !LANDING_PATH.test(landing)) problems.push({ field: 'default_landing', id: 'profile.default_landing.invalid', params: { values: KNOWN_LANDINGS.join(', ') } });

  const preferences: Record<string, unknown> = { ...account.preferences };
  const setPreference = (key: string, value: string) => {
    if (value === '') delete preferences[key];
    else preferences[key] = value;
  };
  setPreference('defaultContract', contract);
  setPreference('defaultCountry', country);
  setPreference('defaultLanding', landing);
  return { patch: { familyName, givenName: givenName === '' ? null : givenName, locale: locale === 'en' ? 'en' : 'fr', preferences }, problems };
}

/** The names of the fields a patch really changes (what the audit records: never values). */
export function changedFields(account: Account, patch: AccountPatch): string[] {
  const changed: string[] = [];
  if (patch.familyName !== undefined && patch.familyName !== account.familyName) changed.push('family_name');
  if (patch.givenName !== undefined && patch.givenName !== account.givenName) changed.push('given_name');
  if (patch.locale !== undefined && patch.locale !== account.locale) changed.push('locale');
  for (const key of ['defaultContract', 'defaultCountry', 'defaultLanding']) if (patch.preferences && patch.preferences[key] !== account.preferences[key]) changed.push(key);
  return changed;
}

// ---- e-mail change ---------------------------------------------------------------------------------

/** Confirmation links live 24 hours and work once (ASVS 5.0 7.5.1: the address is recovery data). */
export const EMAIL_LINK_TTL_SECONDS = 24 * 3600;
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
const tokenKey = (token: string) => `profile:email:${createHash('sha256').update(token).digest('base64url')}`;
const pendingKey = (accountId: string) => `profile:email:pending:${accountId}`;

export interface EmailChangeDependencies {
  accounts: Pick<AccountRepository, 'findByEmail' | 'update'>;
  store: ExpiringStore;
  mailer: Mailer;
  audit: AuditLog;
  /** The public address of Guichet: links are built from it, never from the request's Host header. */
  issuer: string;
}

interface PendingEmail {
  accountId: string;
  email: string;
}

/** Hides most of an address for the notice to the old one: j***@example.com. */
export const maskEmail = (email: string): string => email.replace(/^(.)[^@]*/, '$1***');

/**
 * Asks for a new address: nothing changes yet. A single-use link (only its hash is stored) goes to
 * the new address and a notice to the old one; a newer request cancels the older link.
 */
export async function requestEmailChange(deps: EmailChangeDependencies, request: { account: Account; email: string; confirmation: string; origin: RequestOrigin }): Promise<{ ok: true; email: string } | { ok: false; problems: FieldProblem[] }> {
  const { account } = request;
  const email = request.email.trim();
  if (email.length > 254 || !EMAIL.test(email)) return { ok: false, problems: [{ field: 'email', id: 'profile.email.invalid' }] };
  if (email.toLowerCase() !== request.confirmation.trim().toLowerCase()) return { ok: false, problems: [{ field: 'email_confirmation', id: 'profile.email.mismatch' }] };
  if (account.email && account.email.toLowerCase() === email.toLowerCase()) return { ok: false, problems: [{ field: 'email', id: 'profile.email.same' }] };
  if ((await deps.accounts.findByEmail(email)).some((a) => a.id !== account.id)) {
    await deps.audit.record({ action: 'profile.email.change_requested', result: 'failure', actor: `account:${account.id}`, accountId: account.id, reason: 'email_taken', ...request.origin });
    return { ok: false, problems: [{ field: 'email', id: 'profile.email.taken' }] };
  }
  const token = randomToken(32);
  const previous = await deps.store.get(pendingKey(account.id));
  if (previous) await deps.store.delete(previous);
  await deps.store.set(tokenKey(token), JSON.stringify({ accountId: account.id, email } satisfies PendingEmail), EMAIL_LINK_TTL_SECONDS);
  await deps.store.set(pendingKey(account.id), tokenKey(token), EMAIL_LINK_TTL_SECONDS);
  const link = new URL('/account/email/confirm', deps.issuer);
  link.searchParams.set('token', token);
  const t = translator(account.locale);
  await deps.mailer.send({ to: email, ...renderMail(t('profile.mail.email_confirm.subject'), t('profile.mail.email_confirm.body', { link: link.href })) });
  if (account.email) await deps.mailer.send({ to: account.email, ...renderMail(t('profile.mail.email_notice.subject'), t('profile.mail.email_notice.body', { masked: maskEmail(email) })) });
  await deps.audit.record({ action: 'profile.email.change_requested', result: 'success', actor: `account:${account.id}`, accountId: account.id, ...request.origin, details: { notifiedOld: Boolean(account.email) } });
  return { ok: true, email };
}

/** The address a link would confirm, if the link is still valid and is this account's latest. */
export async function pendingEmailChange(store: ExpiringStore, accountId: string, token: string): Promise<string | null> {
  if (!/^[\w-]{20,100}$/.test(token)) return null;
  const raw = await store.get(tokenKey(token));
  const pending = raw ? (JSON.parse(raw) as PendingEmail) : null;
  if (!pending || pending.accountId !== accountId) return null;
  if ((await store.get(pendingKey(accountId))) !== tokenKey(token)) return null;
  return pending.email;
}

export type EmailChangeOutcome = { kind: 'changed'; email: string } | { kind: 'invalid_link' } | { kind: 'email_taken' };

/** Follows a confirmation link: applies the new address once, and marks it verified. */
export async function confirmEmailChange(deps: EmailChangeDependencies, request: { account: Account; token: string; origin: RequestOrigin }): Promise<EmailChangeOutcome> {
  const { account, token } = request;
  const audit = { action: 'profile.email.changed', actor: `account:${account.id}`, accountId: account.id, ...request.origin };
  const email = await pendingEmailChange(deps.store, account.id, token);
  // The claim is atomic: of two clicks on one link, one applies it.
  if (!email || !(await deps.store.setIfAbsent(`${tokenKey(token)}:used`, '1', EMAIL_LINK_TTL_SECONDS))) {
    await deps.audit.record({ ...audit, result: 'failure', reason: 'invalid_link' });
    return { kind: 'invalid_link' };
  }
  await deps.store.delete(tokenKey(token), pendingKey(account.id));
  const result = await deps.accounts.update(account.id, { email, emailVerified: true });
  if (result !== 'updated') {
    await deps.audit.record({ ...audit, result: 'failure', reason: result });
    return result === 'email_taken' ? { kind: 'email_taken' } : { kind: 'invalid_link' };
  }
  await deps.audit.record({ ...audit, result: 'success', details: { verified: true } });
  return { kind: 'changed', email };
}

// ---- current secret -------------------------------------------------------------------------------

export interface CurrentSecretDependencies {
  credentials: Pick<CredentialRepository, 'find'>;
  authenticators: Record<CredentialKind, SecretAuthenticator>;
  lockout: Lockout;
  audit: AuditLog;
}

export type CurrentSecretResult = { kind: 'verified' } | { kind: 'failed'; remaining: number } | { kind: 'blocked'; until: Date | null };

/**
 * Proves the current password or code before it is replaced. It goes through the same lockout
 * counter as a login (a wrong current secret is a guess like any other, PSD2 RTS art. 4(3)(b)).
 */
export async function verifyCurrentSecret(deps: CurrentSecretDependencies, request: { account: Account; kind: CredentialKind; secret: string; auth: Omit<AuthContext, 'account'>; origin: RequestOrigin }): Promise<CurrentSecretResult> {
  const { account, kind } = request;
  const credential: SecretCredential | null = await deps.credentials.find(account.id, kind);
  const audit = { action: 'profile.current_secret', actor: `account:${account.id}`, accountId: account.id, ...request.origin };
  if (!credential) return { kind: 'failed', remaining: 0 };
  const gate = await deps.lockout.gate(credential);
  if (gate.kind === 'blocked') {
    await deps.audit.record({ ...audit, result: 'failure', reason: 'credential_blocked', details: { factor: kind } });
    return { kind: 'blocked', until: gate.until };
  }
  const authenticator = deps.authenticators[kind];
  const outcome = await authenticator.verify({ ...request.auth, account }, { secret: request.secret }, undefined, credential);
  if (outcome.kind !== 'verified') {
    const failure = await deps.lockout.recordFailure(credential, gate.attempt);
    await deps.audit.record({ ...audit, result: 'failure', reason: outcome.kind === 'rejected' ? outcome.reason : 'not_applicable', details: { factor: kind, attempt: gate.attempt, blocked: failure.blocked } });
    if (failure.blocked) {
      await deps.audit.record({ ...audit, action: 'credential.blocked', result: 'success', reason: failure.permanent ? 'permanent' : 'temporary' });
      return { kind: 'blocked', until: failure.until };
    }
    return { kind: 'failed', remaining: failure.remaining };
  }
  await authenticator.commit({ ...request.auth, account }, outcome.evidence);
  await deps.lockout.reset(credential);
  return { kind: 'verified' };
}

// ---- security questions ---------------------------------------------------------------------------

export interface SecurityAnswersDependencies {
  securityAnswers: Pick<SecurityAnswerRepository, 'replace'>;
  hasher: PasswordHasher;
  clock: Clock;
  audit: AuditLog;
}

/** Replaces the account's answers: `count` different questions of the catalogue, answers hashed (argon2id) once normalised. */
export async function replaceSecurityAnswers(
  deps: SecurityAnswersDependencies,
  request: { account: Account; catalogue: readonly SecurityQuestion[]; count: number; choices: { questionId: string; answer: string }[]; origin: RequestOrigin },
): Promise<{ ok: true } | { ok: false; problems: FieldProblem[] }> {
  const known = new Set(request.catalogue.map((q) => q.id));
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (let i = 0; i < request.count; i++) {
    const n = String(i + 1);
    const choice = request.choices[i] ?? { questionId: '', answer: '' };
    if (!known.has(choice.questionId)) problems.push({ field: `question_${n}`, id: 'profile.questions.unknown', params: { n } });
    else if (seen.has(choice.questionId)) problems.push({ field: `question_${n}`, id: 'profile.questions.duplicate', params: { n } });
    seen.add(choice.questionId);
    const problem = answerProblem(choice.answer);
    if (problem) problems.push({ field: `answer_${n}`, id: problem === 'too_short' ? 'profile.answer.too_short' : 'profile.answer.too_long', params: { n } });
  }
  const audit = { action: 'security_answers.set', actor: `account:${request.account.id}`, accountId: request.account.id, ...request.origin };
  if (problems.length > 0) {
    await deps.audit.record({ ...audit, result: 'failure', reason: problems[0]!.id.replace(/^profile\./, ''), details: { via: 'profile' } });
    return { ok: false, problems };
  }
  const chosen = request.choices.slice(0, request.count);
  const answers = await Promise.all(chosen.map(async (c, i) => ({ position: i + 1, questionId: c.questionId, answerHash: await deps.hasher.hash(normaliseAnswer(c.answer)) })));
  await deps.securityAnswers.replace(request.account.id, answers, deps.clock.now());
  await deps.audit.record({ ...audit, result: 'success', details: { via: 'profile', questions: answers.map((a) => a.questionId) } });
  return { ok: true };
}

// ---- notices ----------------------------------------------------------------------------------------

/** A date and time as the person reads it (Paris time, the service's reference). */
export const formatDateTime = (at: Date, locale: Locale): string => at.toLocaleString(locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'medium', timeStyle: 'short' });

/** Tells the owner a sensitive change was made from the profile, so a change they did not make is noticed. */
export async function notifyOwner(mailer: Mailer, account: Account, change: { kind: 'secret'; factor: CredentialKind } | { kind: 'totp' }, at: Date): Promise<void> {
  if (!account.email) return;
  const t = translator(account.locale);
  const time = formatDateTime(at, account.locale);
  const mail =
    change.kind === 'secret'
      ? renderMail(t('profile.mail.secret_changed.subject', { factor: t(change.factor === 'pin' ? 'factor.pin' : 'factor.password') }), t('profile.mail.secret_changed.body', { factor: t(change.factor === 'pin' ? 'factor.pin' : 'factor.password'), time }))
      : renderMail(t('profile.mail.totp_enrolled.subject'), t('profile.mail.totp_enrolled.body', { time }));
  await mailer.send({ to: account.email, ...mail });
}
