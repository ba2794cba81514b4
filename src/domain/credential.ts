/** Credential kinds; strong factors add theirs (emv-cap, totp, webauthn, x509). */
export type CredentialKind = 'password' | 'pin';

export interface SecretCredential {
  id: string;
  accountId: string;
  kind: CredentialKind;
  secretHash: string;
  setAt: Date;
  mustChange: boolean;
  expiresAt: Date | null;
  failedCount: number;
  /** Permanent block: only an administrator's unblock or recovery lifts it. */
  blockedAt: Date | null;
  /** Temporary block, lifted by time (PSD2 RTS art. 4(4)). */
  blockedUntil: Date | null;
  /** Temporary blocks since the last success; the next one past the limit is permanent. */
  blockCount: number;
  lastUsedAt: Date | null;
}

/** What lockout needs of any credential, whatever its kind: counted through one mechanism. */
export type GuardedCredential = Pick<SecretCredential, 'id' | 'accountId' | 'failedCount' | 'blockedAt' | 'blockedUntil' | 'blockCount'> & { kind: CredentialKind | FactorKind };

/** Strong factors' kinds (issue "strong factors"); each has its folder under src/authenticators. */
export type FactorKind = 'totp' | 'hotp' | 'emv-cap' | 'webauthn' | 'x509';

/**
 * A strong factor's credential: `data` is the factor's own record, sealed at rest; `counter` only
 * ever moves forward (advanceCounter), which is what makes a code usable once.
 */
export interface FactorCredential<D = Record<string, unknown>> {
  id: string;
  accountId: string;
  kind: FactorKind;
  label: string | null;
  data: D;
  counter: number | null;
  lookup: string | null;
  failedCount: number;
  blockedAt: Date | null;
  blockedUntil: Date | null;
  blockCount: number;
  createdAt: Date;
  lastUsedAt: Date | null;
}
