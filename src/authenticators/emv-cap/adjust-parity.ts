/** Sets each byte's low bit so that it has an odd number of 1 bits (EMV-CAP.md §2.1); DES ignores that bit. */
export function adjustParity(key: Uint8Array): Buffer {
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) {
    let ones = 0;
    for (let b = out[i]! >> 1; b; b >>= 1) ones += b & 1;
    out[i] = (out[i]! & 0xfe) | (ones % 2 === 0 ? 1 : 0);
  }
  return out;
}
