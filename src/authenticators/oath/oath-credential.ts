import type { FactorCredential } from '../../domain/credential.js';
import type { AuthContext, VerifyOutcome } from '../contract.js';
import { decodeBase32, normaliseCode, type CodeCheck, type OathAlgorithm, type OathDigits } from './oath-codes.js';
import type { OathDependencies } from './oath-policy.js';

/**
 * Sealed in the credential's `data` (AES-256-GCM, SecretBox). The `counter` column holds the last
 * accepted TOTP time step, or the last accepted HOTP counter (null: none yet, so counter 0 works).
 */
export interface TotpData {
  secret: string;
  algorithm: OathAlgorithm;
  digits: OathDigits;
  period: number;
}

export interface HotpData {
  secret: string;
  algorithm: OathAlgorithm;
  digits: OathDigits;
  serial?: string;
}

export type OathKind = 'totp' | 'hotp';

/** What a verified code proves; the counter is already advanced (atomically) when this is returned. */
export interface OathEvidence {
  credentialId: string;
  kind: OathKind;
  /** The accepted time step (TOTP) or counter (HOTP), now the credential's last accepted value. */
  counter: number;
  /** Steps from the server's time (TOTP), or counters skipped past the expected one (HOTP). */
  drift: number;
}

/** What may be shown about an OATH credential: never its seed (PSD2 RTS art. 7). */
export interface OathCredentialSummary {
  id: string;
  kind: OathKind;
  label: string | null;
  serial: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export const hotpLookup = (serial: string): string => `hotp:${serial}`;

export const summarise = (c: FactorCredential<TotpData | HotpData>): OathCredentialSummary => ({
  id: c.id,
  kind: c.kind as OathKind,
  label: c.label,
  serial: 'serial' in c.data && c.data.serial ? c.data.serial : null,
  createdAt: c.createdAt,
  lastUsedAt: c.lastUsedAt,
});

export const isBlocked = (c: Pick<FactorCredential, 'blockedAt' | 'blockedUntil'>, now: Date): boolean =>
  c.blockedAt !== null || (c.blockedUntil !== null && c.blockedUntil > now);

/**
 * Checks a code against each of the account's credentials of that kind; on a match, the counter is
 * advanced before anything is returned: of two concurrent submissions of one code, the one whose
 * advance fails is told `replayed`.
 */
export async function verifyOathCode<D extends TotpData | HotpData>(
  deps: OathDependencies,
  ctx: AuthContext,
  kind: OathKind,
  code: string,
  loaded: readonly FactorCredential<D>[] | undefined,
  check: (credential: FactorCredential<D>, key: Buffer, code: string) => CodeCheck,
): Promise<VerifyOutcome<OathEvidence>> {
  const account = ctx.account;
  if (!account) return { kind: 'rejected', reason: 'unknown_account' };
  const all = (loaded ?? (await deps.factors.listForAccount<D>(account.id, kind))).filter((c) => c.accountId === account.id && c.kind === kind);
  if (all.length === 0) return { kind: 'rejected', reason: 'no_credential' };
  const now = deps.clock.now();
  const usable = all.filter((c) => !isBlocked(c, now));
  if (usable.length === 0) return { kind: 'rejected', reason: 'credential_blocked' };
  const normalised = normaliseCode(code);
  let replayed = false;
  for (const credential of usable) {
    const result = check(credential, decodeBase32(credential.data.secret), normalised);
    if (result.kind === 'match') {
      if (!(await deps.factors.advanceCounter(credential.id, result.counter))) return { kind: 'rejected', reason: 'replayed' };
      return { kind: 'verified', accountId: account.id, evidence: { credentialId: credential.id, kind, counter: result.counter, drift: result.drift } };
    }
    if (result.kind === 'replayed') replayed = true;
  }
  return { kind: 'rejected', reason: replayed ? 'replayed' : 'wrong_secret' };
}
