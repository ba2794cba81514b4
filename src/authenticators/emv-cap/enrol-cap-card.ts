import type { FactorCredential } from '../../domain/credential.js';
import type { FactorCredentialRepository } from '../../domain/ports.js';
import { GuichetError } from '../../errors/codes.js';
import type { CapCardRecord } from './cap-card-record.js';
import type { CapProfile } from './cap-profile.js';
import type { CardKeyOperations, IccKeySource } from './card-key-operations.js';
import { checkCapProfile } from './check-cap-profile.js';
import { matchesKeyCheckValue } from './compute-key-check-value.js';
import { MAX_ATC } from './verify-cap-code.js';

export interface CapEnrolment {
  accountId: string;
  label?: string | null;
  pan: string;
  /** PAN sequence number (5F34), two digits, or null when the card has none (derivations use 00). */
  psn: string | null;
  key: IccKeySource;
  profile: CapProfile;
  /** The card's last used ATC when known (issuer records); null lets the first code be any ATC in the window. */
  lastAtc?: number | null;
  /** The KCV the key custodian gave: enrolment fails unless the key matches it (2 or 3 bytes). */
  expectedKcv?: string | undefined;
  maxDigits?: number;
}

export interface CapEnrolmentDependencies {
  factors: FactorCredentialRepository;
  keys: CardKeyOperations;
}

/**
 * Enrols a card for an account (EMV-CAP.md §6.1): checks the card and profile, opens the ICC key
 * through the key operations and returns its KCV, which must match the custodian's when one is
 * given. Everything is stored sealed; the label keeps only the PAN's last four digits.
 */
export async function enrolCapCard(deps: CapEnrolmentDependencies, input: CapEnrolment): Promise<{ credential: FactorCredential<CapCardRecord>; kcv: string }> {
  const problems: string[] = [];
  if (!/^\d{12,19}$/.test(input.pan)) problems.push('pan: 12 to 19 digits');
  if (input.psn !== null && !/^\d{2}$/.test(input.psn)) problems.push('psn: two digits');
  if (input.lastAtc != null && !(Number.isInteger(input.lastAtc) && input.lastAtc >= 0 && input.lastAtc < MAX_ATC)) problems.push('lastAtc: 0 to 65534');
  problems.push(...checkCapProfile(input.profile, input, { maxDigits: input.maxDigits ?? 8 }));
  if (problems.length) throw new GuichetError('bad_request', `card not enrolled: ${problems.join('; ')}`, { problems });
  let kcv: string;
  try {
    kcv = await deps.keys.checkValue(await deps.keys.deriveIccKey(input.key, input));
  } catch (e) {
    throw new GuichetError('bad_request', `card not enrolled: ${(e as Error).message}`);
  }
  if (input.expectedKcv !== undefined && !matchesKeyCheckValue(kcv, input.expectedKcv)) throw new GuichetError('bad_request', 'card not enrolled: the key does not match the key check value given');
  const record: CapCardRecord = { version: 1, pan: input.pan, psn: input.psn, key: input.key, kcv, profile: input.profile };
  const credential = await deps.factors.create<CapCardRecord>({ accountId: input.accountId, kind: 'emv-cap', label: input.label ?? `•••• ${input.pan.slice(-4)}`, data: record, counter: input.lastAtc ?? null });
  return { credential, kcv };
}

/** Revokes a card (PSD2 RTS art. 27): the row and its sealed key are deleted, so no code verifies after. */
export async function revokeCapCard(deps: Pick<CapEnrolmentDependencies, 'factors'>, credentialId: string): Promise<boolean> {
  return deps.factors.remove(credentialId);
}
