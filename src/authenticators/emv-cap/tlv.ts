import { toHex } from './bytes.js';

/** One BER-TLV data object (EMV Book 3 Annex B); constructed objects carry their children. */
export interface Tlv {
  tag: string;
  value: Buffer;
  children?: Tlv[];
}

/** Reads a tag at `at` (one byte, or more when the low five bits are all set); returns it and the next offset. */
export function readTag(bytes: Uint8Array, at: number): [string, number] {
  let end = at + 1;
  if (((bytes[at] ?? 0) & 0x1f) === 0x1f) {
    while (end < bytes.length && (bytes[end]! & 0x80)) end++;
    end++;
  }
  if (end > bytes.length) throw new Error('truncated TLV tag');
  return [toHex(bytes.subarray(at, end)), end];
}

export function parseTlv(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0x00 || bytes[at] === 0xff) {
      at++; // padding between data objects (Book 3 Annex B)
      continue;
    }
    const constructed = (bytes[at]! & 0x20) !== 0;
    const [tag, afterTag] = readTag(bytes, at);
    let length = bytes[afterTag];
    let start = afterTag + 1;
    if (length === undefined) throw new Error('truncated TLV length');
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count < 1 || count > 2 || start + count > bytes.length) throw new Error('unsupported TLV length');
      length = count === 1 ? bytes[start]! : (bytes[start]! << 8) | bytes[start + 1]!;
      start += count;
    }
    if (start + length > bytes.length) throw new Error(`TLV ${tag} overruns its data`);
    const value = Buffer.from(bytes.subarray(start, start + length));
    out.push(constructed ? { tag, value, children: parseTlv(value) } : { tag, value });
    at = start + length;
  }
  return out;
}

/** The first object with that tag, searching constructed objects depth first. */
export function findTlv(nodes: readonly Tlv[], tag: string): Buffer | undefined {
  for (const node of nodes) {
    if (node.tag === tag.toUpperCase()) return node.value;
    const inner = node.children && findTlv(node.children, tag);
    if (inner) return inner;
  }
  return undefined;
}

export function encodeTlv(tag: string, value: Uint8Array): Buffer {
  const length = value.length < 0x80 ? Buffer.from([value.length]) : value.length < 0x100 ? Buffer.from([0x81, value.length]) : Buffer.from([0x82, value.length >> 8, value.length & 0xff]);
  return Buffer.concat([Buffer.from(tag, 'hex'), length, value]);
}
