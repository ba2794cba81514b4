/** ISO/IEC 9797-1 padding (EMV-CAP.md §2.2): 1 = zeros (none if aligned), 2 = 80 then zeros (always). */
export type PaddingMethod = 1 | 2;

export function padMessage(data: Uint8Array, method: PaddingMethod): Buffer {
  if (method === 1) {
    const length = data.length === 0 ? 8 : Math.ceil(data.length / 8) * 8;
    const out = Buffer.alloc(length);
    out.set(data);
    return out;
  }
  const out = Buffer.alloc(Math.floor(data.length / 8) * 8 + 8);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}
