import { createHash } from 'node:crypto';
import { encryptTdes } from './des.js';
import { adjustParity } from './adjust-parity.js';

/** EMV Book 2 Annex A1.4: option A (rightmost 16 digits) or B (SHA-1 decimalisation for long PANs). */
export type IccKeyDerivation = 'A' | 'B';

const assertCard = (pan: string, psn: string | null) => {
  if (!/^\d{1,19}$/.test(pan)) throw new Error('PAN must be 1 to 19 digits');
  if (psn !== null && !/^\d{2}$/.test(psn)) throw new Error('PSN must be two digits');
};

/** Option A, step 1–2 (EMV-CAP.md §3.1): the rightmost 16 digits of PAN‖PSN, as 8 BCD bytes. */
export function formatPanForOptionA(pan: string, psn: string | null): Buffer {
  const digits = `${pan}${psn ?? '00'}`;
  return Buffer.from(digits.length < 16 ? digits.padStart(16, '0') : digits.slice(-16), 'hex');
}

/** Option B, steps 1–4 (EMV-CAP.md §3.1): SHA-1 of the BCD PAN‖PSN, decimalised to 16 digits. */
export function formatPanForOptionB(pan: string, psn: string | null): Buffer {
  const digits = `${pan}${psn ?? '00'}`;
  if (pan.length <= 16) return formatPanForOptionA(pan, psn);
  const packed = Buffer.from(digits.length % 2 ? `0${digits}` : digits, 'hex');
  const hex = createHash('sha1').update(packed).digest('hex');
  let y = [...hex].filter((c) => c >= '0' && c <= '9').join('').slice(0, 16);
  for (const c of hex) {
    if (y.length === 16) break;
    if (c >= 'a' && c <= 'f') y += String(c.charCodeAt(0) - 'a'.charCodeAt(0));
  }
  return Buffer.from(y, 'hex');
}

/** MK_AC = DES3(IMK)[Y] ‖ DES3(IMK)[Y ⊕ FF…FF], odd parity (EMV-CAP.md §3.1). */
export function deriveIccKey(issuerMasterKey: Uint8Array, card: { pan: string; psn: string | null }, option: IccKeyDerivation = 'A'): Buffer {
  assertCard(card.pan, card.psn);
  const y = option === 'A' ? formatPanForOptionA(card.pan, card.psn) : formatPanForOptionB(card.pan, card.psn);
  const inverted = Buffer.from(y.map((b) => b ^ 0xff));
  return adjustParity(Buffer.concat([encryptTdes(issuerMasterKey, y), encryptTdes(issuerMasterKey, inverted)]));
}
