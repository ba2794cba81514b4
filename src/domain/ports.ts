import type { Account, NewAccount, Subscription, Identifier } from './account.js';
import type { AuditEvent, StoredAuditEvent } from './audit.js';
import type { ClientRecord } from './client.js';
import type { CredentialKind, FactorCredential, FactorKind, SecretCredential } from './credential.js';
import type { AccountPatch, SecurityAnswer, TemporarySecret } from './life-cycle.js';

export interface SubscriptionRepository {
  create(input: { identifier: string; name: string }): Promise<Subscription>;
  findByIdentifier(identifier: string): Promise<Subscription | null>;
  findById(id: string): Promise<Subscription | null>;
}

export interface AccountRepository {
  create(input: NewAccount): Promise<Account>;
  findById(id: string): Promise<Account | null>;
  findByIdentifier(identifier: Identifier): Promise<Account | null>;
  /** Everything a login attempt reads, in one query: the account, its secret of `kind`, its temporary secret. */
  findForLogin(identifier: Identifier, kind: CredentialKind): Promise<LoginRecord | null>;
  findByEmail(email: string): Promise<Account[]>;
  setStatus(id: string, status: Account['status']): Promise<void>;
  list(limit: number): Promise<Account[]>;
  /** The accounts of one subscription, by user number then username. */
  listBySubscription(subscriptionId: string, limit: number): Promise<Account[]>;
  /**
   * Changes the given fields; `email_taken` when another account already has that address
   * (one address per account, compared without case).
   */
  update(id: string, patch: AccountPatch): Promise<'updated' | 'email_taken' | 'not_found'>;
}

export interface LoginRecord {
  account: Account;
  credential: SecretCredential | null;
  temporarySecret: TemporarySecret | null;
}

export interface SecurityAnswerRepository {
  list(accountId: string): Promise<SecurityAnswer[]>;
  /** Replaces all the account's answers at once (a transaction: never a half-set). */
  replace(accountId: string, answers: Omit<SecurityAnswer, 'setAt'>[], at: Date): Promise<void>;
}

export interface TemporarySecretRepository {
  /** Stores a new temporary secret for the account, cancelling any older one. */
  issue(input: Omit<TemporarySecret, 'id' | 'createdAt'>, at: Date): Promise<TemporarySecret>;
  find(accountId: string): Promise<TemporarySecret | null>;
  /** Deletes it if still there; true for the one caller that did (single use under concurrency). */
  consume(id: string): Promise<boolean>;
  remove(accountId: string): Promise<void>;
}

export interface CredentialRepository {
  find(accountId: string, kind: CredentialKind): Promise<SecretCredential | null>;
  /** Creates or replaces the account's credential of that kind, resetting its counters. */
  upsert(input: { accountId: string; kind: CredentialKind; secretHash: string; setAt: Date; mustChange: boolean; expiresAt: Date | null }): Promise<SecretCredential>;
  findById(id: string): Promise<SecretCredential | null>;
  listForAccount(accountId: string): Promise<SecretCredential[]>;
  replaceHash(id: string, secretHash: string): Promise<void>;
  /**
   * Success: last use recorded, failures and temporary blocks forgotten. With `audit`, that event is
   * written by the same statement (one round trip, both or neither).
   */
  recordSuccess(id: string, at: Date, audit?: AuditEvent): Promise<void>;
  /** Keeps the durable copy of the failure count (never lowers it). */
  recordFailures(id: string, failedCount: number): Promise<void>;
  /** Blocks until a time (temporary) or for good (until = null); the failure count starts again. */
  block(id: string, at: Date, until: Date | null): Promise<void>;
  unblock(id: string): Promise<void>;
  /** Secrets of `kind` whose expiry falls in [since, until), oldest expiry first. */
  listExpiring(kind: CredentialKind, since: Date, until: Date, limit: number): Promise<SecretCredential[]>;
}

export interface ClientRepository {
  find(clientId: string): Promise<ClientRecord | null>;
  list(): Promise<ClientRecord[]>;
  save(input: { clientId: string; metadata: Record<string, unknown>; firstParty: boolean }): Promise<ClientRecord>;
  remove(clientId: string): Promise<boolean>;
}

/** A key the provider signs with, or a cookie key; the private material is sealed at rest. */
export interface ProviderKey {
  id: string;
  use: 'sig' | 'cookie';
  alg: string;
  material: string;
  createdAt: Date;
}

export interface KeyRepository {
  list(use: ProviderKey['use']): Promise<ProviderKey[]>;
  /** Inserts unless a key with that id exists (two processes starting together keep the first). */
  insertIfAbsent(key: Omit<ProviderKey, 'createdAt'>): Promise<void>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  list(filter: { accountId?: string; action?: string; limit?: number }): Promise<StoredAuditEvent[]>;
}

/**
 * The expiring key-value store behind oidc-provider's models, flows, counters and replay guards.
 * Redis in production, an in-memory map for a first run; one contract test suite runs on both.
 */
export interface ExpiringStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Sets only when the key is absent; true when this call set it. Atomic. */
  setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean>;
  delete(...keys: string[]): Promise<void>;
  /** Adds a member to a set and makes the set live at least ttlSeconds. */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  members(key: string): Promise<string[]>;
  /** Atomically increments a counter, starting its TTL at the first increment. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  ttl(key: string): Promise<number | null>;
  /** Several keys in one round trip, in order (null where absent). */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /** Several writes in one round trip, all or none (MULTI). */
  setMany(entries: readonly { key: string; value: string; ttlSeconds?: number }[]): Promise<void>;
  /**
   * `increment`, but an absent counter starts from `initial` (and the TTL) first: one atomic step,
   * so a counter mirrored elsewhere resumes where the durable copy stands.
   */
  incrementFrom(key: string, initial: number, ttlSeconds: number): Promise<number>;
  /**
   * Atomically: unless `track.unless` exists, adds `track.member` to the set `track.set` (as
   * addToSet) and sets `key`; true when written. A writer racing a "mark, then delete the set's
   * members" is either refused or listed before the mark lands.
   */
  setTracked(key: string, value: string, ttlSeconds: number | undefined, track: { set: string; member: string; setTtlSeconds: number; unless?: string }): Promise<boolean>;
  /** setIfAbsent with the remaining TTL of `ttlOf` (or `fallbackTtlSeconds` when it has none): one atomic step. */
  setIfAbsentLike(key: string, value: string, ttlOf: string, fallbackTtlSeconds: number): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Repositories {
  subscriptions: SubscriptionRepository;
  accounts: AccountRepository;
  credentials: CredentialRepository;
  clients: ClientRepository;
  keys: KeyRepository;
  audit: AuditLog;
  factors: FactorCredentialRepository;
  securityAnswers: SecurityAnswerRepository;
  temporarySecrets: TemporarySecretRepository;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A named fixed-window limit: `consume` counts one event against a key. */
export interface RateLimiter {
  consume(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  reset(key: string): Promise<void>;
}

export interface RateLimiterFactory {
  create(name: string, limit: { points: number; durationSeconds: number }): RateLimiter;
}

/** Makes captcha challenges; production draws SVG images, tests inject a source they control. */
export interface CaptchaSource {
  create(): { answer: string; svg: string };
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Outgoing mail: SMTP in production, .eml files in a folder for a first run. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Strong factors' credentials; `data` is sealed and opened by the repository (SecretBox). */
export interface FactorCredentialRepository {
  create<D>(input: { accountId: string; kind: FactorKind; label?: string | null; data: D; counter?: number | null; lookup?: string | null }): Promise<FactorCredential<D>>;
  findById<D>(id: string): Promise<FactorCredential<D> | null>;
  findByLookup<D>(kind: FactorKind, lookup: string): Promise<FactorCredential<D> | null>;
  listForAccount<D>(accountId: string, kind?: FactorKind): Promise<FactorCredential<D>[]>;
  updateData<D>(id: string, data: D): Promise<void>;
  /**
   * Moves the counter to `value` only if it is higher than the stored one (or none is stored); true
   * when this call moved it. Atomic in Postgres: of two submissions of one code, one wins.
   */
  advanceCounter(id: string, value: number): Promise<boolean>;
  recordUse(id: string, at: Date): Promise<void>;
  remove(id: string): Promise<boolean>;
}
