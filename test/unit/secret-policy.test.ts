import { describe, test, expect } from '@jest/globals';
import { dictionary } from '@zxcvbn-ts/language-common';
import { commonPasswords, isCommonPassword, MIN_COMMON_PASSWORDS } from '../../src/policy/common-passwords.js';
import {
  checkPassword,
  checkPin,
  DEFAULT_PASSWORD_POLICY,
  DEFAULT_PIN_POLICY,
  describePasswordRejection,
  describePasswordRules,
  describePinRejection,
  describePinRules,
  normaliseSecret,
  PASSWORD_REJECTIONS,
  PIN_REJECTIONS,
  SECRET_POLICY_MESSAGE_IDS,
  type PasswordPolicy,
  type PinContext,
} from '../../src/policy/secret-policy.js';

const policy = DEFAULT_PASSWORD_POLICY;
const noContext = { identifiers: [], serviceWords: [] };
const context = { identifiers: ['jdupont', 'jean.dupont@example.fr', '00123456'], serviceWords: ['guichet', 'Banque Exemple'] };
const reasonsOf = (password: string, p: PasswordPolicy = policy, ctx = context) => {
  const result = checkPassword(password, p, ctx);
  return result.ok ? [] : result.reasons;
};

/** A varied, non-dictionary string of exactly n code points (a fixed linear congruential walk). */
function varied(n: number): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%&*+=?@';
  let seed = 7;
  let out = '';
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    out += alphabet[seed % alphabet.length];
  }
  return out;
}
const codePointCount = (s: string) => Array.from(s).length;

describe('password policy', () => {
  test('N3-06 a 64-character Unicode passphrase is accepted and not truncated', () => {
    const passphrase = 'Élan vital, café crème & 東京の夜 🌙 déjà vu, naïve façade; ÆØÅ ß Ω k';
    expect(codePointCount(passphrase)).toBe(64);
    expect(passphrase.length).toBeGreaterThan(64);
    expect(checkPassword(passphrase, policy, context)).toEqual({ ok: true });
    expect(normaliseSecret(passphrase)).toBe(passphrase);
    expect(normaliseSecret(`${passphrase}X`)).not.toBe(normaliseSecret(passphrase));
  });

  test('N3-06 length is counted in code points: 128 emoji-bearing code points pass, 129 are too_long', () => {
    const withEmoji = `🌙🔑${varied(126)}`;
    expect(withEmoji.length).toBe(130);
    expect(checkPassword(withEmoji, policy, noContext)).toEqual({ ok: true });
    expect(reasonsOf(varied(129), policy, noContext)).toEqual(['too_long']);
  });

  test('N3-06 NFKC-equivalent strings normalise equal', () => {
    expect(normaliseSecret('ﬁnance')).toBe(normaliseSecret('finance'));
    expect(normaliseSecret('１２３４５６')).toBe('123456');
    expect(normaliseSecret('cafe\u0301')).toBe(normaliseSecret('café'));
    expect(normaliseSecret('Ⅻ')).toBe('XII');
    expect(reasonsOf('ｐａｓｓｗｏｒｄ１')).toEqual(['common']);
  });

  test('N3-07 common, personal, service and repetitive passwords are rejected with their reasons', () => {
    expect(reasonsOf('Password1')).toEqual(['common']);
    expect(reasonsOf('123456')).toEqual(['too_short', 'common', 'repetitive']);
    expect(reasonsOf('azerty')).toEqual(['too_short', 'common', 'repetitive']);
    expect(reasonsOf('jdupont')).toEqual(['too_short', 'contains_identifier']);
    expect(reasonsOf('JDupont-Paris-75')).toEqual(['contains_identifier']);
    expect(reasonsOf('jean.dupont')).toEqual(['contains_identifier']);
    expect(reasonsOf('guichet2024')).toEqual(['context_word']);
    expect(reasonsOf('MaBanqueExemple!')).toEqual(['context_word']);
    expect(reasonsOf('JeanDupont1975')).toEqual(['contains_identifier']);
  });

  test('N3-07 repetitive: one repeated character, a short repeated block, or a sequence covering the whole password', () => {
    for (const p of ['aaaaaaaa', 'ZZZZZZZZZZ', 'xk3xk3xk3', '12345678', '87654321', '7890123456', 'abcdefgh', 'hgfedcba', 'azertyui', 'qwertyui', 'qsdfghjklm', 'QWERTYUIOPASDF']) {
      expect(reasonsOf(p)).toContain('repetitive');
    }
    expect(reasonsOf('correcthorsecorrecthorse')).not.toContain('repetitive');
    expect(reasonsOf('azertyu1')).not.toContain('repetitive');
  });

  test('N3-07 a common password followed by a few digits or symbols is still common', () => {
    expect(reasonsOf('azerty2024!')).toEqual(['common']);
    expect(reasonsOf('Soleil1234')).toEqual(['common']);
    expect(reasonsOf('Tr0ub4dor&3')).toEqual([]);
  });

  test('N3-07 identifiers and service words shorter than 3 characters are ignored', () => {
    expect(reasonsOf('correct horse battery staple', policy, { identifiers: ['co', ''], serviceWords: ['ba'] })).toEqual([]);
  });

  test.each([
    [7, ['too_short']],
    [8, []],
    [12, []],
    [15, []],
    [64, []],
    [128, []],
    [129, ['too_long']],
  ])('ASVS-01 with the default policy a password of %i code points gives %j', (n, expected) => {
    expect(reasonsOf(varied(n), policy, noContext)).toEqual(expected);
  });

  test('ASVS-01 an ASVS 4.0.3 profile (minLength 12) refuses 11 and accepts 12', () => {
    const asvs403 = { ...policy, minLength: 12 };
    expect(reasonsOf(varied(11), asvs403, noContext)).toEqual(['too_short']);
    expect(reasonsOf(varied(12), asvs403, noContext)).toEqual([]);
  });

  test('ASVS-02 normalisation changes neither case nor surrounding spaces', () => {
    expect(normaliseSecret('Password')).not.toBe(normaliseSecret('password'));
    expect(normaliseSecret('correct Horse')).not.toBe(normaliseSecret('correct horse'));
    expect(normaliseSecret('  two spaces  ')).toBe('  two spaces  ');
    expect(normaliseSecret('tab\there\n')).toBe('tab\there\n');
    const seven = varied(7);
    expect(reasonsOf(seven, policy, noContext)).toEqual(['too_short']);
    expect(reasonsOf(` ${seven}`, policy, noContext)).toEqual([]);
  });

  test('ASVS-03 the blocklist holds at least 3000 entries and rejects entries sampled from it', () => {
    const source = dictionary['passwords-common'];
    expect(source.length).toBeGreaterThanOrEqual(MIN_COMMON_PASSWORDS);
    expect(commonPasswords().size).toBeGreaterThanOrEqual(MIN_COMMON_PASSWORDS);
    const sample = source.filter((_, i) => i % 997 === 0);
    expect(sample.length).toBeGreaterThan(40);
    for (const word of sample) {
      expect(isCommonPassword(word)).toBe(true);
      expect(isCommonPassword(word.toUpperCase())).toBe(true);
      expect(reasonsOf(word, policy, noContext)).toContain('common');
    }
  });

  test('ASVS-03 the French additions are blocked, the lookup is case-insensitive after NFKC, and it can be turned off', () => {
    for (const word of ['azerty', 'azerty123', 'motdepasse', 'soleil', 'doudou', 'chouchou', 'marseille', 'loulou']) {
      expect(isCommonPassword(word)).toBe(true);
    }
    expect(isCommonPassword('MotDePasse')).toBe(true);
    expect(isCommonPassword('ｍｏｔｄｅｐａｓｓｅ')).toBe(true);
    expect(isCommonPassword('correct horse battery staple')).toBe(false);
    expect(reasonsOf('motdepasse', { ...policy, blocklist: false })).toEqual([]);
  });

  test('ASVS-04 composition rules are off by default and report each missing class when enabled', () => {
    expect(policy.composition.enabled).toBe(false);
    expect(checkPassword('correct horse battery staple', policy, context)).toEqual({ ok: true });
    const legacy = { ...policy, composition: { ...policy.composition, enabled: true } };
    expect(reasonsOf('correct horse battery staple', legacy)).toEqual(['composition_upper', 'composition_digit', 'composition_symbol']);
    expect(reasonsOf('CORRECT HORSE 42', legacy)).toEqual(['composition_lower', 'composition_symbol']);
    expect(reasonsOf('Correct horse 42!', legacy)).toEqual([]);
    const onlyDigit = { ...policy, composition: { enabled: true, lower: false, upper: false, digit: true, symbol: false } };
    expect(reasonsOf('correct horse battery staple', onlyDigit)).toEqual(['composition_digit']);
  });
});

describe('PIN policy', () => {
  const pinContext = { identifiers: ['00123456', 'jdupont'], birthDates: ['1985-07-14'] };
  const pinReasons = (pin: string, length = DEFAULT_PIN_POLICY.length, ctx: PinContext = pinContext) => {
    const result = checkPin(pin, { length }, ctx);
    return result.ok ? [] : result.reasons;
  };

  test('PIN exactly N digits, after NFKC', () => {
    expect(pinReasons('739201')).toEqual([]);
    expect(pinReasons('７３９２０１')).toEqual([]);
    expect(pinReasons('73920')).toEqual(['pin_wrong_length']);
    expect(pinReasons('7392018')).toEqual(['pin_wrong_length']);
    expect(pinReasons('73a201')).toEqual(['pin_not_digits']);
    expect(pinReasons(' 739201')).toEqual(['pin_not_digits', 'pin_wrong_length']);
    expect(pinReasons('7392', 4)).toEqual([]);
    expect(pinReasons('739201', 4)).toEqual(['pin_wrong_length']);
  });

  test('PIN repeated digits and patterns of at most two digits are refused', () => {
    expect(pinReasons('111111')).toEqual(['pin_repeated']);
    expect(pinReasons('121212')).toEqual(['pin_repeated', 'pin_common']);
    expect(pinReasons('100100')).toEqual(['pin_repeated']);
    expect(pinReasons('385385')).toEqual(['pin_repeated']);
  });

  test('PIN ascending and descending runs, wrapping 9 to 0, are refused', () => {
    expect(pinReasons('123456', 6, { identifiers: [] })).toEqual(['pin_sequential']);
    expect(pinReasons('654321')).toEqual(['pin_sequential']);
    expect(pinReasons('012345', 6, { identifiers: [] })).toEqual(['pin_sequential']);
    expect(pinReasons('890123')).toEqual(['pin_sequential']);
    expect(pinReasons('210987')).toEqual(['pin_sequential']);
    expect(pinReasons('987650')).toEqual([]);
  });

  test('PIN contained in, equal to, or containing a numeric identifier is refused', () => {
    expect(pinReasons('123456')).toEqual(['pin_sequential', 'pin_identifier']);
    expect(pinReasons('001234')).toEqual(['pin_identifier']);
    expect(pinReasons('582047', 6, { identifiers: ['582047'] })).toEqual(['pin_identifier']);
    expect(pinReasons('582047', 6, { identifiers: ['client-５８２０４７-FR'] })).toEqual(['pin_identifier']);
    expect(pinReasons('958204', 6, { identifiers: ['8204'] })).toEqual(['pin_identifier']);
    expect(pinReasons('958204', 6, { identifiers: ['820'] })).toEqual([]);
  });

  test('PIN built from the birth date is refused', () => {
    expect(pinReasons('140785')).toEqual(['pin_birth_date']);
    expect(pinReasons('850714')).toEqual(['pin_birth_date']);
    expect(pinReasons('071985')).toEqual(['pin_birth_date']);
    expect(pinReasons('619852')).toEqual(['pin_birth_date']);
    expect(pinReasons('1407', 4)).toEqual(['pin_birth_date']);
    expect(pinReasons('140785', 6, { identifiers: [], birthDates: ['not a date'] })).toEqual([]);
  });

  test('PIN codes most often chosen are refused as pin_common', () => {
    for (const pin of ['123123', '111222', '121212', '000000', '112233', '159753', '147258', '101010']) {
      expect(pinReasons(pin, 6, { identifiers: [] })).toContain('pin_common');
    }
    expect(pinReasons('2580', 4, { identifiers: [] })).toEqual(['pin_common']);
    expect(pinReasons('1987', 4, { identifiers: [] })).toEqual(['pin_common']);
    expect(pinReasons('14725836', 8, { identifiers: [] })).toEqual(['pin_common']);
  });
});

describe('rules and rejections as messages', () => {
  test('the password rules follow the policy', () => {
    expect(describePasswordRules(policy)).toEqual([
      { id: 'rules.password.min_length', params: { n: '8' } },
      { id: 'rules.password.max_length', params: { n: '128' } },
      { id: 'rules.password.any_character', params: {} },
      { id: 'rules.password.not_common', params: {} },
      { id: 'rules.password.not_personal', params: {} },
      { id: 'rules.password.not_repetitive', params: {} },
    ]);
    const legacy = { ...policy, blocklist: false, composition: { enabled: true, lower: true, upper: true, digit: false, symbol: true } };
    expect(describePasswordRules(legacy).map((r) => r.id)).toEqual([
      'rules.password.min_length',
      'rules.password.max_length',
      'rules.password.any_character',
      'rules.password.not_personal',
      'rules.password.not_repetitive',
      'rules.password.composition_lower',
      'rules.password.composition_upper',
      'rules.password.composition_symbol',
    ]);
  });

  test('the PIN rules carry the length', () => {
    expect(describePinRules({ length: 8 })[0]).toEqual({ id: 'rules.pin.length', params: { n: '8' } });
  });

  test('every rejection reason has a message id', () => {
    const ids: readonly string[] = SECRET_POLICY_MESSAGE_IDS;
    for (const reason of PASSWORD_REJECTIONS) expect(ids).toContain(describePasswordRejection(reason, policy).id);
    for (const reason of PIN_REJECTIONS) expect(ids).toContain(describePinRejection(reason, DEFAULT_PIN_POLICY).id);
    expect(describePasswordRejection('too_short', policy).params).toEqual({ n: '8' });
    expect(describePinRejection('pin_wrong_length', { length: 4 }).params).toEqual({ n: '4' });
  });
});
