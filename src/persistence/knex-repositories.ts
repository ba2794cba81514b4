import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/random.js';
import type { Repositories } from '../domain/ports.js';
import type { AuditEvent } from '../domain/audit.js';
import type { SecretBox } from '../lib/encryption.js';
import type { FactorCredential } from '../domain/credential.js';
import { asDate, asJson, toAccount, toClient, toCredential, toSubscription, toTemporarySecret } from './rows.js';

const json = (v: unknown): string => JSON.stringify(v);

const auditRow = (event: AuditEvent, at: Date) => ({
  at,
  action: event.action,
  result: event.result,
  actor: event.actor ?? null,
  account_id: event.accountId ?? null,
  client_id: event.clientId ?? null,
  ip: event.ip ?? null,
  user_agent: event.userAgent ?? null,
  reason: event.reason ?? null,
  details: json(event.details ?? {}),
});

/** The Postgres side of the domain ports (PostgreSQL 15 and PGlite alike). */
export function createKnexRepositories(db: Knex, clock: Clock, box: SecretBox): Repositories {
  const toFactor = <D>(r: Record<string, any>): FactorCredential<D> => ({
    ...toCredential(r),
    kind: r.kind,
    label: r.label ?? null,
    data: JSON.parse(box.open(r.sealed_data)) as D,
    counter: r.counter === null || r.counter === undefined ? null : Number(r.counter),
    lookup: r.lookup ?? null,
    createdAt: asDate(r.created_at),
  });
  return {
    factors: {
      async create(input) {
        const now = clock.now();
        const [row] = await db('credentials')
          .insert({ id: newId(), account_id: input.accountId, kind: input.kind, label: input.label ?? null, sealed_data: box.seal(JSON.stringify(input.data)), counter: input.counter ?? null, lookup: input.lookup ?? null, set_at: now, created_at: now })
          .returning('*');
        return toFactor(row);
      },
      async findById(id) {
        const row = await db('credentials').where({ id }).whereNotNull('sealed_data').first();
        return row ? toFactor(row) : null;
      },
      async findByLookup(kind, lookup) {
        const row = await db('credentials').where({ kind, lookup }).first();
        return row ? toFactor(row) : null;
      },
      async listForAccount(accountId, kind) {
        const q = db('credentials').where({ account_id: accountId }).whereNotNull('sealed_data').orderBy('created_at');
        if (kind) q.andWhere({ kind });
        return (await q).map((r: Record<string, any>) => toFactor(r));
      },
      async updateData(id, data) {
        await db('credentials').where({ id }).update({ sealed_data: box.seal(JSON.stringify(data)) });
      },
      async advanceCounter(id, value) {
        const moved = await db('credentials')
          .where({ id })
          .andWhere((q) => q.whereNull('counter').orWhere('counter', '<', value))
          .update({ counter: value });
        return moved === 1;
      },
      async recordUse(id, at) {
        await db('credentials').where({ id }).update({ last_used_at: at, failed_count: 0, block_count: 0, blocked_until: null });
      },
      async remove(id) {
        return (await db('credentials').where({ id }).delete()) > 0;
      },
    },
    subscriptions: {
      async create({ identifier, name }) {
        const [row] = await db('subscriptions').insert({ id: newId(), identifier, name }).returning('*');
        return toSubscription(row);
      },
      async findByIdentifier(identifier) {
        const row = await db('subscriptions').where({ identifier }).first();
        return row ? toSubscription(row) : null;
      },
      async findById(id) {
        const row = await db('subscriptions').where({ id }).first();
        return row ? toSubscription(row) : null;
      },
    },
    accounts: {
      async create(input) {
        const now = clock.now();
        const [row] = await db('accounts')
          .insert({
            id: newId(),
            subscription_id: input.subscriptionId ?? null,
            username: input.username ?? null,
            user_number: input.userNumber ?? null,
            status: input.status ?? 'active',
            family_name: input.familyName ?? null,
            given_name: input.givenName ?? null,
            email: input.email ?? null,
            email_verified: input.emailVerified ?? false,
            locale: input.locale ?? 'fr',
            roles: json(input.roles ?? []),
            profile: input.profile ?? null,
            preferences: json(input.preferences ?? {}),
            created_at: now,
            updated_at: now,
          })
          .returning('*');
        return toAccount(row);
      },
      async findById(id) {
        const row = await db('accounts').where({ id }).first();
        return row ? toAccount(row) : null;
      },
      async findByIdentifier(identifier) {
        const row =
          identifier.scheme === 'username'
            ? await db('accounts').whereRaw('lower(username) = lower(?)', [identifier.username]).first()
            : await db('accounts')
                .join('subscriptions', 'subscriptions.id', 'accounts.subscription_id')
                .where('subscriptions.identifier', identifier.subscription)
                .andWhere('accounts.user_number', identifier.userNumber)
                .first('accounts.*');
        return row ? toAccount(row) : null;
      },
      async findForLogin(identifier, kind) {
        const q = db('accounts')
          .select('accounts.*', db.raw('row_to_json(c) as credential'), db.raw('row_to_json(t) as temporary_secret'))
          .leftJoin(db('credentials').where({ kind }).as('c'), 'c.account_id', 'accounts.id')
          .leftJoin('temporary_secrets as t', 't.account_id', 'accounts.id');
        if (identifier.scheme === 'username') q.whereRaw('lower(accounts.username) = lower(?)', [identifier.username]);
        else q.join('subscriptions', 'subscriptions.id', 'accounts.subscription_id').where('subscriptions.identifier', identifier.subscription).andWhere('accounts.user_number', identifier.userNumber);
        const row = await q.first();
        if (!row) return null;
        const nested = (v: unknown) => (v === null || v === undefined ? null : asJson<Record<string, any>>(v));
        const credential = nested(row.credential);
        const temporary = nested(row.temporary_secret);
        return { account: toAccount(row), credential: credential ? toCredential(credential) : null, temporarySecret: temporary ? toTemporarySecret(temporary) : null };
      },
      async findByEmail(email) {
        const rows = await db('accounts').whereRaw('lower(email) = lower(?)', [email]);
        return rows.map(toAccount);
      },
      async setStatus(id, status) {
        await db('accounts').where({ id }).update({ status, updated_at: clock.now() });
      },
      async list(limit) {
        const rows = await db('accounts').orderBy('created_at').limit(limit);
        return rows.map(toAccount);
      },
      async listBySubscription(subscriptionId, limit) {
        const rows = await db('accounts').where({ subscription_id: subscriptionId }).orderBy('user_number').orderBy('username').limit(limit);
        return rows.map(toAccount);
      },
      async update(id, patch) {
        const row: Record<string, unknown> = { updated_at: clock.now() };
        if (patch.familyName !== undefined) row.family_name = patch.familyName;
        if (patch.givenName !== undefined) row.given_name = patch.givenName;
        if (patch.email !== undefined) row.email = patch.email;
        if (patch.emailVerified !== undefined) row.email_verified = patch.emailVerified;
        if (patch.locale !== undefined) row.locale = patch.locale;
        if (patch.preferences !== undefined) row.preferences = json(patch.preferences);
        if (patch.status !== undefined) row.status = patch.status;
        try {
          return (await db('accounts').where({ id }).update(row)) > 0 ? 'updated' : 'not_found';
        } catch (e) {
          if ((e as { code?: string }).code === '23505' && String((e as Error).message).includes('accounts_email_ci')) return 'email_taken';
          throw e;
        }
      },
    },
    securityAnswers: {
      async list(accountId) {
        const rows = await db('security_answers').where({ account_id: accountId }).orderBy('position');
        return rows.map((r: Record<string, any>) => ({ position: Number(r.position), questionId: r.question_id, answerHash: r.answer_hash, setAt: asDate(r.set_at) }));
      },
      async replace(accountId, answers, at) {
        await db.transaction(async (trx) => {
          await trx('security_answers').where({ account_id: accountId }).delete();
          if (answers.length > 0) await trx('security_answers').insert(answers.map((a) => ({ account_id: accountId, position: a.position, question_id: a.questionId, answer_hash: a.answerHash, set_at: at })));
        });
      },
    },
    temporarySecrets: {
      async issue(input, at) {
        const [row] = await db('temporary_secrets')
          .insert({ id: newId(), account_id: input.accountId, kind: input.kind, secret_hash: input.secretHash, purpose: input.purpose, issued_by: input.issuedBy, expires_at: input.expiresAt, created_at: at })
          .onConflict('account_id')
          .merge(['id', 'kind', 'secret_hash', 'purpose', 'issued_by', 'expires_at', 'created_at'])
          .returning('*');
        return toTemporarySecret(row);
      },
      async find(accountId) {
        const row = await db('temporary_secrets').where({ account_id: accountId }).first();
        return row ? toTemporarySecret(row) : null;
      },
      async consume(id) {
        return (await db('temporary_secrets').where({ id }).delete()) > 0;
      },
      async remove(accountId) {
        await db('temporary_secrets').where({ account_id: accountId }).delete();
      },
    },
    credentials: {
      async find(accountId, kind) {
        const row = await db('credentials').where({ account_id: accountId, kind }).first();
        return row ? toCredential(row) : null;
      },
      async upsert({ accountId, kind, secretHash, setAt, mustChange, expiresAt }) {
        const [row] = await db('credentials')
          .insert({ id: newId(), account_id: accountId, kind, secret_hash: secretHash, set_at: setAt, must_change: mustChange, expires_at: expiresAt, failed_count: 0, blocked_at: null, blocked_until: null, block_count: 0 })
          .onConflict(db.raw(`(account_id, kind) where kind in ('password','pin')`) as unknown as string)
          .merge(['secret_hash', 'set_at', 'must_change', 'expires_at', 'failed_count', 'blocked_at', 'blocked_until', 'block_count'])
          .returning('*');
        return toCredential(row);
      },
      async findById(id) {
        const row = await db('credentials').where({ id }).first();
        return row ? toCredential(row) : null;
      },
      async listForAccount(accountId) {
        return (await db('credentials').where({ account_id: accountId }).orderBy('kind')).map(toCredential);
      },
      async recordFailures(id, failedCount) {
        await db('credentials').where({ id }).update({ failed_count: db.raw('greatest(failed_count, ?)', [failedCount]) });
      },
      async block(id, at, until) {
        await db('credentials')
          .where({ id })
          .update(until ? { blocked_until: until, block_count: db.raw('block_count + 1'), failed_count: 0 } : { blocked_at: at, blocked_until: null, block_count: db.raw('block_count + 1'), failed_count: 0 });
      },
      async unblock(id) {
        await db('credentials').where({ id }).update({ blocked_at: null, blocked_until: null, block_count: 0, failed_count: 0 });
      },
      async replaceHash(id, secretHash) {
        await db('credentials').where({ id }).update({ secret_hash: secretHash });
      },
      async recordSuccess(id, at, audit) {
        const success = db('credentials').where({ id }).update({ last_used_at: at, failed_count: 0, block_count: 0, blocked_until: null });
        // A data-modifying CTE always runs to completion, within the INSERT's statement.
        if (audit) await db.with('success', success).insert(auditRow(audit, clock.now())).into('audit_events');
        else await success;
      },
      async listExpiring(kind, since, until, limit) {
        const rows = await db('credentials').where({ kind }).andWhere('expires_at', '>=', since).andWhere('expires_at', '<', until).orderBy('expires_at').limit(limit);
        return rows.map(toCredential);
      },
    },
    clients: {
      async find(clientId) {
        const row = await db('oidc_clients').where({ client_id: clientId }).first();
        return row ? toClient(row) : null;
      },
      async list() {
        return (await db('oidc_clients').orderBy('client_id')).map(toClient);
      },
      async save({ clientId, metadata, firstParty }) {
        const [row] = await db('oidc_clients')
          .insert({ client_id: clientId, metadata: json(metadata), first_party: firstParty, created_at: clock.now() })
          .onConflict('client_id')
          .merge(['metadata', 'first_party'])
          .returning('*');
        return toClient(row);
      },
      async remove(clientId) {
        return (await db('oidc_clients').where({ client_id: clientId }).delete()) > 0;
      },
    },
    keys: {
      async list(use) {
        const rows = await db('provider_keys').where({ use }).orderBy('created_at').orderBy('id');
        return rows.map((r: Record<string, any>) => ({ id: r.id, use: r.use, alg: r.alg, material: r.material, createdAt: asDate(r.created_at) }));
      },
      async insertIfAbsent(key) {
        await db('provider_keys').insert({ id: key.id, use: key.use, alg: key.alg, material: key.material, created_at: clock.now() }).onConflict('id').ignore();
      },
    },
    audit: {
      async record(event) {
        await db('audit_events').insert(auditRow(event, clock.now()));
      },
      async list({ accountId, action, limit = 100 }) {
        const q = db('audit_events').orderBy('id', 'desc').limit(limit);
        if (accountId) q.where({ account_id: accountId });
        if (action) q.where({ action });
        const rows = await q;
        return rows.map((r: Record<string, any>) => ({
          id: Number(r.id),
          at: asDate(r.at),
          action: r.action,
          result: r.result,
          actor: r.actor,
          accountId: r.account_id,
          clientId: r.client_id,
          ip: r.ip,
          userAgent: r.user_agent,
          reason: r.reason,
          details: asJson<Record<string, unknown>>(r.details),
        }));
      },
    },
    async ping() {
      await db.raw('select 1');
    },
    async close() {
      await db.destroy();
    },
  };
}
