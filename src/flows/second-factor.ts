import { createHash, randomInt } from 'node:crypto';
import type { Account } from '../domain/account.js';
import type { FactorCredential, GuardedCredential } from '../domain/credential.js';
import type { AuditLog, FactorCredentialRepository } from '../domain/ports.js';
import type { AmrValue, AuthContext, FactorClass, VerifyOutcome } from '../authenticators/contract.js';
import type { Lockout } from '../policy/lockout.js';
import { IDENTIFY, type CapRequest } from '../authenticators/emv-cap/cap-request.js';
import { capSignFields, isPayment, type AuthorizationDetail } from '../policy/authorization-details.js';
import type { IssuedCapRequest } from './login-flow.js';

/** A strong factor the user answers with a typed code (OATH app or token, CAP reader). */
export interface CodeFactor {
  id: 'totp' | 'hotp' | 'emv-cap';
  factors: readonly FactorClass[];
  amr: readonly AmrValue[];
  /** `challenge`: for the card reader, what it was asked for (mode and data, from the flow). */
  verify(ctx: AuthContext, input: { code: string }, challenge?: CapRequest): Promise<VerifyOutcome<{ credentialId: string }>>;
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

/** The factor whose code can carry amount and payee (RTS art. 5(1)(b)): the card reader's Sign mode. */
const BINDS_TRANSACTION: readonly CodeFactor['id'][] = ['emv-cap'];

/** A Respond challenge is good for this long (EMV-CAP.md §6.5: 2 to 5 minutes). */
export const CAP_CHALLENGE_TTL_MS = 300_000;

const randomChallenge = (): string => String(randomInt(0, 100_000_000)).padStart(8, '0');

/** What a card code is requested for: the login, or exactly these authorization details. */
export function codePurpose(details: readonly AuthorizationDetail[] | null): string {
  if (!details?.length) return 'login';
  return `details:${createHash('sha256').update(JSON.stringify(details)).digest('base64url')}`;
}

/**
 * What the card reader is asked for (CAP-03, EMV-CAP.md §6.5): a payment is signed (Sign/TDS mode
 * with the amount in cents and the payee reference, from the server's details); another operation,
 * and the login when so configured, answers a fresh 8-digit challenge (Respond); else Identify.
 */
export function planCapRequest(details: readonly AuthorizationDetail[] | null, loginMode: 'identify' | 'respond', now: Date, challenge: () => string = randomChallenge): IssuedCapRequest {
  const fields = details ? capSignFields(details) : null;
  const request: CapRequest = fields ? { mode: 'sign', fields } : details?.length || loginMode === 'respond' ? { mode: 'respond', challenge: challenge() } : IDENTIFY;
  return { request, purpose: codePurpose(details), issuedAt: now.getTime() };
}

/**
 * The recorded request while it still stands for these details: same purpose, and a challenge not
 * yet expired. Null otherwise: no card code can be accepted (another mode's code never stands in).
 */
export function outstandingCapRequest(issued: IssuedCapRequest | undefined, details: readonly AuthorizationDetail[] | null, now: Date): CapRequest | null {
  if (!issued || issued.purpose !== codePurpose(details)) return null;
  if (issued.request.mode === 'respond' && now.getTime() - issued.issuedAt > CAP_CHALLENGE_TTL_MS) return null;
  return issued.request;
}

/** One-time codes (TOTP, HOTP) bind nothing: they approve a payment only where the policy allows it (CS-08). */
export const otpMayAuthorise = (details: readonly AuthorizationDetail[] | null, otpForPayments: boolean): boolean => otpForPayments || !details?.some(isPayment);

/**
 * The kinds of code factor this account has enrolled, in the order they are tried; with `otpAllowed`
 * false, only those that bind a transaction; with `allowed`, only the methods the client's policy
 * allows (`allowedMethods`).
 */
export async function enrolledCodeFactors(deps: SecondFactorDependencies, accountId: string, alone = false, otpAllowed = true, allowed?: readonly string[]): Promise<{ factor: CodeFactor; credential: FactorCredential }[]> {
  return codeFactorsAmong(deps, await deps.factors.listForAccount<Record<string, unknown>>(accountId), alone, otpAllowed, allowed);
}

/** The same choice over credentials already read (one query serves several choices in a request). */
export function codeFactorsAmong(deps: Pick<SecondFactorDependencies, 'codeFactors'>, credentials: readonly FactorCredential[], alone = false, otpAllowed = true, allowed?: readonly string[]): { factor: CodeFactor; credential: FactorCredential }[] {
  // Alone (no first factor), only a factor proving two classes by itself will do (card + PIN).
  const usable = (alone ? deps.codeFactors.filter((f) => new Set(f.factors).size >= 2) : deps.codeFactors).filter((f) => (otpAllowed || BINDS_TRANSACTION.includes(f.id)) && (!allowed || allowed.includes(f.id)));
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
  request: {
    account: Account | null;
    firstFactorPassed: boolean;
    alone?: boolean;
    subject: string;
    code: string;
    auth: Omit<AuthContext, 'account'>;
    clientId: string;
    /** What the card reader was asked for; null: nothing outstanding, no card code is accepted; absent: the factor's own default. */
    cap?: CapRequest | null | undefined;
    /** False for a payment the policy keeps from one-time codes: only the card reader is tried. */
    otpAllowed?: boolean | undefined;
    /** The client's allowed methods; an enrolled factor outside them is never accepted (absent: all). */
    allowed?: readonly string[] | undefined;
    /** The account's strong-factor credentials when the caller has read them already. */
    credentials?: readonly FactorCredential[] | undefined;
  },
): Promise<SecondFactorResult> {
  const { account, auth } = request;
  const credentials = account ? (request.credentials ?? (await deps.factors.listForAccount<Record<string, unknown>>(account.id))) : [];
  const enrolled = codeFactorsAmong(deps, credentials, request.alone === true);
  // Failures count on the same credential whichever factors this request may use.
  const guard = enrolled[0]?.credential ?? pseudo(request.subject);
  const permitted = (id: CodeFactor['id']) => !request.allowed || request.allowed.includes(id);
  const tried = enrolled.filter(({ factor }) => (request.otpAllowed !== false || BINDS_TRANSACTION.includes(factor.id)) && permitted(factor.id));
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
  // A card code is judged only against the request the reader was given (none outstanding: not at all).
  const check = (factor: CodeFactor) => (factor.id === 'emv-cap' && request.cap === null ? null : factor.verify({ ...auth, account }, { code }, factor.id === 'emv-cap' ? (request.cap ?? undefined) : undefined));
  if (/^\d{1,10}$/.test(code)) {
    for (const { factor } of tried) {
      const outcome = await check(factor);
      if (!outcome) continue;
      if (outcome.kind === 'verified') {
        verified = factor;
        await factor.commit?.({ ...auth, account }, outcome.evidence as never);
        break;
      }
      if (outcome.kind === 'rejected' && outcome.reason === 'replayed') reason = 'replayed';
    }
    // A code of a factor the client does not allow is checked (and so used up) only to tell the
    // audit why it failed: it never counts as a success.
    if (!verified) {
      for (const { factor } of enrolled.filter((e) => !permitted(e.factor.id))) {
        if ((await check(factor))?.kind === 'verified') {
          reason = 'method_not_allowed';
          break;
        }
      }
    }
  } else reason = 'malformed_code';
  if (verified && request.firstFactorPassed) {
    await deps.lockout.reset(guard);
    await deps.audit.record({ ...audit, result: 'success', details: { factor: verified.id, ...(verified.id === 'emv-cap' && request.cap ? { mode: request.cap.mode } : {}) } });
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
