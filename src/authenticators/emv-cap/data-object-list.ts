import { fromHex } from './bytes.js';
import { readTag } from './tlv.js';

/** A DOL (CDOL1, CDOL2, PDOL): the tags and lengths a card asks the terminal to send, in order. */
export type DataObjectList = readonly { tag: string; length: number }[];

export function parseDol(hex: string): DataObjectList {
  const bytes = fromHex(hex);
  const out: { tag: string; length: number }[] = [];
  let at = 0;
  while (at < bytes.length) {
    const [tag, next] = readTag(bytes, at);
    const length = bytes[next];
    if (length === undefined) throw new Error(`DOL entry ${tag} has no length`);
    out.push({ tag, length });
    at = next + 1;
  }
  return out;
}

/**
 * Concatenates the values for a DOL. Values shorter than asked are left-padded with zeros (numeric
 * fields, EMV Book 3 §5.4); missing tags are zeros of the asked length (EMV-CAP.md §5.3).
 */
export function fillDol(dol: DataObjectList, values: ReadonlyMap<string, Buffer>): Buffer {
  return Buffer.concat(
    dol.map(({ tag, length }) => {
      const value = values.get(tag) ?? Buffer.alloc(0);
      if (value.length > length) throw new Error(`value for ${tag} is longer than the ${length} bytes asked`);
      return Buffer.concat([Buffer.alloc(length - value.length), value]);
    }),
  );
}

/** Splits DOL-formatted data back into its values (what the card does with GENERATE AC data). */
export function readDolValues(dol: DataObjectList, data: Uint8Array): Map<string, Buffer> {
  const total = dol.reduce((n, e) => n + e.length, 0);
  if (data.length !== total) throw new Error(`DOL data is ${data.length} bytes, ${total} expected`);
  const out = new Map<string, Buffer>();
  let at = 0;
  for (const { tag, length } of dol) {
    out.set(tag, Buffer.from(data.subarray(at, at + length)));
    at += length;
  }
  return out;
}

/**
 * The EMV recommended terminal data ("T-data") that standard CVNs MAC, in this order
 * (EMV-CAP.md §4.2): amount, other amount, country, TVR, currency, date, type, UN.
 */
export const TERMINAL_DATA: DataObjectList = [
  { tag: '9F02', length: 6 },
  { tag: '9F03', length: 6 },
  { tag: '9F1A', length: 2 },
  { tag: '95', length: 5 },
  { tag: '5F2A', length: 2 },
  { tag: '9A', length: 3 },
  { tag: '9C', length: 1 },
  { tag: '9F37', length: 4 },
];
