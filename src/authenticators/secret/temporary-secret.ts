import { randomInt } from 'node:crypto';
import type { Account } from '../../domain/account.js';
import type { CredentialKind } from '../../domain/credential.js';
import type { TemporarySecret } from '../../domain/life-cycle.js';
import type { AuditLog, TemporarySecretRepository } from '../../domain/ports.js';
import type { PasswordHasher } from '../../domain/password-hasher.js';
import type { Clock } from '../../lib/clock.js';
import { normaliseForHash } from './secret-authenticator.js';

/** No look-alikes (0/O, 1/l/I): a temporary password is read from a mail or a screen and typed. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const PASSWORD_LENGTH = 14; // ≈ 80 bits from a CSPRNG (ASVS 5.0 6.4.1, 6.5.2: at least 20)

/**
 * A fresh temporary secret in the shape of its kind: a password of 14 random characters, or a
 * confidential code of `pinLength` random digits. `acceptable` lets the caller re-draw one its
 * policy refuses (a code such as 123456 is refused for users, so it is never issued either).
 */
export function generateTemporarySecret(kind: CredentialKind, pinLength: number, acceptable: (secret: string) => boolean = () => true): string {
  for (;;) {
    const secret =
      kind === 'pin'
        ? Array.from({ length: pinLength }, () => String(randomInt(10))).join('')
        : Array.from({ length: PASSWORD_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    if (acceptable(secret)) return secret;
  }
}

export interface TemporarySecretDependencies {
  temporarySecrets: TemporarySecretRepository;
  hasher: PasswordHasher;
  clock: Clock;
  audit: AuditLog;
}

/**
 * Issues a temporary secret for an account: stored hashed (argon2id), single use, expiring, and
 * replacing any older one. The plain value is returned once, to be shown or sent, and never kept.
 */
export async function issueTemporarySecret(
  deps: TemporarySecretDependencies,
  request: { account: Account; kind: CredentialKind; purpose: TemporarySecret['purpose']; ttlSeconds: number; issuedBy: string | null; pinLength: number; acceptable?: (secret: string) => boolean },
): Promise<{ secret: string; record: TemporarySecret }> {
  const secret = generateTemporarySecret(request.kind, request.pinLength, request.acceptable);
  const now = deps.clock.now();
  const record = await deps.temporarySecrets.issue(
    {
      accountId: request.account.id,
      kind: request.kind,
      secretHash: await deps.hasher.hash(normaliseForHash(secret)),
      purpose: request.purpose,
      issuedBy: request.issuedBy,
      expiresAt: new Date(now.getTime() + request.ttlSeconds * 1000),
    },
    now,
  );
  await deps.audit.record({ action: 'temporary_secret.issued', result: 'success', actor: request.issuedBy, accountId: request.account.id, details: { kind: request.kind, purpose: request.purpose, expiresAt: record.expiresAt.toISOString() } });
  return { secret, record };
}

/**
 * Checks a secret against the account's live temporary secret of that kind and, when it matches,
 * consumes it: of two concurrent submissions only one gets `used`. Expired ones are deleted.
 */
export async function useTemporarySecret(
  deps: TemporarySecretDependencies,
  request: { accountId: string; kind: CredentialKind; secret: string },
): Promise<'used' | 'wrong' | 'none'> {
  const temporary = await deps.temporarySecrets.find(request.accountId);
  if (!temporary || temporary.kind !== request.kind) return 'none';
  if (temporary.expiresAt.getTime() <= deps.clock.now().getTime()) {
    await deps.temporarySecrets.consume(temporary.id);
    return 'none';
  }
  if (!(await deps.hasher.verify(temporary.secretHash, normaliseForHash(request.secret)))) return 'wrong';
  return (await deps.temporarySecrets.consume(temporary.id)) ? 'used' : 'wrong';
}
