import { z } from 'zod';
import type { FactorCredential } from '../../domain/credential.js';
import type { AuthContext, Authenticator, VerifyOutcome } from '../contract.js';
import { checkHotp, checkHotpResync, decodeBase32, normaliseCode } from './oath-codes.js';
import { isBlocked, verifyOathCode, type HotpData, type OathEvidence } from './oath-credential.js';
import { resolveOathPolicy, type OathDependencies } from './oath-policy.js';

const input = z.object({ code: z.string().min(1).max(32) });
type Input = z.infer<typeof input>;

/**
 * HOTP (RFC 4226) from a hardware token imported by an administrator: counters last+1 …
 * last+hotpLookAhead; a fresh token's counter 0 is valid; two-code resynchronisation over a larger
 * window (§7.4).
 */
export function createHotpAuthenticator(deps: OathDependencies) {
  const policy = resolveOathPolicy(deps.policy);
  const authenticator = {
    id: 'hotp',
    factors: ['possession'],
    // RFC 8176 §2: "otp" names RFC 4226 codes; "hwk" is proof of possession of a hardware-secured
    // key: the seed never leaves the token's hardware, the code shows it is in the user's hands.
    amr: ['otp', 'hwk'],
    requiresAccount: true,
    input,
    async isEnrolled(ctx) {
      return ctx.account !== null && (await deps.factors.listForAccount(ctx.account.id, 'hotp')).length > 0;
    },
    async begin() {
      return undefined;
    },
    /** Pass the credentials already loaded (the lockout gate read them) to save a query. */
    async verify(ctx, { code }, _challenge?: undefined, loaded?: readonly FactorCredential<HotpData>[]) {
      return verifyOathCode<HotpData>(deps, ctx, 'hotp', code, loaded, (c, key, submitted) =>
        checkHotp(key, submitted, { ...c.data, last: c.counter, lookAhead: policy.hotpLookAhead }),
      );
    },
    async commit(_ctx, evidence) {
      await deps.factors.recordUse(evidence.credentialId, deps.clock.now());
    },
  } satisfies Authenticator<Input, undefined, OathEvidence>;

  return {
    ...authenticator,
    /**
     * RFC 4226 §7.4: two consecutive codes searched over hotpResyncWindow counters; on success the
     * counter moves past the second, so both codes (and every earlier one) are spent. A rejection
     * counts toward lockout like any other (the caller gates it the same way).
     */
    async resynchronise(ctx: AuthContext, credentialId: string, first: string, second: string): Promise<VerifyOutcome<OathEvidence>> {
      if (!ctx.account) return { kind: 'rejected', reason: 'unknown_account' };
      const credential = await deps.factors.findById<HotpData>(credentialId);
      if (!credential || credential.kind !== 'hotp' || credential.accountId !== ctx.account.id) return { kind: 'rejected', reason: 'no_credential' };
      if (isBlocked(credential, deps.clock.now())) return { kind: 'rejected', reason: 'credential_blocked' };
      const key = decodeBase32(credential.data.secret);
      const result = checkHotpResync(key, normaliseCode(first), normaliseCode(second), { ...credential.data, last: credential.counter, window: policy.hotpResyncWindow });
      if (result.kind !== 'match') return { kind: 'rejected', reason: 'wrong_secret' };
      if (!(await deps.factors.advanceCounter(credential.id, result.counter))) return { kind: 'rejected', reason: 'replayed' };
      return { kind: 'verified', accountId: ctx.account.id, evidence: { credentialId: credential.id, kind: 'hotp', counter: result.counter, drift: result.drift } };
    },
  };
}

export type HotpAuthenticator = ReturnType<typeof createHotpAuthenticator>;
