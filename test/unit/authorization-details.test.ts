import { describe, expect, test } from '@jest/globals';
import { capSignFields, isValidIban, parseDetail } from '../../src/policy/authorization-details.js';

const payment = { type: 'payment_initiation', instructedAmount: { amount: '1234.56', currency: 'EUR' }, creditorName: 'Fournitures Martin', creditorAccount: { iban: 'FR76 3000 6000 0112 3456 7890 189' } };

describe('authorization_details types', () => {
  test('a payment is parsed and its IBAN normalised', () => {
    const r = parseDetail(payment);
    expect(r.ok && r.detail).toMatchObject({ creditorAccount: { iban: 'FR7630006000011234567890189' } });
  });
  test('RAR-02 malformed details are refused with a reason: negative or numeric amounts, bad IBAN, unknown type, extra fields', () => {
    const bad = [
      { ...payment, instructedAmount: { amount: '-5', currency: 'EUR' } },
      { ...payment, instructedAmount: { amount: 12, currency: 'EUR' } },
      { ...payment, instructedAmount: { amount: '0', currency: 'EUR' } },
      { ...payment, creditorAccount: { iban: 'FR7630006000011234567890188' } },
      { ...payment, type: 'wire_transfer' },
      { ...payment, note: 'extra' },
      { type: 'sensitive_operation', operation: 'delete_everything' },
    ];
    for (const value of bad) expect(parseDetail(value).ok).toBe(false);
  });
  test('PSD2-16 a batch must state its total and count, and they must match its payments', () => {
    const payments = [
      { creditorName: 'A', creditorAccount: { iban: 'FR7630006000011234567890189' }, instructedAmount: { amount: '100.10', currency: 'EUR' } },
      { creditorName: 'B', creditorAccount: { iban: 'DE89370400440532013000' }, instructedAmount: { amount: '0.90', currency: 'EUR' } },
    ];
    expect(parseDetail({ type: 'payment_batch', totalAmount: { amount: '101', currency: 'EUR' }, numberOfPayments: 2, payments }).ok).toBe(true);
    expect(parseDetail({ type: 'payment_batch', totalAmount: { amount: '101.01', currency: 'EUR' }, numberOfPayments: 2, payments }).ok).toBe(false);
    expect(parseDetail({ type: 'payment_batch', totalAmount: { amount: '101', currency: 'EUR' }, numberOfPayments: 3, payments }).ok).toBe(false);
  });
  test('the bank’s sensitive operations are a closed list', () => {
    expect(parseDetail({ type: 'sensitive_operation', operation: 'manage_payees', description: 'Ajout du bénéficiaire Fournitures Martin' }).ok).toBe(true);
  });
  test('types and operations are the deployment’s: a disabled type and an unlisted operation are refused, an added one is taken', () => {
    const rules = { types: ['sensitive_operation'] as const, sensitiveOperations: ['manage_payees', 'close_account'] };
    expect(parseDetail(payment, rules)).toEqual({ ok: false, problems: ['type: payment_initiation is not accepted here'] });
    expect(parseDetail({ type: 'sensitive_operation', operation: 'close_account' }, rules).ok).toBe(true);
    expect(parseDetail({ type: 'sensitive_operation', operation: 'close_account' }).ok).toBe(false);
    expect(parseDetail({ type: 'sensitive_operation', operation: 'order_cheque_books' }, rules).ok).toBe(false);
    // The schema alone (details the provider already accepted) takes any well-formed code.
    expect(parseDetail({ type: 'sensitive_operation', operation: 'close_account' }, null).ok).toBe(true);
    expect(parseDetail({ type: 'sensitive_operation', operation: 'Close Account!' }, null).ok).toBe(false);
  });
  test('IBAN check digits (ISO 13616)', () => {
    expect(isValidIban('DE89370400440532013000')).toBe(true);
    expect(isValidIban('DE89370400440532013001')).toBe(false);
    expect(isValidIban('GB82WEST12345698765432')).toBe(true);
  });
  test('CAP-03 the card reader’s Sign fields are the amount in cents and the payee reference; any change changes them', () => {
    const r = parseDetail(payment);
    if (!r.ok) throw new Error('unexpected');
    expect(capSignFields([r.detail])).toEqual(['123456', '67890189']);
    const other = parseDetail({ ...payment, instructedAmount: { amount: '1234.57', currency: 'EUR' } });
    expect(other.ok && capSignFields([other.detail])).toEqual(['123457', '67890189']);
    const op = parseDetail({ type: 'sensitive_operation', operation: 'manage_payees' });
    expect(op.ok && capSignFields([op.detail])).toBeNull();
  });
});
