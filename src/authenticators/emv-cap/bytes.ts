/** Hex and byte helpers for EMV data, which is written big-endian hex in every specification. */

export function fromHex(hex: string): Buffer {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not an even-length hex string: ${hex.slice(0, 16)}…`);
  return Buffer.from(clean, 'hex');
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

export function xorBytes(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new Error('xor of blocks of different lengths');
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** A 16-bit counter (the ATC) as 2 bytes. */
export function uint16(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new Error(`not a 16-bit value: ${value}`);
  return Buffer.from([value >> 8, value & 0xff]);
}

/** Decimal digits as packed BCD, left-padded with zeros to `bytes` bytes. */
export function packBcd(digits: string, bytes: number): Buffer {
  if (!/^\d*$/.test(digits) || digits.length > bytes * 2) throw new Error(`cannot pack "${digits}" into ${bytes} BCD bytes`);
  return Buffer.from(digits.padStart(bytes * 2, '0'), 'hex');
}
