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
  blockedAt: Date | null;
  lastUsedAt: Date | null;
}
