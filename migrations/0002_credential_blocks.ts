import type { Knex } from 'knex';

/** Temporary blocks (PSD2 RTS art. 4(4)): until when, and how many so far before a permanent one. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('credentials', (t) => {
    t.timestamp('blocked_until', { useTz: true });
    t.integer('block_count').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('credentials', (t) => {
    t.dropColumn('blocked_until');
    t.dropColumn('block_count');
  });
}
