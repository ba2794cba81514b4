import type { Knex } from 'knex';
import * as foundation from './0001_foundation.js';
import * as credentialBlocks from './0002_credential_blocks.js';
import * as factorCredentials from './0003_factor_credentials.js';
import * as accountLifeCycle from './0004_account_life_cycle.js';

/**
 * Migrations are listed here rather than discovered on disk, so that they run the same from the
 * TypeScript sources, the compiled build and inside Jest. Forward-only: append, never edit.
 */
const MIGRATIONS: Record<string, Pick<Knex.Migration, 'up' | 'down'>> = {
  '0001_foundation': foundation,
  '0002_credential_blocks': credentialBlocks,
  '0003_factor_credentials': factorCredentials,
  '0004_account_life_cycle': accountLifeCycle,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = MIGRATIONS[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration as Knex.Migration;
  },
};
