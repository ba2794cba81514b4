import { createHash } from 'node:crypto';
import type { Account, Identifier } from '../domain/account.js';
import type { GuardedCredential, SecretCredential } from '../domain/credential.js';
import type { TemporarySecret } from '../domain/life-cycle.js';
import type { AccountRepository, AuditLog, TemporarySecretRepository } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import type { AuthContext } from '../authenticators/contract.js';
import type { SecretAuthenticator } from '../authenticators/secret/secret-authenticator.js';
import type { Clock } from '../lib/clock.js';
import { useTemporarySecret } from '../authenticators/secret/temporary-secret.js';
import type { Lockout } from '../policy/lockout.js';
import { identifierKey } from './identifier.js';

export type SimpleFactor = 'password' | 'pin';

export type FirstFactorResult =
  /** `temporarySecretUsed`: an administrator's or an e-mailed temporary secret let the user in; a new secret must now be chosen. */
  /** `credential`: the secret as read before this success (its expiry and must-change flag still hold), to spare the caller a query. */
  /** `temporaryPurpose`: whose temporary secret it was: an administrator's (`admin`, given in an assisted session) or an e-mailed one (`recovery`). */
  | { kind: 'verified'; account: Account; amr: string[]; authenticator: SecretAuthenticator; temporarySecretUsed: boolean; temporaryPurpose?: 'admin' | 'recovery' | undefined; credential: SecretCredential | null }
  | { kind: 'failed'; accountId: string | null; reason: string; remaining: number | null }
  | { kind: 'blocked'; accountId: string | null; permanent: boolean; until: Date | null }
  | { kind: 'suspended'; account: Account };

export interface FirstFactorDependencies {
  accounts: Pick<AccountRepository, 'findForLogin'>;
  audit: AuditLog;
  hasher: PasswordHasher;
  authenticators: Record<SimpleFactor, SecretAuthenticator>;
  /** Lockout of real credentials (durable), and of identifiers that match no account (store only). */
  lockout: Lockout;
  unknownLockout: Lockout;
  /** Temporary secrets, tried before the account's own secret, with their own lockout (store only, keyed by the temporary secret). */
  temporarySecrets: TemporarySecretRepository;
  temporaryLockout: Lockout;
  clock: Clock;
}

/**
 * One simple-factor attempt: find the account, count the attempt (lockout gate), check the secret,
 * record the outcome. Unknown identifiers walk the same path (a pseudo-credential, a burnt hash)
 * so the answer and its timing do not tell whether the account exists (ASVS 5.0 6.3.8). A live
 * temporary secret of the factor's kind is tried first; when it matches, the login goes on only to
 * the second factor (if enrolled) and the choice of a new secret (`temporarySecretUsed`).
 */
export async function verifyFirstFactor(
  deps: FirstFactorDependencies,
  request: {
    identifier: Identifier;
    factor: SimpleFactor;
    secret: string;
    auth: Omit<AuthContext, 'account'>;
    clientId: string;
    /** The caller's own bookkeeping of a success (the abuse guard's counters), run beside the lockout's reset: one round trip. */
    onVerified?: () => Promise<unknown>;
  },
): Promise<FirstFactorResult> {
  const { identifier, factor, secret, auth } = request;
  const onVerified = request.onVerified ?? (async () => undefined);
  // One query for the account, its credential and its temporary secret.
  const found = await deps.accounts.findForLogin(identifier, factor);
  const account = found?.account ?? null;
  const credential = found?.credential ?? null;
  const guard: GuardedCredential = credential ?? {
    id: `unknown:${factor}:${createHash('sha256').update(identifierKey(identifier)).digest('base64url').slice(0, 22)}`,
    accountId: '',
    kind: factor,
    failedCount: 0,
    blockedAt: null,
    blockedUntil: null,
    blockCount: 0,
  };
  const lockout = credential ? deps.lockout : deps.unknownLockout;
  const audit = { action: `login.${factor}`, accountId: account?.id ?? null, clientId: request.clientId, ip: auth.ip, userAgent: auth.userAgent, details: { factor } };

  if (account?.status === 'blocked') {
    await deps.hasher.burn(secret);
    await deps.audit.record({ ...audit, result: 'failure', reason: 'account_blocked' });
    return { kind: 'blocked', accountId: account.id, permanent: true, until: null };
  }
  if (account && (account.status === 'active' || account.status === 'pending_registration') && (await tryTemporarySecret(deps, account, found?.temporarySecret ?? null, factor, secret, audit)) === 'used') {
    // The ordinary credential's counters go: its next generation must not start exhausted once the
    // user has chosen a new secret (which resets its durable state).
    await Promise.all([credential ? deps.lockout.reset(credential) : undefined, onVerified()]);
    await deps.audit.record({ ...audit, result: 'success', details: { factor, temporary: true } });
    return { kind: 'verified', account, amr: [...deps.authenticators[factor].amr], authenticator: deps.authenticators[factor], temporarySecretUsed: true, temporaryPurpose: found?.temporarySecret?.purpose, credential };
  }
  const gate = await lockout.gate(guard);
  if (gate.kind === 'blocked') {
    await deps.hasher.burn(secret);
    await deps.audit.record({ ...audit, result: 'failure', reason: 'credential_blocked' });
    return { kind: 'blocked', accountId: account?.id ?? null, permanent: gate.permanent, until: gate.until };
  }
  const authenticator = deps.authenticators[factor];
  const outcome = await authenticator.verify({ ...auth, account }, { secret }, undefined, credential);
  if (outcome.kind !== 'verified') {
    const reason = outcome.kind === 'rejected' ? outcome.reason : 'not_applicable';
    const failure = await lockout.recordFailure(guard, gate.attempt);
    await deps.audit.record({ ...audit, result: 'failure', reason, details: { factor, attempt: gate.attempt, blocked: failure.blocked } });
    if (failure.blocked) {
      if (credential) await deps.audit.record({ ...audit, action: 'credential.blocked', result: 'success', reason: failure.permanent ? 'permanent' : 'temporary' });
      return { kind: 'blocked', accountId: account?.id ?? null, permanent: failure.permanent, until: failure.until };
    }
    return { kind: 'failed', accountId: account?.id ?? null, reason, remaining: failure.remaining };
  }
  if (account!.status === 'suspended') {
    await deps.audit.record({ ...audit, result: 'failure', reason: 'account_suspended' });
    return { kind: 'suspended', account: account! };
  }
  // The credential's success and its audit event: one statement, durable together.
  // The store's counters are reset at the same time (Postgres and Redis answer in parallel).
  await Promise.all([authenticator.commit({ ...auth, account }, outcome.evidence, { ...audit, result: 'success' }), lockout.reset(guard), onVerified()]);
  return { kind: 'verified', account: account!, amr: [...authenticator.amr], authenticator, temporarySecretUsed: false, credential };
}

/**
 * Checks the typed secret against the account's live temporary secret of this kind, under a lockout
 * of its own: a blocked ordinary credential does not stop it, and five wrong tries delete it. Used,
 * expired and superseded ones are simply not there (`none`): the ordinary path answers as for any
 * wrong secret.
 */
async function tryTemporarySecret(
  deps: FirstFactorDependencies,
  account: Account,
  temporary: TemporarySecret | null,
  factor: SimpleFactor,
  secret: string,
  audit: { action: string; accountId: string | null; clientId: string; ip: string | null | undefined; userAgent: string | null | undefined },
): Promise<'used' | 'wrong' | 'none'> {
  if (!temporary || temporary.kind !== factor) return 'none';
  const use = () => useTemporarySecret({ temporarySecrets: deps.temporarySecrets, hasher: deps.hasher, clock: deps.clock, audit: deps.audit }, { accountId: account.id, kind: factor, secret });
  if (temporary.expiresAt.getTime() <= deps.clock.now().getTime()) return use(); // deletes it: `none`
  const guard: GuardedCredential = { id: `temporary:${temporary.id}`, accountId: account.id, kind: factor, failedCount: 0, blockedAt: null, blockedUntil: null, blockCount: 0 };
  const gate = await deps.temporaryLockout.gate(guard);
  if (gate.kind === 'blocked') {
    await deps.temporarySecrets.consume(temporary.id);
    return 'none';
  }
  const outcome = await use();
  if (outcome === 'used') {
    await deps.temporaryLockout.reset(guard);
    return 'used';
  }
  if (outcome === 'wrong') {
    const failure = await deps.temporaryLockout.recordFailure(guard, gate.attempt);
    await deps.audit.record({ ...audit, action: 'temporary_secret.used', result: 'failure', reason: 'wrong_secret', details: { factor, attempt: gate.attempt, blocked: failure.blocked } });
    if (failure.blocked) await deps.temporarySecrets.consume(temporary.id);
  }
  return outcome;
}
