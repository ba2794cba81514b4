import { createHash, randomBytes } from 'node:crypto';

/** A JSON value as the transaction details arrive (RAR `authorization_details`, or amount/currency/payee). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };
/** What is being authorised; its canonical JSON is what the challenge commits to. */
export type TransactionDetails = { readonly [key: string]: JsonValue | undefined };

/** 32 bytes: the random part of every challenge (ASVS 6.7.2 asks ≥ 64 bits, WebAuthn L2 §13.4.3 ≥ 16 bytes). */
export const CHALLENGE_NONCE_BYTES = 32;

function canonical(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`transaction ${path}: not a finite number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonical(v === undefined ? null : v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, `${path}.${k}`)}`).join(',')}}`;
  }
  throw new TypeError(`transaction ${path}: ${typeof value} is not JSON`);
}

/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object members sorted by UTF-16 code units, no
 * white space, ECMAScript number and string serialisation; members whose value is undefined are
 * absent. The same details always give the same bytes, whatever order their keys were built in.
 */
export const canonicalJson = (value: TransactionDetails): string => canonical(value, '$');

/**
 * Dynamic linking (PSD2 RTS art. 5(1)(b)): challenge = base64url(SHA-256(canonical JSON ‖ nonce)).
 * The authenticator signs it inside clientDataJSON; the verifier recomputes it from the details it
 * holds at verification time, so a proof made for other details (amount, payee) does not match.
 */
export function deriveTransactionChallenge(transaction: TransactionDetails, nonce: Uint8Array): string {
  if (nonce.length < 16) throw new RangeError('nonce must be at least 16 bytes');
  return createHash('sha256').update(canonicalJson(transaction), 'utf8').update(nonce).digest('base64url');
}

/** A fresh challenge: 32 random bytes, or the transaction-bound digest with a fresh 32-byte nonce. */
export function createChallenge(transaction?: TransactionDetails | null): { challenge: string; nonce: string | null } {
  const random = randomBytes(CHALLENGE_NONCE_BYTES);
  if (!transaction) return { challenge: random.toString('base64url'), nonce: null };
  return { challenge: deriveTransactionChallenge(transaction, random), nonce: random.toString('base64url') };
}
