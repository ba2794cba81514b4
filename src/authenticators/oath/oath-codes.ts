import { createHmac } from 'node:crypto';
import { ScureBase32Plugin } from 'otplib';
import { safeEqual } from '../../lib/constant-time.js';

/**
 * Pure RFC 4226 (HOTP) and RFC 6238 (TOTP) computation and the verification windows.
 * The HMAC core uses node:crypto (OpenSSL, synchronous); otplib provides the RFC 4648 base32 codec
 * and, in the tests, an independent implementation to cross-check against.
 */

export type OathAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
export type OathDigits = 6 | 8;
export const OATH_ALGORITHMS: readonly OathAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];

export interface OathParameters {
  algorithm: OathAlgorithm;
  digits: OathDigits;
}

/** RFC 4226 §4 R6: at least 128 bits (160 recommended); NIST 800-63B §5.1.4.1 asks for 112. */
export const MIN_SECRET_BYTES = 16;
export const MAX_SECRET_BYTES = 64;
/** RFC 4226 §4 R6 recommends 160 bits; what Guichet generates for authenticator apps. */
export const GENERATED_SECRET_BYTES = 20;

const base32 = new ScureBase32Plugin();

export const encodeBase32 = (bytes: Uint8Array): string => base32.encode(bytes, { padding: false });

/** Decodes RFC 4648 base32, tolerating case, spaces and padding; throws on anything else. */
export function decodeBase32(text: string): Buffer {
  const normalised = text.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  if (!/^[A-Z2-7]+$/.test(normalised)) throw new Error('not base32');
  return Buffer.from(base32.decode(normalised));
}

/** RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
export function generateHotp(key: Uint8Array, counter: number, { algorithm, digits }: OathParameters): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('counter must be a non-negative safe integer');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm.toLowerCase(), key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 §4.2: T = floor((Unix time − T0) / X) with T0 = 0. */
export const timeStepAt = (at: Date, period: number): number => Math.floor(Math.floor(at.getTime() / 1000) / period);

export const generateTotp = (key: Uint8Array, at: Date, params: OathParameters & { period: number }): string =>
  generateHotp(key, timeStepAt(at, params.period), params);

/** What a submitted code proves: a counter (or step) to advance to, a replay, or nothing. */
export type CodeCheck =
  | { kind: 'match'; counter: number; drift: number }
  | { kind: 'replayed'; counter: number }
  | { kind: 'no-match' };

/** Users type codes with spaces ("123 456"); anything but 6 or 8 digits cannot match. */
export const normaliseCode = (code: string): string => code.replace(/\s/g, '');

/** Every candidate is computed and compared in constant time; the first match (in order) wins. */
function firstMatch(key: Uint8Array, code: string, candidates: readonly number[], params: OathParameters): number | null {
  let found: number | null = null;
  for (const candidate of candidates) {
    if (candidate < 0) continue;
    if (safeEqual(generateHotp(key, candidate, params), code) && found === null) found = candidate;
  }
  return found;
}

const wellFormed = (code: string, digits: OathDigits): boolean => code.length === digits && /^\d+$/.test(code);

/** RFC 6238 §5.2: the current step, then one back and one ahead, … up to `windowSteps` either side. */
export function totpCandidates(step: number, windowSteps: number): number[] {
  const out = [step];
  for (let d = 1; d <= windowSteps; d++) out.push(step - d, step + d);
  return out;
}

/**
 * TOTP: accepts a step within ±windowSteps of `now` and after `last` (the last accepted step);
 * a code of a step at or before `last` is a replay (RFC 6238 §5.2, NIST 800-63B §5.1.4.2).
 */
export function checkTotp(key: Uint8Array, code: string, o: OathParameters & { period: number; now: Date; last: number | null; windowSteps: number }): CodeCheck {
  if (!wellFormed(code, o.digits)) return { kind: 'no-match' };
  const current = timeStepAt(o.now, o.period);
  const candidates = totpCandidates(current, o.windowSteps);
  const fresh = candidates.filter((s) => o.last === null || s > o.last);
  const used = candidates.filter((s) => o.last !== null && s <= o.last);
  const step = firstMatch(key, code, fresh, o);
  if (step !== null) return { kind: 'match', counter: step, drift: step - current };
  const replayed = firstMatch(key, code, used, o);
  return replayed !== null ? { kind: 'replayed', counter: replayed } : { kind: 'no-match' };
}

/** The counter the token shows next: 0 on a fresh token (nothing accepted yet), else last + 1. */
export const nextCounter = (last: number | null): number => (last === null ? 0 : last + 1);

/** RFC 4226 §7.4 look-ahead: counters last+1 … last+lookAhead. */
export function hotpCandidates(last: number | null, lookAhead: number): number[] {
  const first = nextCounter(last);
  return Array.from({ length: lookAhead }, (_, i) => first + i);
}

/** HOTP: accepts a counter in the look-ahead window; the code of the last accepted counter is a replay. */
export function checkHotp(key: Uint8Array, code: string, o: OathParameters & { last: number | null; lookAhead: number }): CodeCheck {
  if (!wellFormed(code, o.digits)) return { kind: 'no-match' };
  const counter = firstMatch(key, code, hotpCandidates(o.last, o.lookAhead), o);
  if (counter !== null) return { kind: 'match', counter, drift: counter - nextCounter(o.last) };
  if (o.last !== null && firstMatch(key, code, [o.last], o) !== null) return { kind: 'replayed', counter: o.last };
  return { kind: 'no-match' };
}

/**
 * RFC 4226 §7.4 resynchronisation: two consecutive codes anywhere in the larger window; the new
 * last accepted counter is that of the second code, so both (and everything before) are spent.
 */
export function checkHotpResync(key: Uint8Array, first: string, second: string, o: OathParameters & { last: number | null; window: number }): CodeCheck {
  if (!wellFormed(first, o.digits) || !wellFormed(second, o.digits)) return { kind: 'no-match' };
  const start = nextCounter(o.last);
  const codes = Array.from({ length: o.window + 1 }, (_, i) => generateHotp(key, start + i, o));
  let found: number | null = null;
  for (let i = 0; i < o.window; i++) {
    const firstMatches = safeEqual(codes[i]!, first);
    const secondMatches = safeEqual(codes[i + 1]!, second);
    if (firstMatches && secondMatches && found === null) found = start + i + 1;
  }
  return found !== null ? { kind: 'match', counter: found, drift: found - start } : { kind: 'no-match' };
}
