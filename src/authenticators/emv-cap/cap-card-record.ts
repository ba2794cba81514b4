import type { CapProfile } from './cap-profile.js';
import type { IccKeySource } from './card-key-operations.js';

/**
 * One enrolled card (EMV-CAP.md §6.1): the `data` of its FactorCredential, sealed at rest
 * (AES-256-GCM) by the repository. The last accepted ATC is the credential's `counter` column, moved
 * only by `advanceCounter`. Failures and blocks are the credential's own columns.
 */
export interface CapCardRecord {
  version: 1;
  pan: string;
  psn: string | null;
  key: IccKeySource;
  /** KCV of MK_AC confirmed at enrolment. */
  kcv: string;
  profile: CapProfile;
}
