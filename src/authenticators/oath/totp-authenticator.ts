import { z } from 'zod';
import type { FactorCredential } from '../../domain/credential.js';
import type { Authenticator } from '../contract.js';
import { checkTotp } from './oath-codes.js';
import { verifyOathCode, type OathEvidence, type TotpData } from './oath-credential.js';
import { resolveOathPolicy, type OathDependencies } from './oath-policy.js';

const input = z.object({ code: z.string().min(1).max(32) });
type Input = z.infer<typeof input>;

/**
 * TOTP (RFC 6238) from an authenticator app: ±totpWindowSteps around the server's clock (never the
 * browser's: ASVS 6.5.8), never a step at or before the last accepted one.
 */
export function createTotpAuthenticator(deps: OathDependencies) {
  const policy = resolveOathPolicy(deps.policy);
  return {
    id: 'totp',
    factors: ['possession'],
    // RFC 8176 §2: "otp" names RFC 6238 codes; "swk" is proof of possession of a software-secured
    // key, which is where an authenticator app keeps the seed (phone storage, not a secure element
    // Guichet can attest).
    amr: ['otp', 'swk'],
    requiresAccount: true,
    input,
    async isEnrolled(ctx) {
      return ctx.account !== null && (await deps.factors.listForAccount(ctx.account.id, 'totp')).length > 0;
    },
    async begin() {
      return undefined;
    },
    /** Pass the credentials already loaded (the lockout gate read them) to save a query. */
    async verify(ctx, { code }, _challenge?: undefined, loaded?: readonly FactorCredential<TotpData>[]) {
      const now = deps.clock.now();
      return verifyOathCode<TotpData>(deps, ctx, 'totp', code, loaded, (c, key, submitted) =>
        checkTotp(key, submitted, { ...c.data, now, last: c.counter, windowSteps: policy.totpWindowSteps }),
      );
    },
    async commit(_ctx, evidence) {
      await deps.factors.recordUse(evidence.credentialId, deps.clock.now());
    },
  } satisfies Authenticator<Input, undefined, OathEvidence>;
}

export type TotpAuthenticator = ReturnType<typeof createTotpAuthenticator>;
