import type { Knex } from 'knex';

/**
 * Account life cycle: security-question answers (argon2id hashes of normalised answers) and
 * temporary secrets (an e-mailed recovery password or an administrator's temporary code). A
 * temporary secret never replaces the account's own secret: it sits beside it until used once, so
 * asking for one changes nothing for the owner (OWASP Forgot Password CS).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('security_answers', (t) => {
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.text('question_id').notNullable();
    t.text('answer_hash').notNullable();
    t.timestamp('set_at', { useTz: true }).notNullable();
    t.primary(['account_id', 'position']);
    t.unique(['account_id', 'question_id']);
  });
  await knex.schema.createTable('temporary_secrets', (t) => {
    t.text('id').primary();
    // One live temporary secret per account: issuing a newer one replaces (cancels) the older.
    t.text('account_id').notNullable().unique().references('accounts.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('secret_hash').notNullable();
    t.text('purpose').notNullable();
    t.text('issued_by');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.raw(`alter table temporary_secrets add constraint temporary_secrets_kind_check check (kind in ('password','pin'))`);
  await knex.raw(`alter table temporary_secrets add constraint temporary_secrets_purpose_check check (purpose in ('recovery','admin'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('temporary_secrets');
  await knex.schema.dropTableIfExists('security_answers');
}
