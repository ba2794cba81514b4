import { describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson, createChallenge, deriveTransactionChallenge } from '../../src/authenticators/webauthn/transaction-challenge.js';

const payment = { amount: '1250.00', currency: 'EUR', payee: { name: 'Garage Dupont', iban: 'FR7630006000011234567890189' } };
const nonce = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

describe('WebAuthn challenge bound to a transaction (dynamic linking)', () => {
  test('PSD2-12 the challenge is base64url(SHA-256(canonical JSON ‖ nonce)), recomputable from the details and the nonce', () => {
    const json = '{"amount":"1250.00","currency":"EUR","payee":{"iban":"FR7630006000011234567890189","name":"Garage Dupont"}}';
    expect(canonicalJson(payment)).toBe(json);
    const expected = createHash('sha256').update(json).update(nonce).digest('base64url');
    expect(deriveTransactionChallenge(payment, nonce)).toBe(expected);
    expect(deriveTransactionChallenge({ ...payment }, Buffer.from(nonce))).toBe(expected);
  });

  test('PSD2-12 the order in which keys were built does not change the challenge', () => {
    const reordered = { payee: { iban: payment.payee.iban, name: payment.payee.name }, currency: 'EUR', amount: '1250.00' };
    expect(canonicalJson(reordered)).toBe(canonicalJson(payment));
    expect(deriveTransactionChallenge(reordered, nonce)).toBe(deriveTransactionChallenge(payment, nonce));
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: true, c: 1.5e-7 })).toBe('{"a":true,"b":[3,{"a":null,"z":1}],"c":1.5e-7}');
    expect(canonicalJson({ a: 'x', gone: undefined })).toBe('{"a":"x"}');
  });

  test('PSD2-14 any change to amount, currency or payee gives another challenge', () => {
    const base = deriveTransactionChallenge(payment, nonce);
    expect(deriveTransactionChallenge({ ...payment, amount: '1250.01' }, nonce)).not.toBe(base);
    expect(deriveTransactionChallenge({ ...payment, amount: '1250.0' }, nonce)).not.toBe(base);
    expect(deriveTransactionChallenge({ ...payment, currency: 'GBP' }, nonce)).not.toBe(base);
    expect(deriveTransactionChallenge({ ...payment, payee: { ...payment.payee, iban: 'FR7630006000011234567890190' } }, nonce)).not.toBe(base);
    expect(deriveTransactionChallenge({ ...payment, extra: 'x' }, nonce)).not.toBe(base);
  });

  test('ASVS-19 the nonce is 32 random bytes, fresh each time; the challenge is 32 bytes and differs for the same transaction', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const bound = createChallenge(payment);
      const plain = createChallenge();
      expect(Buffer.from(bound.nonce!, 'base64url')).toHaveLength(32);
      expect(Buffer.from(bound.challenge, 'base64url')).toHaveLength(32);
      expect(Buffer.from(plain.challenge, 'base64url')).toHaveLength(32);
      expect(plain.nonce).toBeNull();
      expect(deriveTransactionChallenge(payment, Buffer.from(bound.nonce!, 'base64url'))).toBe(bound.challenge);
      seen.add(bound.challenge).add(plain.challenge);
    }
    expect(seen.size).toBe(400);
    expect(deriveTransactionChallenge(payment, randomBytes(32))).not.toBe(deriveTransactionChallenge(payment, nonce));
    expect(() => deriveTransactionChallenge(payment, randomBytes(8))).toThrow(RangeError);
  });

  test('values that are not JSON are a fault, not a silent change of meaning', () => {
    expect(() => canonicalJson({ amount: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ at: new Date() as never })).toThrow(TypeError);
  });
});
