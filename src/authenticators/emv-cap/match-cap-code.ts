import { fromHex } from './bytes.js';
import type { CapCardRecord } from './cap-card-record.js';
import type { CapRequest } from './cap-request.js';
import { buildAcInput } from './build-ac-input.js';
import type { CardKeyHandle, CardKeyOperations } from './card-key-operations.js';
import { stateShowsOfflinePinVerified } from './card-verification-results.js';
import { computeTdsMac } from './compute-tds-mac.js';
import { parseDol, readDolValues } from './data-object-list.js';
import { acOffset, agreesUnderMask, buildCapBuffer, countIpbBits, spreadCapCode } from './extract-cap-code.js';
import { fillCdol1 } from './fill-cdol.js';

const ARQC = 0x80;

export interface CapCodeMatcher {
  /** IPB bits that come from the ATC: a code pins the ATC modulo 2^atcBits. */
  readonly atcBits: number;
  /** The code spread over the IPB positions, or null when no card of this profile can show it (EMV-CAP.md §6.2). */
  readCode(code: string): Buffer | null;
  /** Whether the card, at this ATC, in one of its accepted states, shows this code (EMV-CAP.md §6.3 step 5). */
  matchesAt(spread: Buffer, atc: number): Promise<boolean>;
}

/**
 * Rebuilds, for one card and one request, what the card would show at a given ATC. The cheap filter
 * (PSN, CID, ATC and IAD bits, computed with a zero AC) runs before any key operation. Only card
 * states showing a successful offline PIN are ever tried (§6.7), whatever the profile lists.
 */
export async function createCapCodeMatcher(keys: CardKeyOperations, card: CapCardRecord, request: CapRequest): Promise<CapCodeMatcher> {
  const { profile } = card;
  const ipb = fromHex(profile.ipb);
  const bits = countIpbBits(ipb);
  const offset = acOffset(profile.iaf);
  const withoutAc = Buffer.from(ipb);
  withoutAc.fill(0, offset, offset + 8);
  const cdol = parseDol(profile.cdol1);
  const cdolData = fillCdol1(profile, request);
  const un = readDolValues(cdol, cdolData).get('9F37') ?? Buffer.alloc(4);
  const states = profile.cardStates.filter((s) => stateShowsOfflinePinVerified(profile, s)).map((s) => ({ iad: fromHex(s.iad), cvr: s.cvr === undefined ? undefined : fromHex(s.cvr) }));
  const iccKey = await keys.deriveIccKey(card.key, card);
  const base = { psn: card.psn, iaf: profile.iaf, cid: ARQC };
  return {
    atcBits: countIpbBits(ipb, offset - 2, offset),
    readCode(code) {
      if (!/^\d{1,12}$/.test(code)) return null;
      const value = BigInt(code);
      return value < 1n << BigInt(bits) ? spreadCapCode(value, ipb) : null;
    },
    async matchesAt(spread, atc) {
      let sessionKey: CardKeyHandle | undefined;
      for (const state of states) {
        if (!agreesUnderMask(buildCapBuffer({ ...base, atc, ac: Buffer.alloc(8), iad: state.iad }), spread, withoutAc)) continue;
        sessionKey ??= await keys.deriveSessionKey(iccKey, profile.keyScheme, { atc, un });
        let ac = await keys.mac(sessionKey, buildAcInput(profile, { cdol, cdolData, atc, iad: state.iad, cvr: state.cvr }), profile.padding);
        if (request.mode === 'sign') ac = computeTdsMac(ac, request.fields);
        if (agreesUnderMask(buildCapBuffer({ ...base, atc, ac, iad: state.iad }), spread, ipb)) return true;
      }
      return false;
    },
  };
}
