import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_SENSITIVE_OPERATIONS, RAR_DETAIL_TYPES } from '../config/schema.js';

/**
 * What a relying party asks the user to authorise (RFC 9396 `authorization_details`), as Guichet
 * understands it: payments (one, or a batch with its total and count) and the bank's list of
 * sensitive operations. The schemas are data; the page shows them and the proof is bound to them.
 * Which types and operations a deployment accepts is configuration (`rar.types`,
 * `rar.sensitiveOperations`); the default operations are these.
 */
export const SENSITIVE_OPERATIONS = DEFAULT_SENSITIVE_OPERATIONS;
export type SensitiveOperation = (typeof SENSITIVE_OPERATIONS)[number];

const amount = z.string().regex(/^(0|[1-9]\d{0,11})(\.\d{1,2})?$/, 'a positive decimal amount with at most 2 decimals, as a string');
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code');
const iban = z
  .string()
  .transform((v) => v.replace(/\s+/g, '').toUpperCase())
  .refine(isValidIban, 'a valid IBAN');
const name = z.string().trim().min(1).max(70);

const payee = z.object({ creditorName: name, creditorAccount: z.object({ iban }).strict() }).strict();
const instructedAmount = z.object({ amount, currency }).strict().refine((a) => Number(a.amount) > 0, 'the amount must be above zero');

export const paymentInitiation = z
  .object({
    type: z.literal('payment_initiation'),
    instructedAmount,
    creditorName: name,
    creditorAccount: z.object({ iban }).strict(),
    remittanceInformationUnstructured: z.string().max(140).optional(),
  })
  .strict();

export const paymentBatch = z
  .object({
    type: z.literal('payment_batch'),
    totalAmount: instructedAmount,
    numberOfPayments: z.number().int().min(1).max(10_000),
    payments: z.array(payee.extend({ instructedAmount })).min(1).max(10_000),
  })
  .strict()
  .superRefine((batch, ctx) => {
    if (batch.payments.length !== batch.numberOfPayments) ctx.addIssue({ code: 'custom', message: 'numberOfPayments must equal the number of payments' });
    if (batch.payments.some((p) => p.instructedAmount.currency !== batch.totalAmount.currency)) ctx.addIssue({ code: 'custom', message: 'every payment must be in the total’s currency' });
    const cents = batch.payments.reduce((sum, p) => sum + toCents(p.instructedAmount.amount), 0n);
    if (cents !== toCents(batch.totalAmount.amount)) ctx.addIssue({ code: 'custom', message: 'totalAmount must be the sum of the payments' });
  });

export const sensitiveOperation = z
  .object({
    type: z.literal('sensitive_operation'),
    /** One of `rar.sensitiveOperations` (checked by parseDetail against the deployment's rules). */
    operation: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'an operation code'),
    /** Free text the bank shows with it (the payee being added, the cheque book ordered…). */
    description: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const authorizationDetail = z.discriminatedUnion('type', [paymentInitiation, paymentBatch, sensitiveOperation]);
export type AuthorizationDetail = z.infer<typeof authorizationDetail>;
export type DetailType = AuthorizationDetail['type'];
export const DETAIL_TYPES: readonly DetailType[] = RAR_DETAIL_TYPES;

/** What a deployment accepts (`rar.types`, `rar.sensitiveOperations`). */
export interface DetailRules {
  types: readonly DetailType[];
  sensitiveOperations: readonly string[];
}

/** The rules of a deployment that changes neither setting. */
export const DEFAULT_DETAIL_RULES: DetailRules = { types: DETAIL_TYPES, sensitiveOperations: SENSITIVE_OPERATIONS };

/** Payments need a proof bound to amount and payee (PSD2 RTS art. 5), not just a level. */
export const isPayment = (d: AuthorizationDetail): boolean => d.type === 'payment_initiation' || d.type === 'payment_batch';

/**
 * One detail checked against its type's schema and the deployment's rules (null: the schema only,
 * for details the provider already accepted); the problems, in English, for `invalid_authorization_details`.
 */
export function parseDetail(value: unknown, rules: DetailRules | null = DEFAULT_DETAIL_RULES): { ok: true; detail: AuthorizationDetail } | { ok: false; problems: string[] } {
  const parsed = authorizationDetail.safeParse(value);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'detail'}: ${i.message}`) };
  const detail = parsed.data;
  if (rules && !rules.types.includes(detail.type)) return { ok: false, problems: [`type: ${detail.type} is not accepted here`] };
  if (rules && detail.type === 'sensitive_operation' && !rules.sensitiveOperations.includes(detail.operation)) return { ok: false, problems: [`operation: ${detail.operation} is not a sensitive operation of this bank`] };
  return { ok: true, detail };
}

/** The display name's message id of a default operation; null for one the deployment added (a generic text names it). */
export const knownOperation = (operation: string): SensitiveOperation | null => ((SENSITIVE_OPERATIONS as readonly string[]).includes(operation) ? (operation as SensitiveOperation) : null);

function toCents(value: string): bigint {
  const [units = '0', decimals = ''] = value.split('.');
  return BigInt(units) * 100n + BigInt((decimals + '00').slice(0, 2));
}

/** ISO 13616: letters to numbers, the first four characters moved to the end, mod 97 = 1. */
export function isValidIban(value: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(value)) return false;
  const rearranged = value.slice(4) + value.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const digits = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}

/**
 * What a card reader's Sign mode (EMV-CAP.md mode 2 TDS) is given for a payment: the amount in
 * minor units and the payee reference (the IBAN's last 8 digits; for a batch, the total and a
 * reference derived from the hash of the payee list), typed by the user and verified against the
 * details Guichet holds, never against data echoed by the client (EMV-CAP.md §6.5).
 */
export function capSignFields(details: readonly AuthorizationDetail[]): string[] | null {
  const payment = details.find(isPayment);
  if (!payment) return null;
  if (payment.type === 'payment_initiation') {
    const digits = payment.creditorAccount.iban.replace(/\D/g, '');
    return [toCents(payment.instructedAmount.amount).toString(), digits.slice(-8).padStart(8, '0')];
  }
  if (payment.type === 'payment_batch') {
    const list = payment.payments.map((p) => `${p.creditorAccount.iban}:${toCents(p.instructedAmount.amount)}`).join('|');
    const reference = (BigInt(`0x${createHash('sha256').update(list).digest('hex').slice(0, 12)}`) % 100_000_000n).toString().padStart(8, '0');
    return [toCents(payment.totalAmount.amount).toString(), reference];
  }
  return null;
}
