export type AccountStatus = 'active' | 'suspended' | 'blocked' | 'pending_registration';

export type Locale = 'fr' | 'en';
export const LOCALES: readonly Locale[] = ['fr', 'en'];

export interface Subscription {
  id: string;
  identifier: string;
  name: string;
  status: 'active' | 'suspended';
}

export interface Account {
  id: string;
  subscriptionId: string | null;
  username: string | null;
  userNumber: string | null;
  status: AccountStatus;
  familyName: string | null;
  givenName: string | null;
  email: string | null;
  emailVerified: boolean;
  locale: Locale;
  roles: string[];
  profile: string | null;
  preferences: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewAccount {
  subscriptionId?: string | null;
  username?: string | null;
  userNumber?: string | null;
  status?: AccountStatus;
  familyName?: string | null;
  givenName?: string | null;
  email?: string | null;
  emailVerified?: boolean;
  locale?: Locale;
  roles?: string[];
  profile?: string | null;
  preferences?: Record<string, unknown>;
}

/** How a person names their account at the identify step. */
export type Identifier =
  | { scheme: 'username'; username: string }
  | { scheme: 'subscription'; subscription: string; userNumber: string };
