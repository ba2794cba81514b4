import { uint16 } from './bytes.js';
import { encodeTlv, findTlv, parseTlv } from './tlv.js';

/** The first GENERATE AC response (EMV-CAP.md §4.1): CID (80 ARQC, 00 AAC, 40 TC), ATC, AC, IAD. */
export interface GenerateAcResponse {
  cid: number;
  atc: number;
  ac: Buffer;
  iad: Buffer;
}

/** Reads format 1 (`80`: CID‖ATC‖AC‖IAD) or format 2 (`77` with 9F27, 9F36, 9F26, 9F10 in any order); no status word. */
export function parseGenerateAcResponse(bytes: Uint8Array): GenerateAcResponse {
  const [top] = parseTlv(bytes);
  if (top?.tag === '80') {
    const v = top.value;
    if (v.length < 11) throw new Error('format 1 response too short');
    return { cid: v[0]!, atc: v.readUInt16BE(1), ac: v.subarray(3, 11), iad: v.subarray(11) };
  }
  if (top?.tag === '77' && top.children) {
    const cid = findTlv(top.children, '9F27');
    const atc = findTlv(top.children, '9F36');
    const ac = findTlv(top.children, '9F26');
    if (cid?.length !== 1 || atc?.length !== 2 || ac?.length !== 8) throw new Error('format 2 response lacks CID, ATC or AC');
    return { cid: cid[0]!, atc: atc.readUInt16BE(0), ac, iad: findTlv(top.children, '9F10') ?? Buffer.alloc(0) };
  }
  throw new Error('not a GENERATE AC response');
}

export function encodeGenerateAcResponse(r: GenerateAcResponse, format: 1 | 2): Buffer {
  if (format === 1) return encodeTlv('80', Buffer.concat([Buffer.from([r.cid]), uint16(r.atc), r.ac, r.iad]));
  return encodeTlv('77', Buffer.concat([encodeTlv('9F27', Buffer.from([r.cid])), encodeTlv('9F36', uint16(r.atc)), encodeTlv('9F26', r.ac), encodeTlv('9F10', r.iad)]));
}
