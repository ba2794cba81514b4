import { createHash } from 'node:crypto';
import type { Account } from '../domain/account.js';
import type { FactorCredential, GuardedCredential } from '../domain/credential.js';
import type { AuditLog, FactorCredentialRepository } from '../domain/ports.js';
import type { AmrValue, AuthContext, FactorClass, VerifyOutcome } from '../authenticators/contract.js';
import type { Lockout } from '../policy/lockout.js';

/** A strong factor the user answers with a typed code (OATH app or token, CAP reader in identify mode). */
export interface CodeFactor {
  id: 'totp' | 'hotp' | 'emv-cap';
  factors: readonly FactorClass[];
  amr: readonly AmrValue[];
  verify(ctx: AuthContext, input: { code: string }): Promise<VerifyOutcome<{ credentialId: string }>>;
  commit?(ctx: AuthContext, evidence: never): Promise<void>;
}

export type SecondFactorResult =
  | { kind: 'verified'; factor: CodeFactor }
  | { kind: 'failed'; reason: string }
  | { kind: 'blocked'; permanent: boolean; until: Date | null };

export interface SecondFactorDependencies {
  factors: Pick<FactorCredentialRepository, 'listForAccount'>;
  codeFactors: readonly CodeFactor[];
  audit: AuditLog;
  lockout: Lockout;
}

/** Without an enrolled factor, failures count on a pseudo-credential of that identifier (store only). */
const pseudo = (subject: string): GuardedCredential => ({
  id: `unknown:second-factor:${createHash('sha256').update(subject).digest('base64url').slice(0, 22)}`,
  accountId: '',
  kind: 'totp',
  failedCount: 0,
  blockedAt: null,
  blockedUntil: null,
  blockCount: 0,
});

/** The kinds of code factor this account has enrolled, in the order they are tried. */
export async function enrolledCodeFactors(deps: SecondFactorDependencies, accountId: string, alone = false): Promise<{ factor: CodeFactor; credential: FactorCredential }[]> {
  const credentials = await deps.factors.listForAccount<Record<string, unknown>>(accountId);
  // Alone (no first factor), only a factor proving two classes by itself will do (card + PIN).
  const usable = alone ? deps.codeFactors.filter((f) => new Set(f.factors).size >= 2) : deps.codeFactors;
  return usable.flatMap((factor) => {
    const credential = credentials.find((c) => c.kind === factor.id);
    return credential ? [{ factor, credential }] : [];
  });
}

/**
 * The second step of an SCA login: one typed code, tried against each enrolled code factor. The
 * verdict waits for both factors (PSD2 RTS art. 4(3)(a)): when the first factor failed, the code is
 * still taken and checked (and used up), and the answer is the same generic failure.
 * Failures count against the account's first strong credential through the shared lockout.
 */
export async function verifySecondFactor(
  deps: SecondFactorDependencies,
  request: { account: Account | null; firstFactorPassed: boolean; alone?: boolean; subject: string; code: string; auth: Omit<AuthContext, 'account'>; clientId: string },
): Promise<SecondFactorResult> {
  const { account, auth } = request;
  const enrolled = account ? await enrolledCodeFactors(deps, account.id, request.alone === true) : [];
  const guard = enrolled[0]?.credential ?? pseudo(request.subject);
  const audit = { action: 'login.second_factor', accountId: account?.id ?? null, clientId: request.clientId, ip: auth.ip, userAgent: auth.userAgent };
  const gate = await deps.lockout.gate(guard);
  if (gate.kind === 'blocked') {
    await deps.audit.record({ ...audit, result: 'failure', reason: 'credential_blocked' });
    return { kind: 'blocked', permanent: gate.permanent, until: gate.until };
  }
  const code = request.code.replace(/\s+/g, '');
  let verified: CodeFactor | undefined;
  let reason = enrolled.length === 0 ? 'no_credential' : 'wrong_code';
  // OATH codes have 6 or 8 digits; card-reader codes up to 10, fewer when the reader does not pad.
  if (/^\d{1,10}$/.test(code)) {
    for (const { factor } of enrolled) {
      const outcome = await factor.verify({ ...auth, account }, { code });
      if (outcome.kind === 'verified') {
        verified = factor;
        await factor.commit?.({ ...auth, account }, outcome.evidence as never);
        break;
      }
      if (outcome.kind === 'rejected' && outcome.reason === 'replayed') reason = 'replayed';
    }
  } else reason = 'malformed_code';
  if (verified && request.firstFactorPassed) {
    await deps.lockout.reset(guard);
    await deps.audit.record({ ...audit, result: 'success', details: { factor: verified.id } });
    return { kind: 'verified', factor: verified };
  }
  const why = verified ? 'first_factor_failed' : reason;
  if (!verified) {
    const failure = await deps.lockout.recordFailure(guard, gate.attempt);
    if (failure.blocked) {
      await deps.audit.record({ ...audit, result: 'failure', reason: why, details: { blocked: true } });
      return { kind: 'blocked', permanent: failure.permanent, until: failure.until };
    }
  }
  await deps.audit.record({ ...audit, result: 'failure', reason: why });
  return { kind: 'failed', reason: why };
}
