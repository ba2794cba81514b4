import { z } from 'zod';
import type { CredentialRepository } from '../../domain/ports.js';
import type { PasswordHasher } from '../../domain/password-hasher.js';
import type { SecretCredential } from '../../domain/credential.js';
import type { AuditEvent } from '../../domain/audit.js';
import type { AmrValue, Authenticator } from '../contract.js';

const input = z.object({ secret: z.string().min(1).max(1024) });
type Input = z.infer<typeof input>;

export interface SecretEvidence {
  credentialId: string;
  rehash: string | null;
}

export interface SecretDependencies {
  credentials: CredentialRepository;
  hasher: PasswordHasher;
}

/** Secrets are compared as NFKC (NIST 800-63B §5.1.1.2): never trimmed, case-folded or truncated. */
export const normaliseForHash = (secret: string): string => secret.normalize('NFKC');

/**
 * Something the user knows (a password or a confidential code), checked against an argon2id hash.
 * An unknown account or a missing credential still spends one hash (burn), so that time tells
 * nothing about which accounts exist. Lockout is applied around it, by the flow, for every factor.
 */
export function createSecretAuthenticator(options: { id: 'password' | 'pin'; amr: readonly AmrValue[] }, deps: SecretDependencies) {
  const kind = options.id;
  return {
    id: options.id,
    factors: ['knowledge'],
    amr: options.amr,
    requiresAccount: true,
    input,
    async isEnrolled(ctx) {
      return ctx.account !== null && (await deps.credentials.find(ctx.account.id, kind)) !== null;
    },
    async begin() {
      return undefined;
    },
    /** Pass the credential already loaded (the lockout gate read it) to save a query. */
    async verify(ctx, { secret }, _challenge?: undefined, loaded?: SecretCredential | null) {
      const credential = loaded !== undefined ? loaded : ctx.account ? await deps.credentials.find(ctx.account.id, kind) : null;
      const normalised = normaliseForHash(secret);
      if (!ctx.account || !credential) {
        await deps.hasher.burn(normalised);
        return { kind: 'rejected', reason: ctx.account ? 'no_credential' : 'unknown_account' };
      }
      if (!(await deps.hasher.verify(credential.secretHash, normalised))) return { kind: 'rejected', reason: 'wrong_secret' };
      const rehash = deps.hasher.needsRehash(credential.secretHash) ? await deps.hasher.hash(normalised) : null;
      return { kind: 'verified', accountId: ctx.account.id, evidence: { credentialId: credential.id, rehash } };
    },
    /** `audit`: the login's success event, written with the credential's update (one statement). */
    async commit(ctx, evidence, audit?: AuditEvent) {
      if (evidence.rehash) await deps.credentials.replaceHash(evidence.credentialId, evidence.rehash);
      await deps.credentials.recordSuccess(evidence.credentialId, ctx.now, audit);
    },
  } satisfies Authenticator<Input, undefined, SecretEvidence>;
}

export type SecretAuthenticator = ReturnType<typeof createSecretAuthenticator>;
