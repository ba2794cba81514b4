import { chainDes } from './des.js';
import { padMessage } from './pad-message.js';

/** TDS fields joined by the nibble F, with one F more if the count is odd (EMV-CAP.md §5.5; the separator for several fields is [OPEN §10.9]). */
export function packTdsFields(fields: readonly string[]): Buffer {
  if (fields.length === 0 || fields.some((f) => !/^\d{1,10}$/.test(f))) throw new Error('TDS fields are 1 to 10 digits each');
  const nibbles = fields.join('F');
  return Buffer.from(nibbles.length % 2 ? `${nibbles}F` : nibbles, 'hex');
}

/** Mode 2 TDS: single-DES CBC-MAC of the packed fields (padding 2) under the 8-byte AC as key; replaces the AC. */
export const computeTdsMac = (ac: Uint8Array, fields: readonly string[]): Buffer => chainDes(ac, padMessage(packTdsFields(fields), 2));
