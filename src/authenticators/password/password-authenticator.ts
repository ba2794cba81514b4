import { z } from 'zod';
import type { CredentialRepository } from '../../domain/ports.js';
import type { PasswordHasher } from '../../domain/password-hasher.js';
import type { Authenticator } from '../contract.js';

const input = z.object({ password: z.string().min(1).max(1024) });
type Input = z.infer<typeof input>;
export interface PasswordEvidence {
  credentialId: string;
  rehash: string | null;
}

export interface PasswordDependencies {
  credentials: CredentialRepository;
  hasher: PasswordHasher;
}

/**
 * Something the user knows, checked against an argon2id hash. An unknown account or a missing
 * credential still spends one hash (burn) so that time tells nothing about which accounts exist.
 */
export function createPasswordAuthenticator(deps: PasswordDependencies) {
  return {
    id: 'password',
    factors: ['knowledge'],
    amr: ['pwd'],
    requiresAccount: true,
    input,
    async isEnrolled(ctx) {
      return ctx.account !== null && (await deps.credentials.find(ctx.account.id, 'password')) !== null;
    },
    async begin() {
      return undefined;
    },
    async verify(ctx, { password }) {
      const credential = ctx.account ? await deps.credentials.find(ctx.account.id, 'password') : null;
      if (!ctx.account || !credential) {
        await deps.hasher.burn(password);
        return { kind: 'rejected', reason: ctx.account ? 'no_credential' : 'unknown_account' };
      }
      if (!(await deps.hasher.verify(credential.secretHash, password))) return { kind: 'rejected', reason: 'wrong_secret' };
      const rehash = deps.hasher.needsRehash(credential.secretHash) ? await deps.hasher.hash(password) : null;
      return { kind: 'verified', accountId: ctx.account.id, evidence: { credentialId: credential.id, rehash } };
    },
    async commit(ctx, evidence) {
      if (evidence.rehash) await deps.credentials.replaceHash(evidence.credentialId, evidence.rehash);
      await deps.credentials.recordSuccess(evidence.credentialId, ctx.now);
    },
  } satisfies Authenticator<Input, undefined, PasswordEvidence>;
}
