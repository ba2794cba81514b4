import { createHash } from 'node:crypto';
import type { Account, Identifier } from '../domain/account.js';
import type { GuardedCredential } from '../domain/credential.js';
import type { AccountRepository, AuditLog, CredentialRepository } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import type { AuthContext } from '../authenticators/contract.js';
import type { SecretAuthenticator } from '../authenticators/secret/secret-authenticator.js';
import type { Lockout } from '../policy/lockout.js';
import { identifierKey } from './identifier.js';

export type SimpleFactor = 'password' | 'pin';

export type FirstFactorResult =
  | { kind: 'verified'; account: Account; amr: string[]; authenticator: SecretAuthenticator }
  | { kind: 'failed'; accountId: string | null; reason: string; remaining: number | null }
  | { kind: 'blocked'; accountId: string | null; permanent: boolean; until: Date | null }
  | { kind: 'suspended'; account: Account };

export interface FirstFactorDependencies {
  accounts: Pick<AccountRepository, 'findByIdentifier'>;
  credentials: Pick<CredentialRepository, 'find'>;
  audit: AuditLog;
  hasher: PasswordHasher;
  authenticators: Record<SimpleFactor, SecretAuthenticator>;
  /** Lockout of real credentials (durable), and of identifiers that match no account (store only). */
  lockout: Lockout;
  unknownLockout: Lockout;
}

/**
 * One simple-factor attempt: find the account, count the attempt (lockout gate), check the secret,
 * record the outcome. Unknown identifiers walk the same path (a pseudo-credential, a burnt hash)
 * so the answer and its timing do not tell whether the account exists (ASVS 5.0 6.3.8).
 */
export async function verifyFirstFactor(
  deps: FirstFactorDependencies,
  request: { identifier: Identifier; factor: SimpleFactor; secret: string; auth: Omit<AuthContext, 'account'>; clientId: string },
): Promise<FirstFactorResult> {
  const { identifier, factor, secret, auth } = request;
  const account = await deps.accounts.findByIdentifier(identifier);
  const credential = account ? await deps.credentials.find(account.id, factor) : null;
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
  await authenticator.commit({ ...auth, account }, outcome.evidence);
  await lockout.reset(guard);
  await deps.audit.record({ ...audit, result: 'success' });
  return { kind: 'verified', account: account!, amr: [...authenticator.amr], authenticator };
}
