import { fromHex, packBcd } from './bytes.js';
import type { CapCardProfile, CapReaderProfile } from './cap-profile.js';
import { checkCapRequest, type CapRequest } from './cap-request.js';
import { fillDol, parseDol } from './data-object-list.js';

const IAF_AMOUNT = 0x80;
const IAF_AMOUNT_ONLY = 0x20;

/**
 * The values a CAP reader sends for each tag it knows (EMV-CAP.md §5.3); tags it does not know are
 * zeros. Throws when the card profile cannot bind what the request asks to bind (an amount without
 * IAF b8, a currency with IAF b6): the server must never believe it bound data the card never saw.
 * The ABN AMRO reader's challenge scrambling is unknown [OPEN §5.3] and not supported.
 */
export function capTerminalValues(reader: CapReaderProfile, iaf: number, request: CapRequest): Map<string, Buffer> {
  const problems = checkRequestForCard(iaf, request);
  if (problems.length) throw new Error(`invalid CAP request: ${problems.join('; ')}`);
  let amount: Buffer = Buffer.alloc(6);
  let currency: Buffer = Buffer.alloc(2);
  let un: Buffer = Buffer.alloc(4);
  if (request.mode === 'respond') {
    un = packBcd(request.challenge, 4);
    if (request.amount !== undefined) amount = packBcd(request.amount, 6);
    // [OPEN §5.3, §10.7] the currency is taken as entered, not from the card's 9F42.
    if (request.currency !== undefined) currency = packBcd(request.currency, 2);
  }
  return new Map([
    ['9F02', amount],
    ['9F03', Buffer.alloc(6)],
    ['9F1A', fromHex(reader.country)],
    ['95', fromHex(reader.tvr)],
    ['5F2A', currency],
    ['9A', fromHex(reader.date)],
    ['9C', Buffer.alloc(1)],
    ['9F37', un],
    ['9F35', fromHex(reader.terminalType)],
    ['9F34', fromHex(reader.cvmResults)],
    ['9F33', fromHex(reader.terminalCapabilities)],
    ['8A', fromHex(reader.arc)],
  ]);
}

/** Whether a card with this IAF can bind what the request asks (empty when it can). */
export function checkRequestForCard(iaf: number, request: CapRequest): string[] {
  const problems = checkCapRequest(request);
  if (request.mode !== 'respond') return problems;
  if (request.amount !== undefined && !(iaf & IAF_AMOUNT)) problems.push('this card does not put an amount in mode 1 (IAF b8 clear)');
  if (request.currency !== undefined && (!(iaf & IAF_AMOUNT) || iaf & IAF_AMOUNT_ONLY || request.amount === undefined)) problems.push('this card does not put a currency in mode 1 (IAF b8 clear or b6 set)');
  return problems;
}

/** The data of the first GENERATE AC for a request, as the reader model sends it. */
export function fillCdol1(profile: Pick<CapCardProfile, 'cdol1' | 'iaf'> & { reader: CapReaderProfile }, request: CapRequest): Buffer {
  return fillDol(parseDol(profile.cdol1), capTerminalValues(profile.reader, profile.iaf, request));
}
