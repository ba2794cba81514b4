import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Account, Identifier, Locale } from '../domain/account.js';
import type { CredentialKind, GuardedCredential } from '../domain/credential.js';
import type { SecurityAnswer } from '../domain/life-cycle.js';
import type { AccountRepository, AuditLog, CredentialRepository, ExpiringStore, Mailer, SecurityAnswerRepository, TemporarySecretRepository } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import { randomToken } from '../lib/random.js';
import { translator, type Translate } from '../i18n/messages.js';
import { issueTemporarySecret } from '../authenticators/secret/temporary-secret.js';
import type { Lockout } from '../policy/lockout.js';
import { checkPassword, checkPin } from '../policy/secret-policy.js';
import { DEFAULT_QUESTIONS, decoyQuestions, normaliseAnswer, type SecurityQuestion } from '../policy/security-questions.js';
import { accountWords, chooseOwnSecret, SERVICE_WORDS, type ChooseSecretResult } from './choose-secret.js';
import { identifierKey } from './identifier.js';
import { renderMail } from './mail-content.js';

/** Recovery mails (temporary secrets and links) one account receives in an hour at most (OWASP Forgot Password: flood cap). */
export const RECOVERY_MAILS_PER_HOUR = 3;

/** Longest answer read from the form; longer ones are cut before hashing (answers are at most 100 code points). */
const MAX_ANSWER = 200;

export interface RecoveryDependencies {
  config: Readonly<Pick<Config, 'issuer' | 'secretKey' | 'recovery' | 'securityQuestions' | 'passwordPolicy' | 'pinPolicy' | 'expiry'>>;
  accounts: Pick<AccountRepository, 'findByIdentifier' | 'findById'>;
  credentials: Pick<CredentialRepository, 'find' | 'upsert'>;
  securityAnswers: Pick<SecurityAnswerRepository, 'list'>;
  temporarySecrets: TemporarySecretRepository;
  audit: AuditLog;
  hasher: PasswordHasher;
  mailer: Mailer;
  store: ExpiringStore;
  clock: Clock;
  logger: Logger;
  /** The credentials' own lockout, and the store-only one of identifiers with no credential (first-factor.ts). */
  lockout: Lockout;
  unknownLockout: Lockout;
}

/** Where a request comes from, for the audit log (never a secret). */
export interface RequestMeta {
  ip: string;
  userAgent: string;
  clientId: string;
}

export type AnswersOutcome =
  | { kind: 'verified'; accountId: string }
  | { kind: 'wrong'; remaining: number }
  | { kind: 'blocked'; permanent: boolean; until: Date | null };

/** What an e-mailed link proves: this account's owner read the mail sent for this identifier. */
export interface LinkGrant {
  accountId: string;
  identifier: Identifier;
  kind: CredentialKind;
  uid: string;
  expiresAt: string;
}

/** The same pseudo-credential id as first-factor.ts, so unknown identifiers share one counter across login and recovery. */
const pseudoCredential = (identifier: Identifier, kind: CredentialKind): GuardedCredential => ({
  id: `unknown:${kind}:${createHash('sha256').update(identifierKey(identifier)).digest('base64url').slice(0, 22)}`,
  accountId: '',
  kind,
  failedCount: 0,
  blockedAt: null,
  blockedUntil: null,
  blockCount: 0,
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

export const formatTime = (at: Date, locale: Locale): string => at.toLocaleString(locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });

/** The mail carrying a temporary secret: once, when it expires, a change forced at login, ignoring it keeps the current one. */
export function temporarySecretMail(locale: Locale, kind: CredentialKind, secret: string, expiresAt: Date) {
  const t = translator(locale);
  return renderMail(t(`mail.recovery.temporary.subject.${kind}`), t(`mail.recovery.temporary.body.${kind}`, { secret, expires: formatTime(expiresAt, locale) }));
}

/** The strict profile's mail: a single-use link to the security questions. */
export function recoveryLinkMail(locale: Locale, kind: CredentialKind, link: string, expiresAt: Date) {
  const t = translator(locale);
  return renderMail(t('mail.recovery.link.subject'), t('mail.recovery.link.body', { factor: factorName(t, kind), link, expires: formatTime(expiresAt, locale) }));
}

/** Tells the owner their secret was changed by recovery (OWASP Forgot Password: notify the user). */
export function secretChangedMail(locale: Locale, kind: CredentialKind, at: Date) {
  const t = translator(locale);
  return renderMail(t(`mail.recovery.changed.subject.${kind}`), t('mail.recovery.changed.body', { factor: factorName(t, kind), time: formatTime(at, locale) }));
}

const factorName = (t: Translate, kind: CredentialKind) => t(kind === 'pin' ? 'factor.pin' : 'factor.password');

/**
 * Account recovery without HTTP (issue 4, "Recovery, two ways"; STANDARDS.md CS-02, CS-03, G-1):
 * security questions whose wrong answers share the credential's lockout counter, and a temporary
 * secret or single-use link e-mailed after the page has answered. Unknown identifiers and
 * accounts that cannot be recovered walk the same paths (decoy questions, burnt hashes, no mail),
 * so no page and no timing tells them apart.
 */
export function createRecovery(deps: RecoveryDependencies) {
  const { config, store, clock } = deps;
  const catalogue: readonly SecurityQuestion[] = config.securityQuestions.catalogue ?? DEFAULT_QUESTIONS;
  const serverKey = Buffer.from(config.secretKey, 'base64');
  const linkKey = (hash: string) => `recovery:link:${hash}`;

  /**
   * Who the questions are about. Only an active account with a credential of that kind and answers
   * to known questions can be recovered; everyone else gets the identifier's stable decoys.
   */
  async function target(identifier: Identifier, kind: CredentialKind, linkedAccountId?: string) {
    const account = linkedAccountId ? await deps.accounts.findById(linkedAccountId) : await deps.accounts.findByIdentifier(identifier);
    const credential = account ? await deps.credentials.find(account.id, kind) : null;
    const stored = account && credential ? await deps.securityAnswers.list(account.id) : [];
    const questions = stored.map((a) => catalogue.find((q) => q.id === a.questionId));
    const recoverable = account?.status === 'active' && credential !== null && stored.length > 0 && questions.every(Boolean);
    return {
      account: recoverable ? account : null,
      stored: recoverable ? stored : null,
      questions: recoverable ? (questions as SecurityQuestion[]) : decoyQuestions(catalogue, config.securityQuestions.count, identifierKey(identifier), serverKey),
      guard: credential ?? pseudoCredential(identifier, kind),
      lockout: credential ? deps.lockout : deps.unknownLockout,
    };
  }

  /** Every answer is checked (no early exit), and decoys cost the same hashing as real answers. */
  async function answersMatch(stored: SecurityAnswer[] | null, count: number, answers: readonly string[]): Promise<boolean> {
    let all = true;
    for (let i = 0; i < count; i++) {
      const answer = normaliseAnswer((answers[i] ?? '').slice(0, MAX_ANSWER));
      const expected = stored?.[i];
      if (!expected) {
        await deps.hasher.burn(answer);
        all = false;
      } else if (!(await deps.hasher.verify(expected.answerHash, answer))) all = false;
    }
    return all && stored !== null && stored.length === count;
  }

  /** Counts a recovery mail for the account; false past the hourly cap. */
  async function underMailCap(accountId: string): Promise<boolean> {
    return (await store.increment(`recovery:mails:${accountId}`, 3600)) <= RECOVERY_MAILS_PER_HOUR;
  }

  /** The account a mail may go to, or the reason it may not (audited, never shown). */
  async function mailableAccount(identifier: Identifier, kind: CredentialKind): Promise<Account | string> {
    const account = await deps.accounts.findByIdentifier(identifier);
    if (!account) return 'unknown_account';
    if (account.status !== 'active') return `account_${account.status}`;
    if (!account.email) return 'no_address';
    if (!(await deps.credentials.find(account.id, kind))) return 'no_credential';
    if (!(await underMailCap(account.id))) return 'mail_cap';
    return account;
  }

  const run = (what: string, work: Promise<void>) => work.catch((err: unknown) => deps.logger.error({ err }, `${what} failed`));

  return {
    /** The questions to show, in the account's stored order, or the identifier's decoys. */
    async questionsFor(identifier: Identifier, kind: CredentialKind, linkedAccountId?: string): Promise<SecurityQuestion[]> {
      return (await target(identifier, kind, linkedAccountId)).questions;
    },

    /**
     * Checks all the answers behind the credential's lockout gate: a wrong set counts as one failure
     * on the same counter as the password (CS-03). A suspended or unknown account is always wrong.
     */
    async checkAnswers(request: { identifier: Identifier; kind: CredentialKind; linkedAccountId?: string | undefined; answers: readonly string[]; meta: RequestMeta }): Promise<AnswersOutcome> {
      const found = await target(request.identifier, request.kind, request.linkedAccountId);
      const audit = { action: 'recovery.answers', accountId: found.account?.id ?? null, clientId: request.meta.clientId, ip: request.meta.ip, userAgent: request.meta.userAgent };
      const gate = await found.lockout.gate(found.guard);
      if (gate.kind === 'blocked') {
        for (const a of request.answers) await deps.hasher.burn(a.slice(0, MAX_ANSWER));
        await deps.audit.record({ ...audit, result: 'failure', reason: 'credential_blocked' });
        return { kind: 'blocked', permanent: gate.permanent, until: gate.until };
      }
      if (await answersMatch(found.stored, found.questions.length, request.answers)) {
        await deps.audit.record({ ...audit, result: 'success', details: { kind: request.kind, viaLink: Boolean(request.linkedAccountId) } });
        return { kind: 'verified', accountId: found.account!.id };
      }
      const failure = await found.lockout.recordFailure(found.guard, gate.attempt);
      await deps.audit.record({ ...audit, result: 'failure', reason: 'wrong_answers', details: { kind: request.kind, attempt: gate.attempt, blocked: failure.blocked } });
      if (failure.blocked) return { kind: 'blocked', permanent: failure.permanent, until: failure.until };
      return { kind: 'wrong', remaining: failure.remaining };
    },

    /**
     * Sets the new secret of an account whose answers were verified, lifts the credential's block
     * (recovery is a way out of one), and tells the owner by mail. Never signs anyone in.
     */
    async setSecret(request: { accountId: string; kind: CredentialKind; secret: string; confirmation: string; meta: RequestMeta }): Promise<ChooseSecretResult> {
      const account = await deps.accounts.findById(request.accountId);
      const before = account ? await deps.credentials.find(account.id, request.kind) : null;
      if (!account || account.status !== 'active' || !before) return { ok: false, field: 'secret', problems: [{ id: 'recovery.questions.wrong', params: {} }] };
      const result = await chooseOwnSecret(
        { credentials: deps.credentials, temporarySecrets: deps.temporarySecrets, hasher: deps.hasher, clock, audit: deps.audit, config },
        { account, kind: request.kind, secret: request.secret, confirmation: request.confirmation, via: 'recovery', ip: request.meta.ip, userAgent: request.meta.userAgent, clientId: request.meta.clientId },
      );
      if (!result.ok) return result;
      await deps.lockout.unblock(before);
      await deps.audit.record({ action: 'recovery.completed', result: 'success', accountId: account.id, clientId: request.meta.clientId, ip: request.meta.ip, userAgent: request.meta.userAgent, details: { kind: request.kind } });
      if (account.email) {
        const mail = secretChangedMail(account.locale, request.kind, clock.now());
        void run('recovery notice', deps.mailer.send({ to: account.email, ...mail }));
      }
      return result;
    },

    /**
     * E-mails a temporary secret of `kind` to an active account's address. Call it after the page
     * has answered: the result is the same page for everyone; the promise settles when done.
     */
    requestTemporary(identifier: Identifier, kind: CredentialKind, meta: RequestMeta): Promise<void> {
      return run('recovery temporary secret', (async () => {
        const found = await mailableAccount(identifier, kind);
        const audit = { action: 'recovery.temporary', clientId: meta.clientId, ip: meta.ip, userAgent: meta.userAgent };
        if (typeof found === 'string') {
          await deps.audit.record({ ...audit, result: 'failure', reason: found });
          return;
        }
        const identifiers = accountWords(found);
        const acceptable = (s: string) => (kind === 'pin' ? checkPin(s, config.pinPolicy, { identifiers }) : checkPassword(s, config.passwordPolicy, { identifiers, serviceWords: SERVICE_WORDS })).ok;
        const { secret, record } = await issueTemporarySecret(
          { temporarySecrets: deps.temporarySecrets, hasher: deps.hasher, clock, audit: deps.audit },
          { account: found, kind, purpose: 'recovery', ttlSeconds: config.recovery.temporaryTtlHours * 3600, issuedBy: null, pinLength: config.pinPolicy.length, acceptable },
        );
        await deps.mailer.send({ to: found.email!, ...temporarySecretMail(found.locale, kind, secret, record.expiresAt) });
        await deps.audit.record({ ...audit, result: 'success', accountId: found.id, details: { kind, expiresAt: record.expiresAt.toISOString() } });
      })());
    },

    /**
     * Strict profile: e-mails a single-use link (a random token; only its hash is stored, with a
     * TTL) built on the configured issuer, never on the request's Host header. A newer link
     * cancels the older. Call it after the page has answered.
     */
    requestLink(identifier: Identifier, kind: CredentialKind, uid: string, meta: RequestMeta): Promise<void> {
      return run('recovery link', (async () => {
        const found = await mailableAccount(identifier, kind);
        const audit = { action: 'recovery.link', clientId: meta.clientId, ip: meta.ip, userAgent: meta.userAgent };
        if (typeof found === 'string') {
          await deps.audit.record({ ...audit, result: 'failure', reason: found });
          return;
        }
        const token = randomToken(32);
        const ttl = config.recovery.linkTtlMinutes * 60;
        const expiresAt = new Date(clock.now().getTime() + ttl * 1000);
        const grant: LinkGrant = { accountId: found.id, identifier, kind, uid, expiresAt: expiresAt.toISOString() };
        const previous = await store.get(`recovery:link-of:${found.id}`);
        if (previous) await store.delete(linkKey(previous));
        await store.set(linkKey(sha256(token)), JSON.stringify(grant), ttl);
        await store.set(`recovery:link-of:${found.id}`, sha256(token), ttl);
        const link = new URL(`/recovery/${encodeURIComponent(uid)}/link`, config.issuer);
        link.searchParams.set('token', token);
        await deps.mailer.send({ to: found.email!, ...recoveryLinkMail(found.locale, kind, link.href, expiresAt) });
        await deps.audit.record({ ...audit, result: 'success', accountId: found.id, details: { kind, expiresAt: grant.expiresAt } });
      })());
    },

    /** Redeems a link's token once: the grant it carried, or null (unknown, used, superseded, expired, other login). */
    async followLink(uid: string, token: string, meta: RequestMeta): Promise<LinkGrant | null> {
      const hash = sha256(token);
      const raw = token.length > 0 && token.length <= 128 ? await store.get(linkKey(hash)) : null;
      const grant = raw ? (JSON.parse(raw) as LinkGrant) : null;
      const audit = { action: 'recovery.link.followed', clientId: meta.clientId, ip: meta.ip, userAgent: meta.userAgent };
      if (!grant || grant.uid !== uid) {
        await deps.audit.record({ ...audit, result: 'failure', reason: 'unknown_link' });
        return null;
      }
      const fresh = new Date(grant.expiresAt) > clock.now();
      // Of two concurrent follows of one link only one wins the mark (single use).
      const first = fresh && (await store.setIfAbsent(`recovery:link-used:${hash}`, '1', config.recovery.linkTtlMinutes * 60));
      await store.delete(linkKey(hash));
      if (!first) {
        await deps.audit.record({ ...audit, result: 'failure', accountId: grant.accountId, reason: fresh ? 'link_used' : 'link_expired' });
        return null;
      }
      await deps.audit.record({ ...audit, result: 'success', accountId: grant.accountId });
      return grant;
    },
  };
}

export type Recovery = ReturnType<typeof createRecovery>;
