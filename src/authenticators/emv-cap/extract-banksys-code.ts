/**
 * The Belgian (Banksys / Vasco 810) rule for cards without an IPB (EMV-CAP.md §5.6, placeholder-only
 * vectors): v = (AC[5] & 3) << 24 | AC[6] << 16 | ATC[1] << 8 | AC[7]; code = (v + (v mod 10)·10⁷) mod 10⁸.
 * Kept to decode traces; such cards cannot be enrolled, since their CVN (06 xx 56/57) is unknown [OPEN §4.2].
 */
export function extractBanksysCode(atc: number, ac: Uint8Array): string {
  if (ac.length !== 8) throw new Error('AC is 8 bytes');
  const v = (ac[5]! & 0x03) * 2 ** 24 + (ac[6]! << 16) + ((atc & 0xff) << 8) + ac[7]!;
  return String((v + (v % 10) * 1e7) % 1e8).padStart(8, '0');
}
