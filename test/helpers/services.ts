import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** The real services on this machine (TOOLCHAIN.md); CI runs against the same ones. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.href;
};

/** A fresh database for one test file, dropped by `drop()`; files run in parallel without meeting. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `guichet_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: withDatabase(TEST_DATABASE_URL, name),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A Redis key prefix of its own for one test file. */
export const testRedisPrefix = (): string => `guichet-test:${randomBytes(6).toString('hex')}:`;
