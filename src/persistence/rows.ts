import type { Account, Subscription } from '../domain/account.js';
import type { ClientRecord } from '../domain/client.js';
import type { SecretCredential } from '../domain/credential.js';
import type { TemporarySecret } from '../domain/life-cycle.js';

/** Row ↔ domain mapping, kept apart from the queries. pg returns jsonb parsed; dates as Date. */
type Row = Record<string, any>;

const asDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const asDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : asDate(v));
const asJson = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export const toSubscription = (r: Row): Subscription => ({ id: r.id, identifier: r.identifier, name: r.name, status: r.status });

export const toAccount = (r: Row): Account => ({
  id: r.id,
  subscriptionId: r.subscription_id ?? null,
  username: r.username ?? null,
  userNumber: r.user_number ?? null,
  status: r.status,
  familyName: r.family_name ?? null,
  givenName: r.given_name ?? null,
  email: r.email ?? null,
  emailVerified: Boolean(r.email_verified),
  locale: r.locale === 'en' ? 'en' : 'fr',
  roles: asJson<string[]>(r.roles) ?? [],
  profile: r.profile ?? null,
  preferences: asJson<Record<string, unknown>>(r.preferences) ?? {},
  createdAt: asDate(r.created_at),
  updatedAt: asDate(r.updated_at),
});

export const toCredential = (r: Row): SecretCredential => ({
  id: r.id,
  accountId: r.account_id,
  kind: r.kind,
  secretHash: r.secret_hash,
  setAt: asDate(r.set_at),
  mustChange: Boolean(r.must_change),
  expiresAt: asDateOrNull(r.expires_at),
  failedCount: Number(r.failed_count),
  blockedAt: asDateOrNull(r.blocked_at),
  blockedUntil: asDateOrNull(r.blocked_until),
  blockCount: Number(r.block_count ?? 0),
  lastUsedAt: asDateOrNull(r.last_used_at),
});

export const toClient = (r: Row): ClientRecord => ({
  clientId: r.client_id,
  metadata: asJson<Record<string, unknown>>(r.metadata),
  firstParty: Boolean(r.first_party),
  createdAt: asDate(r.created_at),
});

export { asDate, asJson };

export const toTemporarySecret = (r: Row): TemporarySecret => ({
  id: r.id,
  accountId: r.account_id,
  kind: r.kind,
  secretHash: r.secret_hash,
  purpose: r.purpose,
  issuedBy: r.issued_by ?? null,
  expiresAt: asDate(r.expires_at),
  createdAt: asDate(r.created_at),
});
