import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
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
  const release = lockEmbeddedDatabase(resolve(options.dataDir, 'pg.lock'));
  const db = knexFactory({ client: ClientPgLite as unknown as typeof Knex.Client, dialect: 'postgres', connection: { filename: folder } } as Knex.Config);
  locks.set(db, release);
  return db;
}

const locks = new WeakMap<Knex, () => void>();

/** Closes the database and, for the embedded one, gives its folder back to other processes. */
export async function closeDatabase(db: Knex): Promise<void> {
  try {
    await db.destroy();
  } finally {
    locks.get(db)?.();
  }
}

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it.
 * A lock file holds the owner's pid; a live owner means refusal, a dead one is taken over.
 */
export function lockEmbeddedDatabase(path: string): () => void {
  const claim = () => writeFileSync(path, String(process.pid), { flag: 'wx' });
  try {
    claim();
  } catch {
    const owner = Number(readFileSync(path, 'utf8'));
    let alive = false;
    try {
      alive = owner > 0 && (owner === process.pid || process.kill(owner, 0));
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`the embedded database in ${path.replace(/pg\.lock$/, '')} is in use by process ${owner}: stop it first, or set DATABASE_URL to a PostgreSQL server`);
    unlinkSync(path);
    claim();
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  process.once('exit', release);
  return release;
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
