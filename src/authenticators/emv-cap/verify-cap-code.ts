import { fromHex } from './bytes.js';
import type { CapCardRecord } from './cap-card-record.js';
import type { CapProfile } from './cap-profile.js';
import type { CapRequest } from './cap-request.js';
import type { CardKeyOperations } from './card-key-operations.js';
import { acOffset, countIpbBits } from './extract-cap-code.js';
import { createCapCodeMatcher } from './match-cap-code.js';

export const MAX_ATC = 0xffff;

/** `replayed`: the code is the one accepted last (ATC = last accepted), told apart for the audit trail. */
export type CapRejectReason = 'malformed_code' | 'no_match' | 'replayed' | 'counter_exhausted';

export type CapVerifyResult = { kind: 'verified'; evidence: { atc: number } } | { kind: 'rejected'; reason: CapRejectReason };

/**
 * The look-ahead W of EMV-CAP.md §6.4: 2^k for the k ATC bits the IPB shows, capped at 256, so that
 * at most one ATC per card state survives the cheap filter; beyond it, resynchronise.
 */
export function defaultAtcWindow(profile: Pick<CapProfile, 'ipb' | 'iaf'>): number {
  const offset = acOffset(profile.iaf);
  return Math.min(2 ** countIpbBits(fromHex(profile.ipb), offset - 2, offset), 256);
}

/**
 * Verifies a typed code (EMV-CAP.md §6.3): the ATCs after the last accepted one, up to the window,
 * in increasing order; the first match wins. The caller advances the counter to the returned ATC
 * atomically (compare-and-set), which is what makes the code single use (§6.5, RTS art. 4(1)).
 */
export async function verifyCapCode(
  keys: CardKeyOperations,
  input: { card: CapCardRecord; lastAtc: number | null; code: string; request: CapRequest; window?: number | undefined },
): Promise<CapVerifyResult> {
  const { card, lastAtc } = input;
  if (lastAtc !== null && lastAtc >= MAX_ATC) return { kind: 'rejected', reason: 'counter_exhausted' };
  const matcher = await createCapCodeMatcher(keys, card, input.request);
  const spread = matcher.readCode(input.code);
  if (!spread) return { kind: 'rejected', reason: 'malformed_code' };
  const window = input.window ?? defaultAtcWindow(card.profile);
  const first = lastAtc === null ? 0 : lastAtc + 1;
  const last = Math.min(first + window - 1, MAX_ATC);
  for (let atc = first; atc <= last; atc++) {
    if (await matcher.matchesAt(spread, atc)) return { kind: 'verified', evidence: { atc } };
  }
  if (lastAtc !== null && (await matcher.matchesAt(spread, lastAtc))) return { kind: 'rejected', reason: 'replayed' };
  return { kind: 'rejected', reason: 'no_match' };
}
