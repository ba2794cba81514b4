import { describe, test, expect } from '@jest/globals';
import { randomBytes, randomInt } from 'node:crypto';
import { generateSync, NobleCryptoPlugin, ScureBase32Plugin } from 'otplib';
import {
  checkHotp,
  checkHotpResync,
  checkTotp,
  decodeBase32,
  encodeBase32,
  generateHotp,
  generateTotp,
  timeStepAt,
  type OathAlgorithm,
} from '../../src/authenticators/oath/oath-codes.js';
import { resolveOathPolicy, DEFAULT_OATH_POLICY } from '../../src/authenticators/oath/oath-policy.js';
import { createOathEnrolment } from '../../src/authenticators/oath/enrolment.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { FactorCredentialRepository } from '../../src/domain/ports.js';

const ascii = (s: string) => Buffer.from(s, 'ascii');
const RFC4226_SECRET = ascii('12345678901234567890');

/** RFC 6238 Appendix B seeds: the same ASCII digits repeated to the hash's length. */
const RFC6238_SEEDS: Record<OathAlgorithm, Buffer> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};

const RFC6238_VECTORS: Array<[number, number, Record<OathAlgorithm, string>]> = [
  [59, 0x1, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, 0x23523ec, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, 0x23523ed, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, 0x273ef07, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, 0x3f940aa, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, 0x27bc86aa, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

describe('RFC 4226 and RFC 6238 test vectors', () => {
  test('RFC 4226 Appendix D: HOTP-SHA1, 6 digits, counters 0–9', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, counter) => generateHotp(RFC4226_SECRET, counter, { algorithm: 'SHA1', digits: 6 }))).toEqual(expected);
  });

  describe.each(['SHA1', 'SHA256', 'SHA512'] as const)('RFC 6238 Appendix B, %s, 8 digits', (algorithm) => {
    test.each(RFC6238_VECTORS)('time %d (step %d)', (seconds, step, codes) => {
      const at = new Date(seconds * 1000);
      expect(timeStepAt(at, 30)).toBe(step);
      expect(generateTotp(RFC6238_SEEDS[algorithm], at, { algorithm, digits: 8, period: 30 })).toBe(codes[algorithm]);
    });
  });

  test('agrees with otplib (an independent implementation) on random seeds, counters and parameters', () => {
    const crypto = new NobleCryptoPlugin();
    const base32 = new ScureBase32Plugin();
    for (let i = 0; i < 60; i++) {
      const algorithm = (['SHA1', 'SHA256', 'SHA512'] as const)[i % 3]!;
      const digits = i % 2 === 0 ? 6 : 8;
      const key = randomBytes(16 + randomInt(49));
      const counter = randomInt(2 ** 40);
      const theirs = generateSync({ strategy: 'hotp', secret: encodeBase32(key), counter, algorithm: algorithm.toLowerCase() as 'sha1', digits, crypto, base32 });
      expect(generateHotp(key, counter, { algorithm, digits })).toBe(theirs);
    }
  });
});

describe('TOTP verification window', () => {
  const key = randomBytes(20);
  const params = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
  const now = new Date('2031-05-04T10:00:15Z');
  const current = timeStepAt(now, 30);
  const codeAt = (delta: number) => generateHotp(key, current + delta, params);

  test('N3-16 drift of −2/−1/0/+1/+2 steps against the configured window (1 by default, 2 when set)', () => {
    const outcome = (delta: number, windowSteps: number) => checkTotp(key, codeAt(delta), { ...params, now, last: null, windowSteps }).kind;
    expect([-2, -1, 0, 1, 2].map((d) => outcome(d, DEFAULT_OATH_POLICY.totpWindowSteps))).toEqual(['no-match', 'match', 'match', 'match', 'no-match']);
    expect([-3, -2, -1, 0, 1, 2, 3].map((d) => outcome(d, 2))).toEqual(['no-match', 'match', 'match', 'match', 'match', 'match', 'no-match']);
    expect([-1, 0, 1].map((d) => outcome(d, 0))).toEqual(['no-match', 'match', 'no-match']);
    expect(checkTotp(key, codeAt(-1), { ...params, now, last: null, windowSteps: 1 })).toEqual({ kind: 'match', counter: current - 1, drift: -1 });
  });

  test('N3-15 a code of a step at or before the last accepted one is a replay, never a match', () => {
    expect(checkTotp(key, codeAt(0), { ...params, now, last: current, windowSteps: 1 })).toEqual({ kind: 'replayed', counter: current });
    expect(checkTotp(key, codeAt(-1), { ...params, now, last: current, windowSteps: 1 })).toEqual({ kind: 'replayed', counter: current - 1 });
    expect(checkTotp(key, codeAt(1), { ...params, now, last: current, windowSteps: 1 }).kind).toBe('match');
  });

  test('malformed codes never match; spaces are the caller’s to strip', () => {
    for (const code of ['', '12345', '1234567', 'abcdef', `${codeAt(0)}0`, ` ${codeAt(0)}`]) {
      expect(checkTotp(key, code, { ...params, now, last: null, windowSteps: 1 }).kind).toBe('no-match');
    }
  });
});

describe('HOTP look-ahead and resynchronisation', () => {
  const key = RFC4226_SECRET;
  const params = { algorithm: 'SHA1', digits: 6 } as const;
  const code = (counter: number) => generateHotp(key, counter, params);

  test('counter 0 is accepted on a fresh token (nothing accepted yet is null, not 0)', () => {
    expect(checkHotp(key, '755224', { ...params, last: null, lookAhead: 10 })).toEqual({ kind: 'match', counter: 0, drift: 0 });
  });

  test('look-ahead covers last+1 … last+lookAhead; the last accepted code is a replay', () => {
    expect(checkHotp(key, code(15), { ...params, last: 5, lookAhead: 10 })).toEqual({ kind: 'match', counter: 15, drift: 9 });
    expect(checkHotp(key, code(16), { ...params, last: 5, lookAhead: 10 }).kind).toBe('no-match');
    expect(checkHotp(key, code(5), { ...params, last: 5, lookAhead: 10 })).toEqual({ kind: 'replayed', counter: 5 });
    expect(checkHotp(key, code(4), { ...params, last: 5, lookAhead: 10 }).kind).toBe('no-match');
    expect(checkHotp(key, code(9), { ...params, last: null, lookAhead: 10 }).kind).toBe('match');
    expect(checkHotp(key, code(10), { ...params, last: null, lookAhead: 10 }).kind).toBe('no-match');
  });

  test('RFC 4226 §7.4: two consecutive codes inside the resync window move to the second one', () => {
    expect(checkHotpResync(key, code(55), code(56), { ...params, last: 5, window: 100 })).toEqual({ kind: 'match', counter: 56, drift: 50 });
    expect(checkHotpResync(key, code(55), code(57), { ...params, last: 5, window: 100 }).kind).toBe('no-match');
    expect(checkHotpResync(key, code(56), code(55), { ...params, last: 5, window: 100 }).kind).toBe('no-match');
    expect(checkHotpResync(key, code(106), code(107), { ...params, last: 5, window: 100 }).kind).toBe('no-match');
    expect(checkHotpResync(key, code(4), code(5), { ...params, last: 5, window: 100 }).kind).toBe('no-match');
  });
});

describe('OATH plumbing', () => {
  test('base32 round-trips and tolerates case, spaces and padding; anything else throws', () => {
    const key = randomBytes(20);
    const text = encodeBase32(key);
    expect(text).toMatch(/^[A-Z2-7]{32}$/);
    expect(decodeBase32(text)).toEqual(key);
    expect(decodeBase32(text.toLowerCase().replace(/(.{4})/g, '$1 '))).toEqual(key);
    expect(decodeBase32('GEZDGNBVGY3TQOJQ======')).toEqual(ascii('1234567890'));
    expect(() => decodeBase32('GEZDGNBV1')).toThrow();
  });

  test('policy: defaults 1 / 10 / 100; look-ahead above 25 or a resync window below it is refused', () => {
    expect(resolveOathPolicy()).toEqual({ totpWindowSteps: 1, hotpLookAhead: 10, hotpResyncWindow: 100 });
    expect(resolveOathPolicy({ hotpLookAhead: 25 }).hotpLookAhead).toBe(25);
    expect(() => resolveOathPolicy({ hotpLookAhead: 26 })).toThrow(/hotpLookAhead/);
    expect(() => resolveOathPolicy({ hotpLookAhead: 0 })).toThrow(/hotpLookAhead/);
    expect(() => resolveOathPolicy({ hotpLookAhead: 20, hotpResyncWindow: 19 })).toThrow(/hotpResyncWindow/);
    expect(() => resolveOathPolicy({ totpWindowSteps: 1.5 })).toThrow(/totpWindowSteps/);
  });

  test('enrolment: a 160-bit base32 seed and an otpauth URI apps read (Key URI Format)', () => {
    const enrolment = createOathEnrolment({ factors: {} as FactorCredentialRepository, clock: new ManualClock() });
    const { secret, otpauthUri } = enrolment.beginTotpEnrolment('alice@example.com', 'Banque Dupont');
    expect(decodeBase32(secret)).toHaveLength(20);
    expect(otpauthUri).toBe(`otpauth://totp/Banque%20Dupont:alice%40example.com?secret=${secret}&issuer=Banque%20Dupont&algorithm=SHA1&digits=6&period=30`);
    expect(enrolment.beginTotpEnrolment('a', 'b').secret).not.toBe(secret);
  });
});
