import { timingSafeEqual } from 'node:crypto';
import { uint16 } from './bytes.js';

const IAF_PSN_IN_BUFFER = 0x40;

/** The buffer the IPB selects from (EMV-CAP.md §5.4): [PSN if IAF b7] ‖ CID ‖ ATC ‖ AC ‖ IAD. */
export function buildCapBuffer(input: { psn: string | null; iaf: number; cid: number; atc: number; ac: Uint8Array; iad: Uint8Array }): Buffer {
  const psn = input.iaf & IAF_PSN_IN_BUFFER ? [Buffer.from(input.psn ?? '00', 'hex')] : [];
  return Buffer.concat([...psn, Buffer.from([input.cid]), uint16(input.atc), input.ac, input.iad]);
}

/** Where the AC starts in that buffer. */
export const acOffset = (iaf: number): number => (iaf & IAF_PSN_IN_BUFFER ? 4 : 3);

export function countIpbBits(ipb: Uint8Array, from = 0, to = ipb.length): number {
  let n = 0;
  for (let i = from; i < to; i++) for (let b = ipb[i]!; b; b >>= 1) n += b & 1;
  return n;
}

/**
 * An IPB longer than the buffer is read three ways by readers (EMV-CAP.md §5.4); they agree only
 * when the extra bytes select nothing (the Thales default IPB ends in zero bytes). So: zero bytes
 * past the buffer are ignored, a selected bit past it is an error (and refused at enrolment).
 */
export const ipbFits = (ipb: Uint8Array, bufferLength: number): boolean => ipb.subarray(bufferLength).every((b) => b === 0);

function assertFits(buffer: Uint8Array, ipb: Uint8Array): void {
  if (!ipbFits(ipb, buffer.length)) throw new Error('the IPB selects bits past the end of the CAP buffer (EMV-CAP.md §5.4)');
}

/** The selected bits, MSB first within each byte and bytes left to right, read as one unsigned number. */
export function extractCapCode(buffer: Uint8Array, ipb: Uint8Array): bigint {
  assertFits(buffer, ipb);
  let code = 0n;
  for (let i = 0; i < Math.min(ipb.length, buffer.length); i++) {
    for (let bit = 0x80; bit; bit >>= 1) if (ipb[i]! & bit) code = (code << 1n) | (buffer[i]! & bit ? 1n : 0n);
  }
  return code;
}

/** The inverse: puts each bit of a code back at its IPB position (others zero), so codes compare in buffer space. */
export function spreadCapCode(code: bigint, ipb: Uint8Array): Buffer {
  const out = Buffer.alloc(ipb.length);
  let k = countIpbBits(ipb);
  if (code < 0n || code >= 1n << BigInt(k)) throw new Error('code has more bits than the IPB selects');
  for (let i = 0; i < ipb.length; i++) {
    for (let bit = 0x80; bit; bit >>= 1) {
      if (!(ipb[i]! & bit)) continue;
      k--;
      if ((code >> BigInt(k)) & 1n) out[i] = out[i]! | bit;
    }
  }
  return out;
}

/** Whether buffer and spread code agree on every bit of `mask` (time independent of where they differ). */
export function agreesUnderMask(buffer: Uint8Array, spread: Uint8Array, mask: Uint8Array): boolean {
  assertFits(buffer, mask);
  const a = Buffer.alloc(mask.length);
  const b = Buffer.alloc(mask.length);
  for (let i = 0; i < mask.length; i++) {
    a[i] = (buffer[i] ?? 0) & mask[i]!;
    b[i] = (spread[i] ?? 0) & mask[i]!;
  }
  return timingSafeEqual(a, b);
}
