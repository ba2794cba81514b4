import { describe, test, expect } from '@jest/globals';
import { fromHex, toHex } from '../../src/authenticators/emv-cap/bytes.js';
import { createDemoCard } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { encodeCommand, splitResponse } from '../../src/authenticators/emv-cap/simulator/apdu.js';
import { pressCardReader } from '../../src/authenticators/emv-cap/simulator/press-card-reader.js';
import { parseGenerateAcResponse } from '../../src/authenticators/emv-cap/generate-ac-response.js';
import { findTlv, parseTlv } from '../../src/authenticators/emv-cap/tlv.js';
import { fillCdol1 } from '../../src/authenticators/emv-cap/fill-cdol.js';
import { fillDol, parseDol } from '../../src/authenticators/emv-cap/data-object-list.js';
import { capTerminalValues } from '../../src/authenticators/emv-cap/fill-cdol.js';

/** The software card at APDU level (EMV-CAP.md §5.2, §5.7). */
describe('simulated CAP card', () => {
  const demo = createDemoCard();
  const send = (card: ReturnType<typeof createSimulatedCard>, apdu: Buffer) => splitResponse(card.transmit(apdu));
  const select = (aid = demo.card.aid) => encodeCommand(0x00, 0xa4, 0x04, 0x00, fromHex(aid));
  const gpo = encodeCommand(0x80, 0xa8, 0x00, 0x00, fromHex('8300'));
  const verify = (pin: string) => encodeCommand(0x00, 0x20, 0x00, 0x80, Buffer.from(`2${pin.length}${pin}`.padEnd(16, 'F'), 'hex'), false);
  const firstAc = () => encodeCommand(0x80, 0xae, 0x80, 0x00, fillCdol1(demo.enrolment.profile, { mode: 'identify' }));
  const secondAc = () => encodeCommand(0x80, 0xae, 0x00, 0x00, fillDol(parseDol(demo.card.profile.cdol2), capTerminalValues(demo.enrolment.profile.reader, 0, { mode: 'identify' })));

  test('a full session: the ATC moves at GPO, the record carries IPB, IAF and CDOLs, the ARQC says PIN verified, the AAC ends it (A4 → 25)', () => {
    const card = createSimulatedCard(demo.card);
    expect(send(card, select('A0000000041010')).sw).toBe(0x6a82);
    expect(send(card, gpo).sw).toBe(0x6985);
    const fci = send(card, select());
    expect(fci.sw).toBe(0x9000);
    expect(toHex(findTlv(parseTlv(fci.data), '84')!)).toBe(demo.card.aid);
    expect(send(card, gpo)).toMatchObject({ sw: 0x9000 });
    expect(card.state().atc).toBe(demo.card.atc + 1);
    const record = parseTlv(send(card, encodeCommand(0x00, 0xb2, 0x01, 0x0c)).data);
    expect(toHex(findTlv(record, '9F56')!)).toBe(demo.card.profile.ipb);
    expect(findTlv(record, '9F55')![0]).toBe(0xa0);
    expect(toHex(findTlv(record, '5A')!)).toBe(demo.card.pan);
    expect(toHex(send(card, encodeCommand(0x80, 0xca, 0x9f, 0x17)).data)).toBe('9F170103');
    expect(send(card, verify('1234')).sw).toBe(0x9000);
    const arqc = parseGenerateAcResponse(send(card, firstAc()).data);
    expect({ cid: arqc.cid, atc: arqc.atc, iad: toHex(arqc.iad) }).toEqual({ cid: 0x80, atc: demo.card.atc + 1, iad: '06010A03A40000' });
    const aac = parseGenerateAcResponse(send(card, secondAc()).data);
    expect({ cid: aac.cid, iad: toHex(aac.iad) }).toEqual({ cid: 0x00, iad: '06010A03250000' });
    expect(send(card, secondAc()).sw).toBe(0x6985);
    expect(card.state().lastOnlineNotCompleted).toBe(true);
  });

  test('wrong PIN: 63C2, 63C1, 63C0, then 6983; GENERATE AC without VERIFY reports PIN not performed (A0)', () => {
    const card = createSimulatedCard(demo.card);
    send(card, select());
    send(card, gpo);
    expect([verify('1111'), verify('2222'), verify('3333'), verify('1234')].map((a) => send(card, a).sw)).toEqual([0x63c2, 0x63c1, 0x63c0, 0x6983]);
    const other = createSimulatedCard(demo.card);
    send(other, select());
    expect(send(other, firstAc()).sw).toBe(0x6985);
    send(other, gpo);
    expect(toHex(parseGenerateAcResponse(send(other, firstAc()).data).iad)).toBe('06010A03A00000');
  });

  test('the cap-reader helper returns the code and the card state to keep, and nothing for a wrong PIN', async () => {
    const kit = { card: demo.card, reader: demo.enrolment.profile.reader };
    const wrong = await pressCardReader(kit, { pin: '4321', request: { mode: 'identify' } });
    expect(wrong.result).toEqual({ kind: 'refused', reason: 'wrong_pin', triesLeft: 2 });
    expect(wrong.kit.card).toMatchObject({ atc: demo.card.atc + 1, pinTries: 2 });
    const right = await pressCardReader(wrong.kit, { pin: '1234', request: { mode: 'respond', challenge: '12345678' } });
    expect(right.result).toEqual({ kind: 'code', code: expect.stringMatching(/^\d{1,8}$/) });
    expect(right.kit.card).toMatchObject({ atc: demo.card.atc + 2, pinTries: 3, lastOnlineNotCompleted: true });
    expect(JSON.parse(JSON.stringify(right.kit))).toEqual(right.kit);
  });
});
