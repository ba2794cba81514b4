import { chainDes, decryptDes, encryptDes } from './des.js';
import { padMessage, type PaddingMethod } from './pad-message.js';

/**
 * ISO/IEC 9797-1 MAC algorithm 3 (the "retail MAC", ANSI X9.19) with a 16-byte key KL‖KR
 * (EMV-CAP.md §2.3): single-DES CBC under KL, then DES(KL)[DES⁻¹(KR)[Hn]]. Returns all 8 bytes;
 * callers truncate (EMV application cryptograms keep 8).
 */
export function computeRetailMac(key: Uint8Array, data: Uint8Array, padding: PaddingMethod): Buffer {
  if (key.length !== 16) throw new Error('MAC algorithm 3 takes a 16-byte key');
  const kl = key.subarray(0, 8);
  const kr = key.subarray(8, 16);
  const last = chainDes(kl, padMessage(data, padding));
  return encryptDes(kl, decryptDes(kr, last));
}
