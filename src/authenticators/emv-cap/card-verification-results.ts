import { fromHex } from './bytes.js';
import type { CapCardProfile, CardState, CvrFormat } from './cap-profile.js';

/**
 * Card verification results (EMV-CAP.md §4.3, §6.7): the only way the server learns that the card
 * checked the PIN. Visa CVR (4 bytes, IAD[3..7]): byte 2 b8–7 second AC, b6–5 first AC (10 = ARQC),
 * b3 offline PIN performed, b2 offline PIN failed; byte 3 b8 last online transaction not completed.
 * MasterCard CVR (6 bytes, IAD[2..8]): byte 1 same AC bits, b3 offline PIN performed, b1 offline PIN
 * successful; byte 3 low nibble the PIN try counter.
 */

/** Where the CVR sits in the IAD, or null when the card MACs a CVR that is not in its IAD. */
export function cvrOffset(profile: Pick<CapCardProfile, 'cvrFormat' | 'macTail'>): number | null {
  if (profile.macTail === 'separate-cvr') return null;
  return profile.cvrFormat === 'visa' ? 3 : 2;
}

const cvrLength = (format: CvrFormat): number => (format === 'visa' ? 4 : 6);

export function readCvr(profile: Pick<CapCardProfile, 'cvrFormat' | 'macTail'>, state: { iad: Uint8Array; cvr?: Uint8Array | undefined }): Buffer {
  const offset = cvrOffset(profile);
  const length = cvrLength(profile.cvrFormat);
  const cvr = offset === null ? state.cvr : state.iad.subarray(offset, offset + length);
  if (!cvr || cvr.length !== length) throw new Error(`no ${length}-byte ${profile.cvrFormat} CVR in this card state`);
  return Buffer.from(cvr);
}

/** True only for "ARQC in the first AC, offline PIN performed and successful". */
export function showsOfflinePinVerified(format: CvrFormat, cvr: Uint8Array): boolean {
  const b = format === 'visa' ? cvr[1] : cvr[0];
  if (b === undefined || (b & 0x30) !== 0x20) return false;
  return format === 'visa' ? (b & 0x06) === 0x04 : (b & 0x05) === 0x05;
}

export function stateShowsOfflinePinVerified(profile: Pick<CapCardProfile, 'cvrFormat' | 'macTail'>, state: CardState): boolean {
  try {
    return showsOfflinePinVerified(profile.cvrFormat, readCvr(profile, { iad: fromHex(state.iad), cvr: state.cvr === undefined ? undefined : fromHex(state.cvr) }));
  } catch {
    return false;
  }
}

/** What a card records for one GENERATE AC (used by the software card). */
export interface CvrEvents {
  firstAc: 'arqc' | 'aac';
  secondAc: 'aac' | null;
  pinPerformed: boolean;
  pinSucceeded: boolean;
  lastOnlineNotCompleted: boolean;
  pinTries: number;
}

/** Writes those events into a CVR template, leaving the bits it does not know as personalised. */
export function writeCvr(format: CvrFormat, template: Uint8Array, e: CvrEvents): Buffer {
  const cvr = Buffer.from(template);
  const ac = (e.secondAc === null ? 0x80 : 0x00) | (e.firstAc === 'arqc' ? 0x20 : 0x00);
  if (format === 'visa') {
    const unableOnline = e.secondAc === 'aac' ? 0x01 : 0;
    cvr[1] = ac | (e.pinPerformed ? 0x04 : 0) | (e.pinPerformed && !e.pinSucceeded ? 0x02 : 0) | unableOnline | (cvr[1]! & 0x08);
    cvr[2] = (cvr[2]! & 0x7f) | (e.lastOnlineNotCompleted ? 0x80 : 0);
  } else {
    cvr[0] = ac | (e.pinPerformed ? 0x04 : 0) | (e.pinSucceeded ? 0x01 : 0) | (cvr[0]! & 0x0a);
    cvr[2] = (cvr[2]! & 0xf0) | (e.pinTries & 0x0f);
  }
  return cvr;
}
