import { isCommonPassword } from './common-passwords.js';

/**
 * Rules for the secrets a user chooses: passwords (NIST SP 800-63B §5.1.1.2, ASVS 5.0 V6.2) and
 * confidential codes (PINs). Pure: every check returns the list of reasons, never throws.
 */

/** NFKC (NIST SP 800-63B §5.1.1.2), nothing else: no trimming, no case change, no truncation. */
export function normaliseSecret(s: string): string {
  return s.normalize('NFKC');
}

export interface PasswordPolicy {
  /** Fewest code points after NFKC. NIST: 8; ASVS 4.0.3 L1: 12; ASVS 5.0 6.2.1 recommends 15. */
  minLength: number;
  /** Most code points accepted; at least 64 (ASVS 5.0 6.2.9); ASVS 4.0.3 2.1.2 denies over 128. */
  maxLength: number;
  /** Refuse common and breached passwords (ASVS 5.0 6.2.4, 6.2.12). */
  blocklist: boolean;
  /** Character classes; off by default (NIST §5.1.1.2 SHALL NOT, ASVS 5.0 6.2.5), for legacy rules only. */
  composition: { enabled: boolean; lower: boolean; upper: boolean; digit: boolean; symbol: boolean };
}

export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 8,
  maxLength: 128,
  blocklist: true,
  composition: Object.freeze({ enabled: false, lower: true, upper: true, digit: true, symbol: true }),
});

export interface PinPolicy {
  /** Exact number of digits, 4 to 12. */
  length: number;
}

export const DEFAULT_PIN_POLICY: Readonly<PinPolicy> = Object.freeze({ length: 6 });

export const PASSWORD_REJECTIONS = [
  'too_short',
  'too_long',
  'common',
  'contains_identifier',
  'context_word',
  'repetitive',
  'composition_lower',
  'composition_upper',
  'composition_digit',
  'composition_symbol',
] as const;
export type PasswordRejection = (typeof PASSWORD_REJECTIONS)[number];

export const PIN_REJECTIONS = [
  'pin_not_digits',
  'pin_wrong_length',
  'pin_repeated',
  'pin_sequential',
  'pin_identifier',
  'pin_birth_date',
  'pin_common',
] as const;
export type PinRejection = (typeof PIN_REJECTIONS)[number];

export type SecretCheck<R extends string> = { ok: true } | { ok: false; reasons: R[] };

export interface PasswordContext {
  /** The account's identifiers (username, user number, e-mail…); those under 3 characters are ignored. */
  identifiers: readonly string[];
  /** Words tied to the service: 'guichet', the bank's name, its domain (ASVS 5.0 6.2.11). */
  serviceWords: readonly string[];
}

export interface PinContext {
  /** The account's identifiers; their runs of 4 digits or more are compared with the code. */
  identifiers: readonly string[];
  /** ISO 8601 dates (YYYY-MM-DD); anything else is ignored. */
  birthDates?: readonly string[];
}

const MIN_CONTEXT_LENGTH = 3;
const MIN_DIGIT_RUN = 4;
/** A common password followed by up to six digits or symbols ('azerty2024!') is still common. */
const COMMON_SUFFIX = /[\p{Nd}\p{P}\p{S}]{1,6}$/u;

const codePoints = (s: string): string[] => Array.from(s);
const fold = (s: string): string => normaliseSecret(s).toLowerCase();
const outcome = <R extends string>(reasons: R[]): SecretCheck<R> => (reasons.length === 0 ? { ok: true } : { ok: false, reasons });

/** Keyboard rows (QWERTY, AZERTY, QWERTZ) and the alphabet; a password inside one, either way, is a sequence. */
const SEQUENCES = [
  'abcdefghijklmnopqrstuvwxyz',
  'qwertyuiopasdfghjklzxcvbnm',
  'azertyuiopqsdfghjklmwxcvbn',
  'qwertzuiopasdfghjklyxcvbnm',
  '!@#$%^&*()_+',
  '&é"\'(-è_çà)=',
];

/** Each code point repeats the one `period` places before it, for at least two whole periods. */
function isPeriodic(cps: readonly string[], maxPeriod: number): boolean {
  const limit = Math.min(maxPeriod, Math.floor(cps.length / 2));
  for (let period = 1; period <= limit; period++) {
    if (cps.every((c, i) => i < period || c === cps[i - period])) return true;
  }
  return false;
}

/** Consecutive digits each one above (or each one below) the previous, wrapping 9 → 0. */
function isDigitRun(digits: string): boolean {
  const steps = new Set<number>();
  for (let i = 1; i < digits.length; i++) steps.add((Number(digits[i]) - Number(digits[i - 1]) + 10) % 10);
  return steps.size === 1 && (steps.has(1) || steps.has(9));
}

function isSequence(s: string): boolean {
  if (/^[0-9]+$/.test(s)) return isDigitRun(s);
  const reversed = codePoints(s).reverse().join('');
  return SEQUENCES.some((row) => row.includes(s) || row.includes(reversed));
}

/** One character or a block shorter than the minimum length repeated, or one sequence, over the whole password. */
function isRepetitive(folded: string, policy: PasswordPolicy): boolean {
  const cps = codePoints(folded);
  if (cps.length < 3) return false;
  return isPeriodic(cps, policy.minLength - 1) || isSequence(folded);
}

function isCommonOrCommonWithSuffix(folded: string): boolean {
  if (isCommonPassword(folded)) return true;
  const base = folded.replace(COMMON_SUFFIX, '');
  return base !== folded && codePoints(base).length >= 4 && isCommonPassword(base);
}

const SEPARATORS = /[\s\p{P}]/gu;
const squeeze = (s: string): string => s.replace(SEPARATORS, '');

/** Identifiers as compared: folded, the local part of an e-mail address added, short ones dropped. */
function contextTerms(words: readonly string[]): string[] {
  return words
    .flatMap((w) => {
      const f = fold(w);
      const at = f.lastIndexOf('@');
      return at > 0 ? [f, f.slice(0, at)] : [f];
    })
    .filter((w) => codePoints(w).length >= MIN_CONTEXT_LENGTH);
}

/** Contains the term, also once spaces and punctuation are removed from both ('Banque-Exemple' ∋ 'banque exemple'). */
function mentions(folded: string, terms: readonly string[]): boolean {
  const squeezed = squeeze(folded);
  return terms.some((t) => folded.includes(t) || (codePoints(squeeze(t)).length >= MIN_CONTEXT_LENGTH && squeezed.includes(squeeze(t))));
}

/** Spaces are allowed but are not symbols: a symbol is punctuation (\p{P}) or a symbol (\p{S}). */
const COMPOSITION = [
  { reason: 'composition_lower', key: 'lower', pattern: /\p{Ll}/u },
  { reason: 'composition_upper', key: 'upper', pattern: /\p{Lu}/u },
  { reason: 'composition_digit', key: 'digit', pattern: /\p{Nd}/u },
  { reason: 'composition_symbol', key: 'symbol', pattern: /[\p{P}\p{S}]/u },
] as const;

/** Every rule the candidate breaks, in a stable order; `{ ok: true }` when none. */
export function checkPassword(candidate: string, policy: PasswordPolicy, context: PasswordContext): SecretCheck<PasswordRejection> {
  const normalised = normaliseSecret(candidate);
  const folded = normalised.toLowerCase();
  const length = codePoints(normalised).length;
  const reasons: PasswordRejection[] = [];

  if (length < policy.minLength) reasons.push('too_short');
  if (length > policy.maxLength) reasons.push('too_long');
  if (policy.blocklist && isCommonOrCommonWithSuffix(folded)) reasons.push('common');
  if (mentions(folded, contextTerms(context.identifiers))) reasons.push('contains_identifier');
  if (mentions(folded, contextTerms(context.serviceWords))) reasons.push('context_word');
  if (isRepetitive(folded, policy)) reasons.push('repetitive');
  if (policy.composition.enabled) {
    for (const { reason, key, pattern } of COMPOSITION) {
      if (policy.composition[key] && !pattern.test(normalised)) reasons.push(reason);
    }
  }
  return outcome(reasons);
}

/**
 * PINs most often chosen, beyond those the pattern rules catch: the top of the all-digit entries of
 * the breached-password list (zxcvbn), keypad shapes (columns 147/258/369, diagonals 159/357) and,
 * for four digits, the DataGenetics 2012 top 20 and the years 1940–2029 (the 19xx band of its study).
 */
const COMMON_PINS: Readonly<Record<number, ReadonlySet<string>>> = {
  4: new Set([
    '1234', '1111', '0000', '1212', '7777', '1004', '2000', '4444', '2222', '6969', '9999', '3333',
    '5555', '6666', '1122', '1313', '8888', '4321', '2001', '1010', '2580', '0852', '5150', '2112',
    '1470', '0741', '3690', '0963', '1590', '0951', '7531', '1357', '2468', '8642',
    ...Array.from({ length: 90 }, (_, i) => String(1940 + i)),
  ]),
  6: new Set([
    '123123', '111222', '121212', '000000', '112233', '159753', '147258', '101010', '123321', '123654',
    '159357', '789456', '102030', '010203', '147852', '123789', '852456', '159951', '134679', '124578',
    '135790', '142536', '741852', '456123', '246810', '753951', '314159', '321654', '951753', '112358',
    '911911', '121314', '258456', '963852', '147369', '258369', '369258', '852963', '007007', '520520',
  ]),
  8: new Set([
    '12345678', '11111111', '12344321', '11223344', '87654321', '12121212', '31415926', '11235813',
    '14789632', '25802580', '12369874', '12312312', '11112222', '10203040', '01020304', '78945612',
    '14725836', '12131415', '12301230', '74185296',
  ]),
};

/** Runs of at least four ASCII digits in the identifiers, after NFKC (full-width digits count). */
const digitRuns = (identifiers: readonly string[]): string[] =>
  identifiers.flatMap((id) => normaliseSecret(id).match(/[0-9]+/g) ?? []).filter((run) => run.length >= MIN_DIGIT_RUN);

/** The usual ways a date is keyed: DDMMYYYY, YYYYMMDD, MMDDYYYY and their shorter forms. */
function dateForms(isoDates: readonly string[]): string[] {
  return isoDates.flatMap((d) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(d.trim());
    if (!m) return [];
    const [, yyyy = '', mm = '', dd = ''] = m;
    const yy = yyyy.slice(2);
    return [dd + mm + yyyy, yyyy + mm + dd, mm + dd + yyyy, dd + mm + yy, yy + mm + dd, mm + dd + yy, mm + yyyy, yyyy + mm, dd + mm, mm + dd, mm + yy, yy + mm, yyyy];
  });
}

/** Every rule the code breaks, in a stable order; `{ ok: true }` when none. */
export function checkPin(candidate: string, policy: PinPolicy, context: PinContext): SecretCheck<PinRejection> {
  const pin = normaliseSecret(candidate);
  const reasons: PinRejection[] = [];
  const digitsOnly = /^[0-9]+$/.test(pin);

  if (!digitsOnly) reasons.push('pin_not_digits');
  if (codePoints(pin).length !== policy.length) reasons.push('pin_wrong_length');
  if (!digitsOnly || pin.length < 3) return outcome(reasons);

  const digits = codePoints(pin);
  if (new Set(digits).size <= 2 || isPeriodic(digits, digits.length)) reasons.push('pin_repeated');
  if (isDigitRun(pin)) reasons.push('pin_sequential');
  if (digitRuns(context.identifiers).some((run) => run.includes(pin) || pin.includes(run))) reasons.push('pin_identifier');
  if (dateForms(context.birthDates ?? []).some((form) => form === pin || (form.length >= MIN_DIGIT_RUN && pin.includes(form)))) {
    reasons.push('pin_birth_date');
  }
  if (COMMON_PINS[pin.length]?.has(pin)) reasons.push('pin_common');
  return outcome(reasons);
}

/** Message ids the pages translate (src/i18n/messages.ts); params are already strings. */
export const SECRET_POLICY_MESSAGE_IDS = [
  'rules.password.min_length',
  'rules.password.max_length',
  'rules.password.any_character',
  'rules.password.not_common',
  'rules.password.not_personal',
  'rules.password.not_repetitive',
  'rules.password.composition_lower',
  'rules.password.composition_upper',
  'rules.password.composition_digit',
  'rules.password.composition_symbol',
  'rules.pin.length',
  'rules.pin.not_repeated',
  'rules.pin.not_sequential',
  'rules.pin.not_personal',
  'rules.pin.not_common',
  'rejected.password.too_short',
  'rejected.password.too_long',
  'rejected.password.common',
  'rejected.password.contains_identifier',
  'rejected.password.context_word',
  'rejected.password.repetitive',
  'rejected.password.composition_lower',
  'rejected.password.composition_upper',
  'rejected.password.composition_digit',
  'rejected.password.composition_symbol',
  'rejected.pin.not_digits',
  'rejected.pin.wrong_length',
  'rejected.pin.repeated',
  'rejected.pin.sequential',
  'rejected.pin.identifier',
  'rejected.pin.birth_date',
  'rejected.pin.common',
] as const;
export type SecretPolicyMessageId = (typeof SECRET_POLICY_MESSAGE_IDS)[number];

export interface RuleMessage {
  id: SecretPolicyMessageId;
  params: Record<string, string>;
}

const message = (id: SecretPolicyMessageId, params: Record<string, string> = {}): RuleMessage => ({ id, params });

/** The rules to show behind the help toggle, in the order they are checked. */
export function describePasswordRules(policy: PasswordPolicy): RuleMessage[] {
  const rules = [
    message('rules.password.min_length', { n: String(policy.minLength) }),
    message('rules.password.max_length', { n: String(policy.maxLength) }),
    message('rules.password.any_character'),
  ];
  if (policy.blocklist) rules.push(message('rules.password.not_common'));
  rules.push(message('rules.password.not_personal'), message('rules.password.not_repetitive'));
  if (policy.composition.enabled) {
    for (const { reason, key } of COMPOSITION) {
      if (policy.composition[key]) rules.push(message(`rules.password.${reason}`));
    }
  }
  return rules;
}

export function describePinRules(policy: PinPolicy): RuleMessage[] {
  return [
    message('rules.pin.length', { n: String(policy.length) }),
    message('rules.pin.not_repeated'),
    message('rules.pin.not_sequential'),
    message('rules.pin.not_personal'),
    message('rules.pin.not_common'),
  ];
}

/** What to show for one rejection reason. */
export function describePasswordRejection(reason: PasswordRejection, policy: PasswordPolicy): RuleMessage {
  if (reason === 'too_short') return message('rejected.password.too_short', { n: String(policy.minLength) });
  if (reason === 'too_long') return message('rejected.password.too_long', { n: String(policy.maxLength) });
  return message(`rejected.password.${reason}`);
}

const PIN_REJECTION_MESSAGES: Record<PinRejection, SecretPolicyMessageId> = {
  pin_not_digits: 'rejected.pin.not_digits',
  pin_wrong_length: 'rejected.pin.wrong_length',
  pin_repeated: 'rejected.pin.repeated',
  pin_sequential: 'rejected.pin.sequential',
  pin_identifier: 'rejected.pin.identifier',
  pin_birth_date: 'rejected.pin.birth_date',
  pin_common: 'rejected.pin.common',
};

export function describePinRejection(reason: PinRejection, policy: PinPolicy): RuleMessage {
  return message(PIN_REJECTION_MESSAGES[reason], reason === 'pin_wrong_length' ? { n: String(policy.length) } : {});
}
