import { describe, test, expect } from '@jest/globals';
import { capHarness } from './cap-harness.js';
import { capProfile, type CapProfileName } from '../../src/authenticators/emv-cap/cap-profile.js';
import type { CapRequest } from '../../src/authenticators/emv-cap/cap-request.js';
import { defaultAtcWindow } from '../../src/authenticators/emv-cap/verify-cap-code.js';
import { fillCdol1 } from '../../src/authenticators/emv-cap/fill-cdol.js';
import { checkCapProfile } from '../../src/authenticators/emv-cap/check-cap-profile.js';
import { countIpbBits } from '../../src/authenticators/emv-cap/extract-cap-code.js';
import { fromHex } from '../../src/authenticators/emv-cap/bytes.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';

/** Software card and reader against the verifier (EMV-CAP.md §5, §6). */

const PROFILES: CapProfileName[] = ['visa-cvn10-uk', 'mastercard-cvn16-nl', 'emv2000-tree-emvlab'];
const MODES: [string, CapRequest][] = [
  ['mode 2 identify', { mode: 'identify' }],
  ['mode 1 respond', { mode: 'respond', challenge: '48151623' }],
  ['mode 1 respond with an amount', { mode: 'respond', challenge: '42', amount: '123456' }],
  ['mode 2 TDS sign (amount, payee digits)', { mode: 'sign', fields: ['123456', '3000400005'] }],
];

describe('simulator versus verifier, every profile and mode', () => {
  for (const profile of PROFILES) {
    test.each(MODES)(`${profile}: %s, twice in a row, in both response formats`, async (_name, request) => {
      for (const responseFormat of [1, 2] as const) {
        const cap = capHarness({ profile, responseFormat });
        for (let i = 1; i <= 2; i++) {
          const code = await cap.press(request);
          expect(code).toMatch(/^\d{1,8}$/);
          expect(await cap.verify(code, request)).toEqual({ kind: 'verified', evidence: { atc: cap.card.state().atc } });
        }
      }
    });
  }

  test('mastercard-cvn16-nl binds amount and currency in mode 1 (IAF C0), and the MasterCard SKD uses the UN sent', async () => {
    const cap = capHarness({ profile: 'mastercard-cvn16-nl', psn: '08' });
    const request: CapRequest = { mode: 'respond', challenge: '12345678', amount: '9999', currency: '0978' };
    const code = await cap.press(request);
    expect(await cap.verify(code, { ...request, currency: '0826' })).toMatchObject({ kind: 'rejected' });
    expect(await cap.verify(code, { ...request, challenge: '12345679' })).toMatchObject({ kind: 'rejected' });
    expect(await cap.verify(code, request)).toMatchObject({ kind: 'verified' });
  });

  test('the demo card reproduces the composite vectors of §9.8 (Identify 0042 → 4397067, 0043 → 7058075)', async () => {
    const cap = capHarness({ atc: 0x41, lastOnlineNotCompleted: true });
    expect(await cap.press({ mode: 'identify' })).toBe('4397067');
    expect(await cap.press({ mode: 'identify' })).toBe('7058075');
    const signing = capHarness({ atc: 0x41, lastOnlineNotCompleted: true });
    expect(await signing.press({ mode: 'respond', challenge: '78901234', amount: '123456' })).toBe('4943255');
  });

  test('an imported ICC key verifies like the issuer-derived one', async () => {
    const cap = capHarness({ keySource: 'imported' });
    expect(cap.record.key.kind).toBe('imported');
    expect(await cap.verify(await cap.press({ mode: 'identify' }), { mode: 'identify' })).toMatchObject({ kind: 'verified' });
  });

  test('Rabobank-style readers show leading zeros; the verifier compares numbers (§6.2)', async () => {
    const cap = capHarness({ profile: 'mastercard-cvn16-nl' }, { padDigits: 8 });
    const code = await cap.press({ mode: 'identify' });
    expect(code).toHaveLength(8);
    expect(await cap.verify(code.replace(/^0+/, '') || '0', { mode: 'identify' })).toMatchObject({ kind: 'verified' });
  });
});

describe('the card checks the PIN; the verifier only accepts codes whose CVR says it did (§6.7)', () => {
  test('wrong PIN: the card refuses (63Cx), the reader shows no code, and the tries left go down then reset', async () => {
    const cap = capHarness();
    expect(await cap.reader.generateCode(cap.card, { pin: '9999', request: { mode: 'identify' } })).toEqual({ kind: 'refused', reason: 'wrong_pin', triesLeft: 2 });
    expect(cap.card.state().pinTries).toBe(2);
    const code = await cap.press({ mode: 'identify' });
    expect(cap.card.state().pinTries).toBe(3);
    expect(await cap.verify(code, { mode: 'identify' })).toMatchObject({ kind: 'verified' });
  });

  test('three wrong PINs block the card PIN (6983): no code even with the right PIN, the PIN try counter stays on the chip', async () => {
    const cap = capHarness();
    for (const left of [2, 1, 0]) expect(await cap.reader.generateCode(cap.card, { pin: '0000', request: { mode: 'identify' } })).toEqual({ kind: 'refused', reason: 'wrong_pin', triesLeft: left });
    expect(await cap.reader.generateCode(cap.card, { pin: '1234', request: { mode: 'identify' } })).toEqual({ kind: 'refused', reason: 'pin_blocked' });
  });

  test.each(PROFILES)('%s: a rogue reader that skips VERIFY still gets a code, and the verifier rejects it', async (profile) => {
    const cap = capHarness({ profile }, { verifyPin: false });
    const code = await cap.press({ mode: 'identify' });
    expect(await cap.verify(code, { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'no_match' });
  });

  test('a profile listing a card state without a verified PIN is refused at enrolment, and ignored by the verifier anyway', async () => {
    const profile = capProfile('visa-cvn10-uk');
    // The states a rogue session shows: ARQC, offline PIN not performed (CVR byte 2 A0).
    const unverified = { ...profile, cardStates: [...profile.cardStates, { iad: '06010A03A08000' }, { iad: '06010A03A00000' }] };
    expect(checkCapProfile(unverified, { psn: null }).join()).toMatch(/offline PIN/);
    const cap = capHarness({ profile: unverified }, { verifyPin: false });
    expect(await cap.verify(await cap.press({ mode: 'identify' }), { mode: 'identify' })).toMatchObject({ kind: 'rejected' });
  });

  test('a declined first GENERATE AC (CID 00) gives no code', async () => {
    const cap = capHarness({});
    const declining = createSimulatedCard({ ...cap.card.state(), declineNext: true });
    expect(await cap.reader.generateCode(declining, { pin: '1234', request: { mode: 'identify' } })).toEqual({ kind: 'refused', reason: 'declined' });
    expect(declining.state().declineNext).toBe(false);
  });
});

describe('CAP-02 the ATC strictly increases: single use, bounded window, resynchronisation', () => {
  test('CAP-02 PSD2-03 a replayed code is rejected as replayed', async () => {
    const cap = capHarness();
    const code = await cap.press({ mode: 'identify' });
    expect(await cap.verify(code, { mode: 'identify' })).toMatchObject({ kind: 'verified' });
    expect(await cap.verify(code, { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'replayed' });
  });

  test('CAP-02 a code from the past (ATC below the last accepted) is rejected', async () => {
    const cap = capHarness();
    const older = await cap.press({ mode: 'identify' });
    const newer = await cap.press({ mode: 'identify' });
    expect(await cap.verify(newer, { mode: 'identify' })).toMatchObject({ kind: 'verified' });
    expect(await cap.verify(older, { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'no_match' });
  });

  test('codes skipped (never submitted) inside the window are fine; the default window follows the IPB (§6.4)', async () => {
    expect(defaultAtcWindow(capProfile('visa-cvn10-uk'))).toBe(32);
    expect(defaultAtcWindow(capProfile('mastercard-cvn16-nl'))).toBe(128);
    expect(defaultAtcWindow({ ipb: '8000FF000000000001FFFF00000000000000', iaf: 0 })).toBe(256);
    const cap = capHarness();
    for (let i = 0; i < 30; i++) await cap.press({ mode: 'identify' });
    expect(await cap.verify(await cap.press({ mode: 'identify' }), { mode: 'identify' })).toMatchObject({ kind: 'verified' });
  });

  test('CAP-02 an ATC jump beyond the window is rejected, then two consecutive Identify codes resynchronise', async () => {
    const cap = capHarness();
    for (let i = 0; i < 40; i++) await cap.press({ mode: 'identify' });
    const far = await cap.press({ mode: 'identify' });
    expect(await cap.verify(far, { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'no_match' });
    expect(await cap.verify(far, { mode: 'identify' }, 64)).toMatchObject({ kind: 'verified' });
    for (let i = 0; i < 300; i++) await cap.press({ mode: 'identify' });
    const first = await cap.press({ mode: 'identify' });
    const second = await cap.press({ mode: 'identify' });
    expect(await cap.resynchronise([first, second])).toEqual({ kind: 'verified', evidence: { atc: cap.card.state().atc } });
    expect(await cap.verify(second, { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'replayed' });
    expect(await cap.verify(await cap.press({ mode: 'identify' }), { mode: 'identify' })).toMatchObject({ kind: 'verified' });
  });

  test('resynchronisation refuses codes out of order, too far apart, or beyond its window', async () => {
    const cap = capHarness();
    for (let i = 0; i < 100; i++) await cap.press({ mode: 'identify' });
    const a = await cap.press({ mode: 'identify' });
    for (let i = 0; i < 4; i++) await cap.press({ mode: 'identify' });
    const b = await cap.press({ mode: 'identify' });
    const c = await cap.press({ mode: 'identify' });
    expect(await cap.resynchronise([c, b])).toMatchObject({ kind: 'rejected' });
    expect(await cap.resynchronise([a, b])).toMatchObject({ kind: 'rejected' });
    expect(await cap.resynchronise([b, c], 64)).toMatchObject({ kind: 'rejected' });
    expect(await cap.resynchronise([b, c])).toMatchObject({ kind: 'verified' });
  });

  test('a card at ATC FFFF is exhausted: the card refuses GPO and the verifier says so', async () => {
    const cap = capHarness({ atc: 0xffff });
    expect(await cap.reader.generateCode(cap.card, { pin: '1234', request: { mode: 'identify' } })).toEqual({ kind: 'refused', reason: 'card_blocked' });
    cap.state.lastAtc = 0xffff;
    expect(await cap.verify('1234567', { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'counter_exhausted' });
  });
});

describe('CAP-01 the code is checked by recomputing the cryptogram with the card key, ATC, challenge, amount and IPB', () => {
  test.each(PROFILES)('CAP-01 %s: flipping any of the code bits the IPB selects, or changing the challenge, fails', async (profile) => {
    const cap = capHarness({ profile });
    const request: CapRequest = { mode: 'respond', challenge: '31415926' };
    const code = await cap.press(request);
    const value = BigInt(code);
    const width = countIpbBits(fromHex(cap.record.profile.ipb));
    for (let k = 0; k < width; k++) {
      const flipped = (value ^ (1n << BigInt(k))).toString();
      expect((await cap.verify(flipped, request)).kind).toBe('rejected');
    }
    expect((await cap.verify(code, { mode: 'respond', challenge: '31415927' })).kind).toBe('rejected');
    expect(await cap.verify(code, request)).toMatchObject({ kind: 'verified' });
  });

  test('codes that are not digits, or wider than the IPB, are malformed', async () => {
    const cap = capHarness();
    expect(await cap.verify('12a4', { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'malformed_code' });
    expect(await cap.verify(String(2 ** 26), { mode: 'identify' })).toEqual({ kind: 'rejected', reason: 'malformed_code' });
  });
});

describe('CAP-03 one mode cannot stand for another; a signature binds its amount and payee', () => {
  test('CAP-03 a Respond (login) code does not approve a payment, and a TDS code for amount X is rejected for X + 0.01', async () => {
    const cap = capHarness();
    const login = await cap.press({ mode: 'respond', challenge: '12345678' });
    expect(await cap.verify(login, { mode: 'sign', fields: ['12345678'] })).toMatchObject({ kind: 'rejected' });
    const signed = await cap.press({ mode: 'sign', fields: ['100000', '3000400005'] });
    expect(await cap.verify(signed, { mode: 'sign', fields: ['100001', '3000400005'] })).toMatchObject({ kind: 'rejected' });
    expect(await cap.verify(signed, { mode: 'sign', fields: ['100000', '3000400006'] })).toMatchObject({ kind: 'rejected' });
    expect(await cap.verify(signed, { mode: 'identify' })).toMatchObject({ kind: 'rejected' });
    expect(await cap.verify(signed, { mode: 'sign', fields: ['100000', '3000400005'] })).toMatchObject({ kind: 'verified' });
  });

  test('a card whose IAF does not put the amount in mode 1 cannot be asked to bind one (§5.3)', () => {
    const profile = { ...capProfile('visa-cvn10-uk'), iaf: 0 };
    expect(() => fillCdol1(profile, { mode: 'respond', challenge: '1', amount: '100' })).toThrow(/IAF b8/);
    expect(() => fillCdol1(capProfile('visa-cvn10-uk'), { mode: 'respond', challenge: '1', amount: '100', currency: '0826' })).toThrow(/currency/);
    expect(() => fillCdol1(profile, { mode: 'respond', challenge: '123456789' })).toThrow(/8 digits/);
  });
});
