import type { Account } from '../../domain/account.js';
import type { FactorCredential } from '../../domain/credential.js';
import type { FactorCredentialRepository } from '../../domain/ports.js';
import type { Clock } from '../../lib/clock.js';
import type { AmrValue, FactorClass, RejectReason } from '../contract.js';
import type { X509Failure } from './certificate-failure.js';
import type { ParsedCertificate } from './parse-certificate.js';
import type { TrustSource } from './trust-store.js';
import type { X509Settings } from './x509-settings.js';

export const X509_KIND = 'x509' as const;

/**
 * Sealed in the credential's `data`; the row's `lookup` is the SHA-256 thumbprint (hex) of the
 * certificate's DER, unique per kind: a certificate opens one account. Nothing here is secret,
 * but it is personal data.
 */
export interface X509Data {
  issuer: string;
  /** Upper-case hex. */
  serial: string;
  subject: string;
  /** ISO 8601. */
  notAfter: string;
  thumbprint: string;
}

export interface X509CredentialSummary {
  id: string;
  label: string | null;
  thumbprint: string;
  subject: string;
  issuer: string;
  serial: string;
  notAfter: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What a verified certificate proves and how it was mapped to the account. */
export interface X509Evidence {
  /** The binding used; null when the subject rule mapped it (nothing to record a use on). */
  credentialId: string | null;
  via: 'binding' | 'subject';
  thumbprint: string;
  subject: string;
  issuer: string;
  serial: string;
  amr: AmrValue[];
}

/**
 * The contract's coarse reason for each failure (the one lockout counts); `detail` keeps the precise
 * one for the audit and the page. A certificate cannot be guessed, so these rarely mean an attack
 * on the account; `crl_stale` is the operator's problem and says so on the page.
 */
export const REJECT_REASON: Readonly<Record<X509Failure, RejectReason>> = Object.freeze({
  malformed: 'wrong_secret',
  untrusted_issuer: 'wrong_secret',
  wrong_usage: 'wrong_secret',
  expired: 'credential_blocked',
  not_yet_valid: 'credential_blocked',
  revoked: 'credential_blocked',
  crl_stale: 'credential_blocked',
  unbound: 'no_credential',
  other_account: 'no_credential',
  credential_blocked: 'credential_blocked',
});

export interface X509Rejection {
  kind: 'rejected';
  reason: RejectReason;
  detail: X509Failure;
  /** Set when the certificate parsed: what the audit records of it (never the whole certificate). */
  thumbprint?: string;
}

export const rejection = (detail: X509Failure, certificate?: ParsedCertificate | null): X509Rejection => ({
  kind: 'rejected',
  reason: REJECT_REASON[detail],
  detail,
  ...(certificate ? { thumbprint: certificate.thumbprint } : {}),
});

/** Looks accounts up for the `subject` mapping rule; the composition root passes the repository's finders. */
export type FindAccountsBy = (attribute: X509Settings['subjectRule']['attribute'], value: string) => Promise<Account[]>;

/** The narrow dependencies of the factor. */
export interface X509Dependencies {
  factors: FactorCredentialRepository;
  clock: Clock;
  trust: Pick<TrustSource, 'current'>;
  settings: Pick<X509Settings, 'requireCrl' | 'mapping' | 'subjectRule' | 'pinProtected'>;
  /** Required when `settings.mapping` is `subject`. */
  findAccountsBy?: FindAccountsBy;
}

/**
 * RFC 8176 §2. A certificate on a token that asks its PIN before signing is a smart card (`sc`)
 * unlocked by a PIN (`pin`): two factors (`mfa`), possession and knowledge, PSD2 RTS art. 6 and 7.
 * Otherwise only proof of possession of a key whose storage Guichet cannot know (`pop`).
 */
export const certificateAmr = (pinProtected: boolean): AmrValue[] => (pinProtected ? ['sc', 'pin', 'mfa'] : ['pop']);
export const certificateFactors = (pinProtected: boolean): FactorClass[] => (pinProtected ? ['possession', 'knowledge'] : ['possession']);

export const x509DataOf = (certificate: ParsedCertificate): X509Data => ({
  issuer: certificate.issuer,
  serial: certificate.serial,
  subject: certificate.subject,
  notAfter: certificate.notAfter.toISOString(),
  thumbprint: certificate.thumbprint,
});

export const summarise = (c: FactorCredential<X509Data>): X509CredentialSummary => ({
  id: c.id,
  label: c.label,
  thumbprint: c.data.thumbprint,
  subject: c.data.subject,
  issuer: c.data.issuer,
  serial: c.data.serial,
  notAfter: c.data.notAfter,
  createdAt: c.createdAt,
  lastUsedAt: c.lastUsedAt,
});

export const isBlocked = (c: Pick<FactorCredential, 'blockedAt' | 'blockedUntil'>, now: Date): boolean =>
  c.blockedAt !== null || (c.blockedUntil !== null && c.blockedUntil > now);
