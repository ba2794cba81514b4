import type { Account } from '../domain/account.js';
import type { ZodType } from 'zod';

export type AuthenticatorId = 'password' | 'pin' | 'security-questions' | 'emv-cap' | 'totp' | 'hotp' | 'webauthn' | 'x509';
export type FactorClass = 'knowledge' | 'possession' | 'inherence';
/** RFC 8176 authentication method reference values. */
export type AmrValue = 'pwd' | 'pin' | 'otp' | 'hwk' | 'swk' | 'user' | 'pop' | 'mfa' | 'sc' | 'kba' | 'face' | 'fpt';

/** What a factor gets to decide: the account, the time, the request and the transaction being authorised. */
export interface AuthContext {
  flowId: string;
  account: Account | null;
  now: Date;
  ip: string;
  userAgent: string;
  transaction?: { amount?: string; currency?: string; payee?: string } | undefined;
}

export type RejectReason = 'wrong_secret' | 'unknown_account' | 'no_credential' | 'credential_blocked' | 'account_suspended' | 'replayed' | 'counter_regression';

export type VerifyOutcome<E> =
  | { kind: 'verified'; accountId: string; evidence: E }
  | { kind: 'rejected'; reason: RejectReason }
  | { kind: 'not-applicable' };

/** One way to prove who you are; see STYLE.md "The Authenticator contract". */
export interface Authenticator<Input, Challenge = undefined, Evidence = undefined> {
  readonly id: AuthenticatorId;
  readonly factors: readonly FactorClass[];
  readonly amr: readonly AmrValue[];
  readonly requiresAccount: boolean;
  readonly input: ZodType<Input>;
  isEnrolled(ctx: AuthContext): Promise<boolean>;
  begin(ctx: AuthContext): Promise<Challenge>;
  verify(ctx: AuthContext, input: Input, challenge: Challenge): Promise<VerifyOutcome<Evidence>>;
  commit?(ctx: AuthContext, evidence: Evidence): Promise<void>;
}
