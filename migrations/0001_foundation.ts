import type { Knex } from 'knex';

/** Subscriptions, accounts, secret credentials, OIDC clients, provider keys, audit events. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('subscriptions', (t) => {
    t.text('id').primary();
    t.text('identifier').notNullable().unique();
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('accounts', (t) => {
    t.text('id').primary();
    t.text('subscription_id').references('subscriptions.id').onDelete('RESTRICT');
    t.text('username');
    t.text('user_number');
    t.text('status').notNullable().defaultTo('active');
    t.text('family_name');
    t.text('given_name');
    t.text('email');
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.text('locale').notNullable().defaultTo('fr');
    t.jsonb('roles').notNullable().defaultTo('[]');
    t.text('profile');
    t.jsonb('preferences').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['subscription_id', 'user_number']);
  });
  await knex.raw(`alter table accounts add constraint accounts_status_check check (status in ('active','suspended','blocked','pending_registration'))`);
  await knex.raw('create unique index accounts_username_ci on accounts (lower(username))');
  await knex.raw('create unique index accounts_email_ci on accounts (lower(email))');

  await knex.schema.createTable('credentials', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('secret_hash');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('set_at', { useTz: true }).notNullable();
    t.boolean('must_change').notNullable().defaultTo(false);
    t.timestamp('expires_at', { useTz: true });
    t.integer('failed_count').notNullable().defaultTo(0);
    t.timestamp('blocked_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`create unique index credentials_one_secret_per_kind on credentials (account_id, kind) where kind in ('password','pin')`);

  await knex.schema.createTable('oidc_clients', (t) => {
    t.text('client_id').primary();
    t.jsonb('metadata').notNullable();
    t.boolean('first_party').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('provider_keys', (t) => {
    t.text('id').primary();
    t.text('use').notNullable();
    t.text('alg').notNullable();
    t.text('material').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('action').notNullable();
    t.text('result').notNullable();
    t.text('actor');
    t.text('account_id');
    t.text('client_id');
    t.text('ip');
    t.text('user_agent');
    t.text('reason');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['account_id', 'at']);
    t.index(['action', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'provider_keys', 'oidc_clients', 'credentials', 'accounts', 'subscriptions']) {
    await knex.schema.dropTableIfExists(table);
  }
}
