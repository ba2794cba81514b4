import { IDENTIFY, type CapRequest } from './cap-request.js';
import type { CapCardRecord } from './cap-card-record.js';
import type { CardKeyOperations } from './card-key-operations.js';
import { createCapCodeMatcher } from './match-cap-code.js';
import { MAX_ATC, type CapVerifyResult } from './verify-cap-code.js';

/**
 * Two codes made back to back (EMV-CAP.md §6.4, like RFC 4226 §7.4): code 1 at some atc1 in a large
 * window after the last accepted ATC (default 4096 = 2^12), code 2 at atc1 < atc2 ≤ atc1 + maxGap
 * (default 3). Every atc1 that matches code 1 is tried, since a wide window makes stray matches of one
 * code likely enough. The evidence is atc2, the new last accepted ATC. Identify mode by default.
 */
export async function resynchroniseCapCard(
  keys: CardKeyOperations,
  input: { card: CapCardRecord; lastAtc: number | null; codes: readonly [string, string]; request?: CapRequest; window?: number; maxGap?: number },
): Promise<CapVerifyResult> {
  const { card, lastAtc } = input;
  if (lastAtc !== null && lastAtc >= MAX_ATC - 1) return { kind: 'rejected', reason: 'counter_exhausted' };
  const matcher = await createCapCodeMatcher(keys, card, input.request ?? IDENTIFY);
  const [first, second] = input.codes.map((c) => matcher.readCode(c));
  if (!first || !second) return { kind: 'rejected', reason: 'malformed_code' };
  const window = input.window ?? 4096;
  const maxGap = input.maxGap ?? 3;
  const from = lastAtc === null ? 0 : lastAtc + 1;
  const to = Math.min(from + window - 1, MAX_ATC - 1);
  for (let atc1 = from; atc1 <= to; atc1++) {
    if (!(await matcher.matchesAt(first, atc1))) continue;
    for (let atc2 = atc1 + 1; atc2 <= Math.min(atc1 + maxGap, MAX_ATC); atc2++) {
      if (await matcher.matchesAt(second, atc2)) return { kind: 'verified', evidence: { atc: atc2 } };
    }
  }
  return { kind: 'rejected', reason: 'no_match' };
}
