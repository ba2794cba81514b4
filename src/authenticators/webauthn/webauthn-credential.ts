import type { FactorCredential } from '../../domain/credential.js';
import type { ExpiringStore, FactorCredentialRepository } from '../../domain/ports.js';
import type { Clock } from '../../lib/clock.js';
import type { AmrValue, RejectReason } from '../contract.js';
import type { WebAuthnSettings } from './webauthn-settings.js';

/**
 * Sealed in the credential's `data`. The row's `lookup` is the credential ID (base64url), unique per
 * kind, so a discoverable assertion finds its owner; `counter` is the last signature counter seen
 * (WebAuthn L2 §6.1.1), only ever advanced.
 */
export interface WebAuthnData {
  /** COSE_Key of the credential (RFC 9053), base64url. */
  publicKey: string;
  /** user.id given at registration (base64url); an assertion's userHandle must equal it. */
  userHandle: string;
  transports: string[];
  /** BE flag (§6.1): fixed for the credential's life. */
  backupEligible: boolean;
  /** BS flag: may change; updated on use. */
  backedUp: boolean;
  aaguid: string;
  /** Attestation format received (`none` asked; what the browser sent is kept for the record). */
  fmt: string;
  /** Origin the credential was created on. */
  origin: string;
}

/** What may be shown about a passkey (the public key is of no use to anyone, but stays inside). */
export interface WebAuthnCredentialSummary {
  id: string;
  /** PublicKeyCredential.id (base64url), as the browser and `excludeCredentials` name it. */
  publicKeyCredentialId: string;
  label: string | null;
  transports: string[];
  backupEligible: boolean;
  backedUp: boolean;
  aaguid: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What a verified assertion proves; the counter is already advanced when this is returned. */
export interface WebAuthnEvidence {
  /** The credential row (commit, lockout and audit name credentials by row id). */
  credentialId: string;
  publicKeyCredentialId: string;
  /** Signature counter reported (0: the authenticator keeps none, as synced passkeys do). */
  newCounter: number;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  /** RFC 8176 values this very assertion supports (see `assertionAmr`). */
  amr: AmrValue[];
  /** Set when the challenge was bound to a transaction (dynamic linking): its canonical JSON's SHA-256, base64url. */
  transactionHash: string | null;
}

/**
 * Why a ceremony was refused, precise enough for audit and tests; the contract's coarser reason
 * (which counts toward lockout and reaches the pages) follows from it in REJECT_REASON.
 */
export type WebAuthnFailure =
  | 'invalid_response'
  | 'challenge_expired'
  | 'challenge_reused'
  | 'challenge_mismatch'
  | 'transaction_mismatch'
  | 'origin_mismatch'
  | 'rp_id_mismatch'
  | 'user_not_present'
  | 'user_not_verified'
  | 'unknown_credential'
  | 'other_account'
  | 'user_handle_mismatch'
  | 'credential_blocked'
  | 'backup_eligible_refused'
  | 'backup_eligibility_changed'
  | 'bad_signature'
  | 'counter_regression'
  | 'already_registered';

/** The contract's reason for each failure; `detail` keeps the precise cause for the audit. */
export const REJECT_REASON: Readonly<Record<WebAuthnFailure, RejectReason>> = Object.freeze({
  invalid_response: 'wrong_secret',
  challenge_expired: 'replayed',
  challenge_reused: 'replayed',
  challenge_mismatch: 'wrong_secret',
  transaction_mismatch: 'wrong_secret',
  origin_mismatch: 'wrong_secret',
  rp_id_mismatch: 'wrong_secret',
  user_not_present: 'wrong_secret',
  user_not_verified: 'wrong_secret',
  unknown_credential: 'no_credential',
  other_account: 'no_credential',
  user_handle_mismatch: 'no_credential',
  credential_blocked: 'credential_blocked',
  backup_eligible_refused: 'credential_blocked',
  backup_eligibility_changed: 'wrong_secret',
  bad_signature: 'wrong_secret',
  // A possible cloned authenticator (WebAuthn §6.1.1): its own reason, audited as such.
  counter_regression: 'counter_regression',
  already_registered: 'wrong_secret',
});

export interface WebAuthnRejection {
  kind: 'rejected';
  reason: RejectReason;
  detail: WebAuthnFailure;
}

export const rejection = (detail: WebAuthnFailure): WebAuthnRejection => ({ kind: 'rejected', reason: REJECT_REASON[detail], detail });

/** The narrow dependencies of the factor: its credentials, a replay guard for challenges, the clock. */
export interface WebAuthnDependencies {
  factors: FactorCredentialRepository;
  /** Challenges are spent here (setIfAbsent), so one is accepted once even if the flow keeps it. */
  store: Pick<ExpiringStore, 'setIfAbsent'>;
  clock: Clock;
  settings: Readonly<WebAuthnSettings>;
}

export const summarise = (c: FactorCredential<WebAuthnData>): WebAuthnCredentialSummary => ({
  id: c.id,
  publicKeyCredentialId: c.lookup ?? '',
  label: c.label,
  transports: [...c.data.transports],
  backupEligible: c.data.backupEligible,
  backedUp: c.data.backedUp,
  aaguid: c.data.aaguid,
  createdAt: c.createdAt,
  lastUsedAt: c.lastUsedAt,
});

export const isBlocked = (c: Pick<FactorCredential, 'blockedAt' | 'blockedUntil'>, now: Date): boolean =>
  c.blockedAt !== null || (c.blockedUntil !== null && c.blockedUntil > now);

/**
 * RFC 8176 §2 for one assertion. `user`: the UP flag (a user-presence test) is always checked.
 * With attestation "none" Guichet cannot know whether the key lives in hardware, so `pop` (proof of
 * possession, hardware or software unknown); a backup-eligible key can be exported to other devices
 * by its sync provider, so `swk`. `pin`/`fpt`/`face` are never claimed: the RP learns that the user
 * was verified, not how (STANDARDS.md AMR-05).
 */
export const assertionAmr = (backupEligible: boolean): AmrValue[] => [backupEligible ? 'swk' : 'pop', 'user'];

/** Single use of a challenge (ASVS 6.7.2, WebAuthn L2 §13.4.3): true the first time only. */
export async function spendChallenge(deps: WebAuthnDependencies, challenge: string, expiresAt: number): Promise<boolean> {
  const ttl = Math.max(1, Math.ceil((expiresAt - deps.clock.now().getTime()) / 1000) + 60);
  return deps.store.setIfAbsent(`webauthn:challenge:${challenge}`, '1', ttl);
}

export const WEBAUTHN_KIND = 'webauthn' as const;
