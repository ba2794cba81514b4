import type { Account, Subscription } from '../domain/account.js';

/** Claims by scope (OIDC Core §5.4) plus Guichet's own under the `guichet` scope. */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: ['family_name', 'given_name', 'name', 'locale', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
  guichet: ['subscription', 'user_number', 'roles', 'access_profile', 'preferences'],
} as const;

export function accountClaims(account: Account, subscription: Subscription | null): Record<string, unknown> {
  const name = [account.givenName, account.familyName].filter(Boolean).join(' ');
  return {
    sub: account.id,
    family_name: account.familyName ?? undefined,
    given_name: account.givenName ?? undefined,
    name: name || undefined,
    locale: account.locale,
    preferred_username: account.username ?? undefined,
    updated_at: Math.floor(account.updatedAt.getTime() / 1000),
    email: account.email ?? undefined,
    email_verified: account.email ? account.emailVerified : undefined,
    subscription: subscription?.identifier,
    user_number: account.userNumber ?? undefined,
    roles: account.roles,
    access_profile: account.profile ?? undefined,
    preferences: account.preferences,
  };
}
