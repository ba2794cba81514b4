import type { CapCardProfile } from './cap-profile.js';
import { buildAcInput } from './build-ac-input.js';
import { computeRetailMac } from './compute-retail-mac.js';
import { readDolValues, type DataObjectList } from './data-object-list.js';
import { deriveSessionKey } from './derive-session-key.js';

/**
 * The AC a card computes for GENERATE AC (EMV-CAP.md §4, §5.2 step 6): SK_AC from MK_AC by the
 * card's key scheme (with the UN it was sent), then MAC algorithm 3 over the CVN's MAC input.
 * With raw key bytes: the software card's side; the verifier goes through CardKeyOperations.
 */
export function computeApplicationCryptogram(
  iccKey: Uint8Array,
  profile: Pick<CapCardProfile, 'aip' | 'keyScheme' | 'padding' | 'macData' | 'macTail'>,
  input: { cdol: DataObjectList; cdolData: Uint8Array; atc: number; iad: Uint8Array; cvr?: Uint8Array | undefined },
): Buffer {
  const un = readDolValues(input.cdol, input.cdolData).get('9F37') ?? Buffer.alloc(4);
  const sessionKey = deriveSessionKey(iccKey, profile.keyScheme, { atc: input.atc, un });
  return computeRetailMac(sessionKey, buildAcInput(profile, input), profile.padding);
}
