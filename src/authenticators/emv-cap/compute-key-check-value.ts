import { encryptTdes } from './des.js';
import { toHex } from './bytes.js';

/** KCV: the first bytes of DES3(K)[00…00] (EMV-CAP.md §2.4), 3 bytes (6 hex digits) by default. */
export function computeKeyCheckValue(key: Uint8Array, bytes = 3): string {
  return toHex(encryptTdes(key, Buffer.alloc(8)).subarray(0, bytes));
}

/** Compares a KCV given by a key custodian (2 or 3 bytes, any case) with the computed one. */
export function matchesKeyCheckValue(computed: string, given: string): boolean {
  const g = given.replace(/\s+/g, '').toUpperCase();
  return /^[0-9A-F]{4,6}$/.test(g) && g.length % 2 === 0 && computed.toUpperCase().startsWith(g);
}
