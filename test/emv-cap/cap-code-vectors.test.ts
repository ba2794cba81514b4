import { describe, test, expect } from '@jest/globals';
import { fromHex, toHex } from '../../src/authenticators/emv-cap/bytes.js';
import { parseGenerateAcResponse, encodeGenerateAcResponse } from '../../src/authenticators/emv-cap/generate-ac-response.js';
import { buildCapBuffer, extractCapCode, spreadCapCode } from '../../src/authenticators/emv-cap/extract-cap-code.js';
import { computeTdsMac, packTdsFields } from '../../src/authenticators/emv-cap/compute-tds-mac.js';
import { padMessage } from '../../src/authenticators/emv-cap/pad-message.js';
import { extractBanksysCode } from '../../src/authenticators/emv-cap/extract-banksys-code.js';
import { fillCdol1 } from '../../src/authenticators/emv-cap/fill-cdol.js';
import { parseDol } from '../../src/authenticators/emv-cap/data-object-list.js';
import { buildAcInput } from '../../src/authenticators/emv-cap/build-ac-input.js';
import { computeRetailMac } from '../../src/authenticators/emv-cap/compute-retail-mac.js';
import { computeApplicationCryptogram } from '../../src/authenticators/emv-cap/compute-application-cryptogram.js';
import { deriveSessionKey } from '../../src/authenticators/emv-cap/derive-session-key.js';
import { capProfile, MASTERCARD_CAP_READER, VISA_DPA_READER, type CapProfile } from '../../src/authenticators/emv-cap/cap-profile.js';
import type { CapRequest } from '../../src/authenticators/emv-cap/cap-request.js';
import { checkCapProfile } from '../../src/authenticators/emv-cap/check-cap-profile.js';
import { encodeCommand } from '../../src/authenticators/emv-cap/simulator/apdu.js';

/** The CAP layer of EMV-CAP.md: §8, §9.5–§9.8. */

const h = (hex: string) => fromHex(hex);
const codeOf = (response: string, ipb: string, options: { psn?: string; iaf?: number; tds?: string[] } = {}) => {
  const r = parseGenerateAcResponse(h(response));
  const ac = options.tds ? computeTdsMac(r.ac, options.tds) : r.ac;
  return extractCapCode(buildCapBuffer({ psn: options.psn ?? null, iaf: options.iaf ?? 0, cid: r.cid, atc: r.atc, ac, iad: r.iad }), h(ipb)).toString();
};

const BE_IPB = '0000FF000000000003FFFF';
const NATWEST_IPB = '00001F00000000000FFFFF00000000008000';
const BARCLAYS_IPB = '8000FF000000000001FFFF00000000000000';
const RABO_IPB = '0700007FFFFF000000000000';
const C1 = '77269F2701809F3602005A9F2608513C1201B7DB02A09F100F06015603A400000700030000010002';
const C9 = '77299F2701809F3602007C9F26089CA5A4CA1651CE319F10120C10A50003040000000000000000000000FF';

describe('§9.5 CAP codes from real GENERATE AC responses and the card IPB (card keys not needed)', () => {
  test.each([
    ['C1 cap_be mode 1', C1, BE_IPB, {}, '23790240'],
    ['C2 cap_be mode 1 "1234"', '77269F2701809F360200599F260894AB83B4EA4FCD879F100F06015603A400000700030000010002', BE_IPB, {}, '23580039'],
    ['C3 visa_dpa_be mode 1', '77269F2701809F3602004B9F2608499FC380743A56ED9F100F06025703A400000700030000010002', BE_IPB, {}, '19814125'],
    ['C4 visa_dpa_fr mode 1', '771E9F2701809F360200109F2608CF17CD2F3F3690449F100706780A03A48000', '8001FFFFFF000000000000000000000000', {}, '34656023'],
    ['C5 ABN AMRO mode 1 (IAF 80: no PSN)', '77299F2701809F360200429F2608C14D71DBAFA79FED9F10120012A50003020000000000000000000000FF', '00007FFFFFE0000000000000', { iaf: 0x80 }, '34998891'],
    ['C6 FC 2009 NatWest, format 1 (IAF A0)', '8012800042B7F9A572DA74CAFF06770A03A48000', NATWEST_IPB, { iaf: 0xa0 }, '4822527'],
    ['C7 eid_pt mode 1', '77299F2701809F360200049F26084908A95A2FC4F0FB9F10120110A50003040000000000000000000000FF', '80007FFFFF00000000000000000000000000000000', {}, '8669448'],
    ['C8 Rabobank mode 1, PSN 08 in the buffer (IAF C0)', '77299F2701809F360200799F2608DF0705A00E3A9EF29F10120C10A50003040000000000000000000000FF', RABO_IPB, { psn: '08', iaf: 0xc0 }, '7986951'],
    ['C9 Rabobank mode 2 TDS, real device', C9, RABO_IPB, { psn: '08', iaf: 0xc0, tds: ['0530026806'] }, '8180460'],
    ['C10 cap_be mode 2 TDS "1234" (regression value)', C1, BE_IPB, { tds: ['1234'] }, '23719593'],
    ['C11 visa_cleo_fr with a guessed IPB: 9 digits', '77219F2701809F360200039F2608107A6B38B2EDBE309F100A06550A03A49000020000', '0000FFFFFF0000000000000000000020B938', {}, '102823328'],
    ['C12 maestro_lu, CID 00: 14 digits', '771E9F2701009F360200029F260822FBF1F8FAE371979F100700910300380104', '0000FFFFFFFFFF00000000000000FF00003E', {}, '75176930639874'],
    ['C13 python-emv Barclays (older card), format 1', '801280095F0F9D3798E93F129A060A0A03A49000', BARCLAYS_IPB, {}, '46076570'],
    ['C14 python-emv Barclays 2018', '771E9F2701809F360200169F2608299CC8F10B9BC8309F1007060B0A03A49000', BARCLAYS_IPB, {}, '36554800'],
  ] as const)('%s', (_name, response, ipb, options, code) => {
    expect(codeOf(response, ipb, options as { psn?: string; iaf?: number; tds?: string[] })).toBe(code);
  });

  test('C8 is shown as 07986951 by its reader: codes compare as numbers (§6.2)', () => {
    const ipb = h(RABO_IPB);
    expect(spreadCapCode(BigInt('07986951'), ipb).equals(spreadCapCode(7986951n, ipb))).toBe(true);
  });

  test('C15 Belgian (Banksys) rule without IPB, placeholder ATC 1234 and AC 1234567890ABCDEF', () => {
    expect(extractBanksysCode(0x1234, h('1234567890ABCDEF'))).toBe('53780079');
  });

  test('C11 and C12: IPBs that give more than 8 digits are refused at enrolment (§10.12)', () => {
    const base = capProfile('visa-cvn10-uk');
    const refuse = (ipb: string) => checkCapProfile({ ...base, ipb }, { psn: null });
    expect(refuse('0000FFFFFF0000000000000000000020B938').join()).toMatch(/more than 8 digits/);
    expect(refuse('0000FFFFFFFFFF00000000000000FF00003E').join()).toMatch(/more than 8 digits/);
    expect(refuse(NATWEST_IPB)).toEqual([]);
  });

  test('format 1 and format 2 responses carry the same fields, and re-encode to themselves', () => {
    const one = parseGenerateAcResponse(h('8012800042B7F9A572DA74CAFF06770A03A48000'));
    expect({ cid: one.cid, atc: one.atc, ac: toHex(one.ac), iad: toHex(one.iad) }).toEqual({ cid: 0x80, atc: 0x42, ac: 'B7F9A572DA74CAFF', iad: '06770A03A48000' });
    expect(toHex(encodeGenerateAcResponse(one, 1))).toBe('8012800042B7F9A572DA74CAFF06770A03A48000');
    expect(toHex(encodeGenerateAcResponse(parseGenerateAcResponse(h(C9)), 2))).toBe(C9);
  });
});

describe('§8 worked reference and §9.6 TDS MAC', () => {
  test('§8 FC 2009 Respond 12345678: the request APDU, and the code 4822527 bit by bit', () => {
    const profile: CapProfile = { ...capProfile('visa-cvn10-uk'), reader: MASTERCARD_CAP_READER };
    const data = fillCdol1(profile, { mode: 'respond', challenge: '12345678' });
    expect(toHex(encodeCommand(0x80, 0xae, 0x80, 0x00, data, false))).toBe('80AE80001D' + '00'.repeat(12) + '0000' + '8000000000' + '0000' + '000000' + '00' + '12345678');
    const bits = ['00010', (0x4caff).toString(2).padStart(20, '0'), '1'].join('');
    expect(String(parseInt(bits, 2))).toBe('4822527');
    expect(codeOf('8012800042B7F9A572DA74CAFF06770A03A48000', NATWEST_IPB, { iaf: 0xa0 })).toBe('4822527');
  });

  test('§9.6 C9 TDS: the field packs to 0530026806800000 and is MACed under the AC', () => {
    expect(toHex(packTdsFields(['0530026806']))).toBe('0530026806');
    expect(toHex(packTdsFields(['12', '345']))).toBe('12F345');
    expect(toHex(packTdsFields(['123']))).toBe('123F');
    expect(toHex(padMessage(packTdsFields(['0530026806']), 2))).toBe('0530026806800000');
    const ac = parseGenerateAcResponse(h(C9)).ac;
    const mac = computeTdsMac(ac, ['0530026806']);
    expect(mac).toHaveLength(8);
    expect(codeOf(C9, RABO_IPB, { psn: '08', iaf: 0xc0, tds: ['0530026806'] })).toBe('8180460');
  });
});

describe('§9.5 request side: CDOL1 data as real readers sent it', () => {
  test('Barclays identify: 29 bytes, TVR 8000000000, date 010101', () => {
    const data = fillCdol1(capProfile('visa-cvn10-uk'), { mode: 'identify' });
    expect(toHex(encodeCommand(0x80, 0xae, 0x80, 0x00, data, false))).toBe('80AE80001D' + '00'.repeat(12) + '0000' + '8000000000' + '0000' + '010101' + '00' + '00000000');
  });
  test('Barclays sign £1234.56 with reference 78901234: amount in 9F02, reference in the UN', () => {
    const data = toHex(fillCdol1(capProfile('visa-cvn10-uk'), { mode: 'respond', challenge: '78901234', amount: '123456' }));
    expect(data.slice(0, 12)).toBe('000000123456');
    expect(data.slice(-8)).toBe('78901234');
  });
  test('cap_be challenge 1234: extra CDOL1 tags 9F45 and 9F34 are filled (0000, 010002)', () => {
    const profile = { ...capProfile('visa-cvn10-uk'), cdol1: '9F02069F03069F1A0295055F2A029A039C019F37049F45029F3403', reader: MASTERCARD_CAP_READER };
    expect(toHex(encodeCommand(0x80, 0xae, 0x80, 0x00, fillCdol1(profile, { mode: 'respond', challenge: '1234' }), false))).toBe(
      '80AE800022' + '00'.repeat(12) + '0000' + '8000000000' + '0000' + '000000' + '00' + '00001234' + '0000' + '010002',
    );
  });
  test('ABN AMRO layout: UN, then 9F35 34, 9F45, 9F4C and 9F34 (the UN scrambling itself is [OPEN])', () => {
    const profile = { ...capProfile('visa-cvn10-uk'), cdol1: '9F02069F03069F1A0295055F2A029A039C019F37049F35019F45029F4C089F3403', reader: MASTERCARD_CAP_READER };
    expect(toHex(fillCdol1(profile, { mode: 'respond', challenge: '24661140' })).slice(-38)).toBe('00' + '24661140' + '34' + '0000' + '0000000000000000' + '010002');
  });
});

describe('§9.7 end-to-end vectors of the emvlab.org calculator (EMV2000 tree, separate CVR)', () => {
  const emvlab = capProfile('emv2000-tree-emvlab');
  const run = (mk: string, atc: number, request: CapRequest, tree = { branch: 4, height: 8 }) => {
    const profile = { ...emvlab, keyScheme: { kind: 'tree' as const, ...tree, iv: '00'.repeat(16) } };
    const cdolData = fillCdol1(profile, request);
    const sk = deriveSessionKey(h(mk), profile.keyScheme, { atc, un: cdolData.subarray(-4) });
    const iad = h('06770A03A48000');
    const ac = computeRetailMac(sk, buildAcInput(profile, { cdol: parseDol(profile.cdol1), cdolData, atc, iad, cvr: h('A50006040000') }), 2);
    const code = extractCapCode(buildCapBuffer({ psn: null, iaf: profile.iaf, cid: 0x80, atc, ac, iad }), h(profile.ipb)).toString();
    return { cdolData: toHex(cdolData), sk: toHex(sk), ac: toHex(ac), code };
  };
  const MK1 = '0123456789ABCDEF0123456789ABCDEF';
  const MK2 = '89ABCDEF0123456789ABCDEF01234567';
  test.each([
    ['E1 Identify', MK1, 0x00b4, { mode: 'identify' }, '0000000000000000000000000000800000000000000000000000000000', '5EC8B98ABC8F9E7597647CBCB9A75402', '7F32A79FDA945643', '42511495'],
    ['E2 Respond 1122334455 (first 8 digits kept)', MK1, 0x00b5, { mode: 'respond', challenge: '11223344' }, '0000000000000000000000000000800000000000000000000011223344', '40386B4334EA43313D8A4C262F6885AB', 'B1FA3935AA491B75', '45233899'],
    ['E3 Sign 000000123456, reference 445566', MK2, 0x01a4, { mode: 'respond', challenge: '445566', amount: '123456' }, '0000001234560000000000000000800000000000000000000000445566', 'FB861FFEA7AEB052F461E991FD07A425', '3F758937C03A6189', '9749267'],
    ['respond-challenge4', MK1, 0x00d1, { mode: 'respond', challenge: '4815' }, '0000000000000000000000000000800000000000000000000000004815', '348549A74361237CC77575B50EC7C8E3', 'D23D64617F0644FA', '36473333'],
    ['respond-challenge8', MK1, 0x00d2, { mode: 'respond', challenge: '26002600' }, '0000000000000000000000000000800000000000000000000026002600', '167C8C54F8CBB0231001C7F89EFB3B2F', '9BD8E78BA6FB3B85', '39221003'],
    ['sign-amount-0845', MK2, 0x0101, { mode: 'respond', challenge: '271828', amount: '845' }, '0000000008450000000000000000800000000000000000000000271828', '54B3F20237B0BFFD156161C78C5D4C64', '4D4B59254E31CB18', '2332209'],
    ['sign-amount-50375', MK2, 0x0102, { mode: 'respond', challenge: '654321', amount: '50375' }, '0000000503750000000000000000800000000000000000000000654321', '7CA7516EC8167A1C2FB064F80DAD5B26', 'DB33738C88011BC8', '4339601'],
  ] as const)('%s', (_name, mk, atc, request, cdolData, sk, ac, code) => {
    expect(run(mk, atc, request as CapRequest)).toEqual({ cdolData, sk, ac, code });
  });
  test.each([
    ['identify-b2-h6 (non-EMV tree, regression only)', 0x00c1, { branch: 2, height: 6 }, '34326B077FF70D3DA189317619D90EF4', '0272A3125E2FC049', '4161683'],
    ['identify-b6-h10 (non-EMV tree, regression only)', 0x00c2, { branch: 6, height: 10 }, 'E0E9831325383B2C7C942C5ED5988375', '0F1E73DB3FE44BB1', '4757347'],
  ] as const)('%s', (_name, atc, tree, sk, ac, code) => {
    const r = run(MK1, atc, { mode: 'identify' }, tree);
    expect({ sk: r.sk, ac: r.ac, code: r.code }).toEqual({ sk, ac, code });
  });
  test('a tree that does not cover 65536 counters is refused at enrolment', () => {
    expect(checkCapProfile({ ...emvlab, keyScheme: { kind: 'tree', branch: 2, height: 6, iv: '00'.repeat(16) } }, { psn: null }).join()).toMatch(/65536/);
    expect(checkCapProfile(emvlab, { psn: null })).toEqual([]);
  });
});

describe('§9.8 composite vectors (Visa CVN 10, K10 key, NatWest IPB, date 010101)', () => {
  const profile = capProfile('visa-cvn10-uk');
  const mk = h('154F349D8585CB7F6B0798E9839B10C1');
  const run = (atc: number, request: CapRequest, iad = '06010A03A48000', ipb = profile.ipb) => {
    const cdolData = fillCdol1(profile, request);
    const ac = computeApplicationCryptogram(mk, profile, { cdol: parseDol(profile.cdol1), cdolData, atc, iad: h(iad) });
    return { cdolData: toHex(cdolData), ac: toHex(ac), code: extractCapCode(buildCapBuffer({ psn: null, iaf: profile.iaf, cid: 0x80, atc, ac, iad: h(iad) }), h(ipb)).toString() };
  };
  const ID = '0000000000000000000000000000800000000000000101010000000000';
  const RESPOND = '0000000000000000000000000000800000000000000101010012345678';
  const SIGN = '0000001234560000000000000000800000000000000101010078901234';
  test.each([
    ['Identify', 0x42, { mode: 'identify' }, ID, 'EC92FBAB6C418C05', '4397067'],
    ['Identify', 0x43, { mode: 'identify' }, ID, 'DCB7C7BCC8A5D94D', '7058075'],
    ['Respond 12345678', 0x42, { mode: 'respond', challenge: '12345678' }, RESPOND, '630EADB050AC96FC', '5844473'],
    ['Respond 12345678', 0x43, { mode: 'respond', challenge: '12345678' }, RESPOND, 'BDA9E183CCD0E8C9', '6410643'],
    ['Sign £1234.56, ref 78901234', 0x42, { mode: 'respond', challenge: '78901234', amount: '123456' }, SIGN, 'D6F8ABACFB85B6CB', '4943255'],
    ['Sign £1234.56, ref 78901234', 0x43, { mode: 'respond', challenge: '78901234', amount: '123456' }, SIGN, 'AE326948F9544A76', '6853869'],
  ] as const)('%s at ATC %i', (_name, atc, request, cdolData, ac, code) => {
    expect(run(atc, request as CapRequest)).toEqual({ cdolData, ac, code });
  });
  test('the pyemv A1 ARQC through three IPBs: Barclays 37354030, NatWest 59503708, Thales default 1845708', () => {
    const buffer = buildCapBuffer({ psn: null, iaf: 0, cid: 0x80, atc: 0x1c, ac: h('29CCA15AE665FA2E'), iad: h('06010A03A06010') });
    expect(extractCapCode(buffer, h(BARCLAYS_IPB)).toString()).toBe('37354030');
    expect(extractCapCode(buffer, h(NATWEST_IPB)).toString()).toBe('59503708');
    expect(extractCapCode(buffer, h(`0000FFFFFF000000000000${'00'.repeat(10)}`)).toString()).toBe('1845708');
    expect(() => extractCapCode(buffer, h(`0000FFFFFF000000000000${'00'.repeat(9)}01`))).toThrow(/past the end/);
  });
  test('the UK reader model is the Visa DPA one (date 010101)', () => {
    expect(profile.reader).toEqual(VISA_DPA_READER);
  });
});
