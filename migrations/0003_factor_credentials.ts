import type { Knex } from 'knex';

/**
 * Strong factors keep their material in the credentials table: sealed JSON (AES-256-GCM) for what
 * must be read back (OATH seeds, CAP keys, WebAuthn public keys), a monotonic counter advanced
 * atomically (TOTP step, HOTP counter, CAP ATC, WebAuthn sign count), and a lookup key for factors
 * found without an account (WebAuthn credential id, certificate thumbprint).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('credentials', (t) => {
    t.text('label');
    t.text('sealed_data');
    t.bigInteger('counter');
    t.text('lookup');
  });
  await knex.raw('create unique index credentials_lookup on credentials (kind, lookup) where lookup is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists credentials_lookup');
  await knex.schema.alterTable('credentials', (t) => {
    t.dropColumn('label');
    t.dropColumn('sealed_data');
    t.dropColumn('counter');
    t.dropColumn('lookup');
  });
}
