import type { Identifier } from '../domain/account.js';

export type IdentifierScheme = Identifier['scheme'];

/** Which fields a scheme reads from the identify form (docs/FORMS.md). */
export const SCHEME_FIELDS: Record<IdentifierScheme, readonly string[]> = {
  username: ['identifier'],
  subscription: ['subscription', 'user_number'],
};

const clean = (v: string | undefined, max: number) => {
  const s = (v ?? '').normalize('NFKC').trim();
  return s.length > 0 && s.length <= max && !/[\u0000-\u001f\u007f]/.test(s) ? s : null;
};

/**
 * Reads an identifier from the identify form for the schemes allowed here. A form naming a scheme
 * that is not allowed is treated like an empty one.
 */
export function parseIdentifier(form: Record<string, string>, allowed: readonly IdentifierScheme[]): Identifier | { missing: string } {
  if (allowed.includes('subscription') && (form.subscription !== undefined || form.user_number !== undefined)) {
    const subscription = clean(form.subscription, 64);
    const userNumber = clean(form.user_number, 32);
    if (!subscription) return { missing: 'subscription' };
    if (!userNumber) return { missing: 'user_number' };
    return { scheme: 'subscription', subscription: subscription.toUpperCase(), userNumber };
  }
  if (allowed.includes('username')) {
    const username = clean(form.identifier, 128);
    return username ? { scheme: 'username', username } : { missing: 'identifier' };
  }
  return { missing: SCHEME_FIELDS[allowed[0] ?? 'username'][0]! };
}

/** How the identifier is shown back to its owner and remembered (never used to look up an account). */
export const identifierLabel = (id: Identifier): string => (id.scheme === 'username' ? id.username : `${id.subscription} / ${id.userNumber}`);

export const identifierKey = (id: Identifier): string => (id.scheme === 'username' ? `u:${id.username.toLowerCase()}` : `s:${id.subscription}:${id.userNumber}`);

export function isIdentifier(v: unknown): v is Identifier {
  const o = v as Identifier | null;
  return !!o && ((o.scheme === 'username' && typeof o.username === 'string') || (o.scheme === 'subscription' && typeof o.subscription === 'string' && typeof o.userNumber === 'string'));
}
