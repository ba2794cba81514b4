import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from '../../migrations/index.js';

/** Postgres when a URL is given, else the embedded PGlite in `dataDir/pg` (one process only). */
export function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string }): Knex {
  if (options.databaseUrl) {
    // Fail fast while Postgres is unreachable (503) instead of queueing requests for a minute.
    return knexFactory({ client: 'pg', connection: options.databaseUrl, pool: { min: 0, max: 10 }, acquireConnectionTimeout: 3000 });
  }
  const folder = resolve(options.dataDir, 'pg');
  mkdirSync(folder, { recursive: true });
  return knexFactory({ client: ClientPgLite as unknown as typeof Knex.Client, dialect: 'postgres', connection: { filename: folder } } as Knex.Config);
}

/**
 * Applies pending migrations. Several processes starting together race for knex's lock (or to
 * create its tables): the losers wait and retry, then find nothing left to do.
 */
export async function migrate(db: Knex, attempts = 40): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
      return applied;
    } catch (e) {
      const message = (e as Error).message ?? '';
      const racing = (e as Error).name === 'MigrationLocked' || /already locked|already exists|duplicate key/i.test(message);
      if (!racing || attempt >= attempts) throw e;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
