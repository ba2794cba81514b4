import { fromHex, packBcd } from '../bytes.js';
import type { CapCardProfile } from '../cap-profile.js';
import { cvrOffset, readCvr, writeCvr, type CvrEvents } from '../card-verification-results.js';
import { computeApplicationCryptogram } from '../compute-application-cryptogram.js';
import { parseDol, type DataObjectList } from '../data-object-list.js';
import { encodeGenerateAcResponse } from '../generate-ac-response.js';
import { encodeTlv } from '../tlv.js';
import { decodeCommand, respond, SW_OK } from './apdu.js';

/** A card as personalised (EMV-CAP.md §5.1); plain JSON, so the `cap-reader` command can keep it in a file. */
export interface SimulatedCardState {
  aid: string;
  label: string;
  pan: string;
  psn: string | null;
  /** MK_AC, hex: the card's own key (a real card never reveals it). */
  iccKey: string;
  profile: CapCardProfile;
  /** IAD as personalised (DKI, CVN, CVR template …); the card writes its CVR bits into it. */
  iad: string;
  /** CVR template when the profile MACs a CVR that is not in the IAD (`separate-cvr`). */
  cvr?: string;
  pin: string;
  pinTryLimit: number;
  pinTries: number;
  /** Last ATC used; incremented at GET PROCESSING OPTIONS (EMV-CAP.md §5.2 step 2). */
  atc: number;
  lastOnlineNotCompleted: boolean;
  responseFormat: 1 | 2;
  /** Decline the next first GENERATE AC with an AAC (CID 00), for negative tests (§5.7). */
  declineNext?: boolean;
}

export interface SimulatedCard {
  /** One command APDU in, one response APDU (data ‖ SW1 SW2) out. */
  transmit(apdu: Uint8Array): Buffer;
  /** A copy of the card's persistent state (ATC, PIN tries, flags). */
  state(): SimulatedCardState;
}

const SW = { wrongLength: 0x6700, conditions: 0x6985, notFound: 0x6a82, pinBlocked: 0x6983, recordNotFound: 0x6a83, insNotSupported: 0x6d00, wrongP1P2: 0x6a86 };

/**
 * A software CAP card (EMV-CAP.md §5.2, §5.7): SELECT, GET PROCESSING OPTIONS (ATC + 1, refused at
 * FFFF), READ RECORD, GET DATA 9F17, VERIFY (plaintext offline PIN: 63Cx, then 6983), and GENERATE AC
 * (ARQC, then the cancelling AAC). Like a real card it answers GENERATE AC without a PIN, with a CVR
 * that says so: honest readers stop on a wrong PIN, and the verifier refuses such CVRs.
 */
export function createSimulatedCard(initial: SimulatedCardState): SimulatedCard {
  const card = structuredClone(initial);
  const { profile } = card;
  const cdol1 = parseDol(profile.cdol1);
  const cdol2 = parseDol(profile.cdol2);
  let session = { selected: false, gpo: false, pinPerformed: false, pinSucceeded: false, firstAc: null as null | 'arqc' | 'aac', secondAc: false };
  const reset = () => {
    session = { selected: true, gpo: false, pinPerformed: false, pinSucceeded: false, firstAc: null, secondAc: false };
  };

  const fci = () =>
    encodeTlv('6F', Buffer.concat([encodeTlv('84', fromHex(card.aid)), encodeTlv('A5', Buffer.concat([encodeTlv('50', Buffer.from(card.label, 'latin1')), encodeTlv('87', Buffer.from([1]))]))]));

  const record = () => {
    const pan = card.pan.length % 2 ? `${card.pan}F` : card.pan;
    const objects = [encodeTlv('5A', Buffer.from(pan, 'hex')), encodeTlv('8C', fromHex(profile.cdol1)), encodeTlv('8D', fromHex(profile.cdol2)), encodeTlv('9F56', fromHex(profile.ipb)), encodeTlv('9F55', Buffer.from([profile.iaf]))];
    if (card.psn !== null) objects.push(encodeTlv('5F34', packBcd(card.psn, 1)));
    return encodeTlv('70', Buffer.concat(objects));
  };

  const cvrState = (events: CvrEvents) => {
    const iad = fromHex(card.iad);
    const offset = cvrOffset(profile);
    const template = readCvr(profile, { iad, cvr: card.cvr === undefined ? undefined : fromHex(card.cvr) });
    const cvr = writeCvr(profile.cvrFormat, template, events);
    if (offset !== null) cvr.copy(iad, offset);
    return { iad, cvr: offset === null ? cvr : undefined };
  };

  const generateAc = (dol: DataObjectList, data: Buffer, events: CvrEvents, cid: number) => {
    const { iad, cvr } = cvrState(events);
    const ac = computeApplicationCryptogram(fromHex(card.iccKey), profile, { cdol: dol, cdolData: data, atc: card.atc, iad, cvr });
    return respond(SW_OK, encodeGenerateAcResponse({ cid, atc: card.atc, ac, iad }, card.responseFormat));
  };

  const handlers: Record<string, (c: ReturnType<typeof decodeCommand>) => Buffer> = {
    // SELECT by name
    A4: (c) => {
      if (c.p1 !== 0x04 || !c.data.equals(fromHex(card.aid))) return respond(SW.notFound);
      reset();
      return respond(SW_OK, fci());
    },
    // GET PROCESSING OPTIONS: the ATC moves here, so a session refused later still used one (§10.10).
    A8: () => {
      if (!session.selected) return respond(SW.conditions);
      if (card.atc >= 0xffff) return respond(SW.conditions);
      card.atc += 1;
      session.gpo = true;
      return respond(SW_OK, encodeTlv('80', Buffer.concat([fromHex(profile.aip), Buffer.from([0x08, 0x01, 0x01, 0x00])])));
    },
    B2: (c) => (c.p1 === 1 && c.p2 === 0x0c ? respond(SW_OK, record()) : respond(SW.recordNotFound)),
    CA: (c) => (c.p1 === 0x9f && c.p2 === 0x17 ? respond(SW_OK, encodeTlv('9F17', Buffer.from([card.pinTries]))) : respond(SW.notFound)),
    20: (c) => {
      if (c.p2 !== 0x80 || c.data.length !== 8) return respond(SW.wrongP1P2);
      if (card.pinTries === 0) return respond(SW.pinBlocked);
      const length = c.data[0]! & 0x0f;
      const given = c.data.toString('hex').slice(2, 2 + length);
      session.pinPerformed = true;
      if (c.data[0]! >> 4 === 2 && given === card.pin) {
        card.pinTries = card.pinTryLimit;
        session.pinSucceeded = true;
        return respond(SW_OK);
      }
      card.pinTries -= 1;
      session.pinSucceeded = false;
      return respond(0x63c0 | card.pinTries);
    },
    AE: (c) => {
      if (!session.gpo || session.secondAc) return respond(SW.conditions);
      const events = { pinPerformed: session.pinPerformed, pinSucceeded: session.pinSucceeded, lastOnlineNotCompleted: card.lastOnlineNotCompleted, pinTries: card.pinTries };
      if (session.firstAc === null) {
        if ((c.p1 & 0xc0) !== 0x80 || c.data.length !== cdol1.reduce((n, e) => n + e.length, 0)) return respond(SW.wrongLength);
        session.firstAc = card.declineNext ? 'aac' : 'arqc';
        card.declineNext = false;
        return generateAc(cdol1, c.data, { ...events, firstAc: session.firstAc, secondAc: null }, session.firstAc === 'arqc' ? 0x80 : 0x00);
      }
      if ((c.p1 & 0xc0) !== 0x00 || c.data.length !== cdol2.reduce((n, e) => n + e.length, 0)) return respond(SW.wrongLength);
      session.secondAc = true;
      // The AAC ends the transaction unable to go online: the next session reports it (§5.2 step 7).
      const response = generateAc(cdol2, c.data, { ...events, firstAc: session.firstAc, secondAc: 'aac' }, 0x00);
      card.lastOnlineNotCompleted = true;
      return response;
    },
  };

  return {
    transmit(apdu) {
      const command = decodeCommand(apdu);
      const handler = handlers[command.ins.toString(16).toUpperCase().padStart(2, '0')];
      return handler ? handler(command) : respond(SW.insNotSupported);
    },
    state: () => structuredClone(card),
  };
}
