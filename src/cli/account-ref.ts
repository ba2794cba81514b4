import type { Account, Identifier } from '../domain/account.js';
import type { Container } from '../container.js';
import { GuichetError } from '../errors/codes.js';

/** How the usage names an account argument. */
export const REF = '<username | SUBSCRIPTION/USERNUMBER>';

/** A ref with a slash is tried as SUBSCRIPTION/USERNUMBER (split at the last slash) before as a username. */
function identifiersOf(ref: string): Identifier[] {
  const slash = ref.lastIndexOf('/');
  const byNumber: Identifier[] = slash > 0 && slash < ref.length - 1 ? [{ scheme: 'subscription', subscription: ref.slice(0, slash), userNumber: ref.slice(slash + 1) }] : [];
  return [...byNumber, { scheme: 'username', username: ref }];
}

/** The account a ref names; `not_found` ("no such account …") otherwise. */
export async function findAccount(container: Container, ref: string): Promise<Account> {
  for (const identifier of identifiersOf(ref)) {
    const account = await container.repos.accounts.findByIdentifier(identifier);
    if (account) return account;
  }
  throw new GuichetError('not_found', `no such account ${ref}`);
}
