import type { Account } from '../domain/account.js';
import type { CredentialKind } from '../domain/credential.js';
import type { AuditLog, CredentialRepository, TemporarySecretRepository } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../lib/clock.js';
import { normaliseForHash } from '../authenticators/secret/secret-authenticator.js';
import { checkPassword, checkPin, describePasswordRejection, describePinRejection } from '../policy/secret-policy.js';

/** Words tied to the service that no password may contain (ASVS 5.0 6.2.11). */
export const SERVICE_WORDS = ['guichet'];

export interface ChooseSecretDependencies {
  credentials: Pick<CredentialRepository, 'find' | 'upsert'>;
  temporarySecrets: Pick<TemporarySecretRepository, 'remove'>;
  hasher: PasswordHasher;
  clock: Clock;
  audit: AuditLog;
  config: Readonly<Pick<Config, 'passwordPolicy' | 'pinPolicy' | 'expiry'>>;
}

/** Why a chosen secret is refused: message ids of the pages' catalogue with their parameters. */
export type ChooseSecretResult = { ok: true } | { ok: false; field: 'secret' | 'confirmation'; problems: { id: string; params: Record<string, string> }[] };

/** The account's own words (identifiers, e-mail, names) that no secret may reuse. */
export const accountWords = (account: Account, subscriptionIdentifier?: string | null): string[] =>
  [account.username, account.userNumber, account.email, account.email?.split('@')[0], account.familyName, account.givenName, subscriptionIdentifier].filter((v): v is string => typeof v === 'string' && v !== '');

/**
 * The one way a person sets their own password or code (first login, forced change, recovery,
 * profile): typed twice, checked against the policy, different from the current one, stored as
 * argon2id with the configured expiry; any temporary secret of the account is cancelled.
 */
export async function chooseOwnSecret(
  deps: ChooseSecretDependencies,
  request: { account: Account; kind: CredentialKind; secret: string; confirmation: string; subscriptionIdentifier?: string | null; via: string; ip?: string | null; userAgent?: string | null; clientId?: string | null },
): Promise<ChooseSecretResult> {
  const { account, kind, secret } = request;
  const identifiers = accountWords(account, request.subscriptionIdentifier);
  const check = kind === 'pin' ? checkPin(secret, deps.config.pinPolicy, { identifiers }) : checkPassword(secret, deps.config.passwordPolicy, { identifiers, serviceWords: SERVICE_WORDS });
  if (!check.ok) {
    const problems = kind === 'pin' ? (check.reasons as Parameters<typeof describePinRejection>[0][]).map((r) => describePinRejection(r, deps.config.pinPolicy)) : (check.reasons as Parameters<typeof describePasswordRejection>[0][]).map((r) => describePasswordRejection(r, deps.config.passwordPolicy));
    return { ok: false, field: 'secret', problems };
  }
  if (secret !== request.confirmation) return { ok: false, field: 'confirmation', problems: [{ id: 'secret.confirmation_mismatch', params: {} }] };
  const normalised = normaliseForHash(secret);
  const current = await deps.credentials.find(account.id, kind);
  if (current && (await deps.hasher.verify(current.secretHash, normalised))) return { ok: false, field: 'secret', problems: [{ id: 'secret.same_as_current', params: {} }] };
  const now = deps.clock.now();
  const days = deps.config.expiry[kind].days;
  await deps.credentials.upsert({ accountId: account.id, kind, secretHash: await deps.hasher.hash(normalised), setAt: now, mustChange: false, expiresAt: days > 0 ? new Date(now.getTime() + days * 86400_000) : null });
  await deps.temporarySecrets.remove(account.id);
  await deps.audit.record({ action: `credential.${kind}.changed`, result: 'success', actor: `account:${account.id}`, accountId: account.id, clientId: request.clientId ?? null, ip: request.ip ?? null, userAgent: request.userAgent ?? null, details: { via: request.via } });
  return { ok: true };
}
