/**
 * What the card must have been given for a code (EMV-CAP.md §5.3, §5.5):
 * `identify` (mode 2, the CODE button: no input);
 * `respond` (mode 1: a challenge of at most 8 digits, optionally an amount in minor units and an
 *   ISO 4217 numeric currency when the card's IAF binds them; the UK "Sign" is this mode with the
 *   payee reference as the challenge);
 * `sign` (mode 2 with transaction data signing: up to 10 decimal fields of up to 10 digits).
 * It always comes from the server's own records, never from the client (§6.2).
 */
export type CapRequest =
  | { mode: 'identify' }
  | { mode: 'respond'; challenge: string; amount?: string | undefined; currency?: string | undefined }
  | { mode: 'sign'; fields: readonly string[] };

export const IDENTIFY: CapRequest = Object.freeze({ mode: 'identify' });

/** Problems with a request's own shape (empty when it is well formed). */
export function checkCapRequest(request: CapRequest): string[] {
  const problems: string[] = [];
  if (request.mode === 'respond') {
    if (!/^\d{1,8}$/.test(request.challenge)) problems.push('challenge: 1 to 8 digits (§5.3: readers accept at most 8)');
    if (request.amount !== undefined && !/^\d{1,12}$/.test(request.amount)) problems.push('amount: 1 to 12 digits, in minor units');
    if (request.currency !== undefined && !/^\d{3,4}$/.test(request.currency)) problems.push('currency: ISO 4217 numeric code');
  } else if (request.mode === 'sign') {
    if (request.fields.length < 1 || request.fields.length > 10) problems.push('fields: 1 to 10 (§5.5)');
    if (request.fields.some((f) => !/^\d{1,10}$/.test(f))) problems.push('fields: each 1 to 10 digits (§5.5)');
  }
  return problems;
}
