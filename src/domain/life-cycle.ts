import type { CredentialKind } from './credential.js';

/** One answer to a security question: the question's catalogue id and the hash of the normalised answer. */
export interface SecurityAnswer {
  position: number;
  questionId: string;
  answerHash: string;
  setAt: Date;
}

/**
 * A temporary secret: e-mailed for recovery or issued by an administrator. Single use (consumed by
 * deleting it), expiring, and it only ever lets its holder choose a new secret of `kind`.
 */
export interface TemporarySecret {
  id: string;
  accountId: string;
  kind: CredentialKind;
  secretHash: string;
  purpose: 'recovery' | 'admin';
  issuedBy: string | null;
  expiresAt: Date;
  createdAt: Date;
}

/** The fields of an account its owner (profile, registration) or an administrator may change. */
export interface AccountPatch {
  familyName?: string | null;
  givenName?: string | null;
  email?: string | null;
  emailVerified?: boolean;
  locale?: 'fr' | 'en';
  preferences?: Record<string, unknown>;
  status?: 'active' | 'suspended' | 'blocked' | 'pending_registration';
}
