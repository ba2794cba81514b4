import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { Config } from './config/schema.js';
import type { ExpiringStore, Repositories } from './domain/ports.js';
import type { PasswordHasher } from './domain/password-hasher.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createSecretBox } from './lib/encryption.js';
import { openDatabase, migrate } from './persistence/database.js';
import { createKnexRepositories } from './persistence/knex-repositories.js';
import { createRedisStore } from './persistence/redis-store.js';
import { createMemoryStore } from './persistence/memory-store.js';
import { createArgon2Hasher } from './authenticators/argon2-hasher.js';
import { createPasswordAuthenticator } from './authenticators/password/password-authenticator.js';
import { loadProviderKeys } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { createPageRenderers } from './oidc/pages.js';
import { assembleApp } from './app.js';
import { createAccountAdmin } from './admin/account-admin.js';
import { demoFixture } from './admin/demo-fixture.js';

export interface Container {
  config: Readonly<Config>;
  clock: Clock;
  logger: Logger;
  db: Knex;
  repos: Repositories;
  store: ExpiringStore;
  hasher: PasswordHasher;
  close(): Promise<void>;
}

export interface ContainerOptions {
  clock?: Clock;
  logger?: Logger;
  /** Tests pass a store of their own (for example the memory store on a manual clock). */
  store?: ExpiringStore;
}

/** Storage and services without HTTP: what the CLI needs. Migrates the database on open. */
export async function createCoreContainer(config: Readonly<Config>, options: ContainerOptions = {}): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(db);
  const repos = createKnexRepositories(db, clock);
  const store = options.store ?? (config.redisUrl ? createRedisStore(config.redisUrl, config.redisPrefix) : createMemoryStore(clock));
  const hasher = await createArgon2Hasher(config.password);
  return {
    config,
    clock,
    logger,
    db,
    repos,
    store,
    hasher,
    async close() {
      await store.close();
      await repos.close();
    },
  };
}

/** Applies pending migrations and names them (none when up to date): what `guichet migrate` reports. */
export async function migrateDatabase(config: Readonly<Config>): Promise<string[]> {
  const db = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await migrate(db);
  } finally {
    await db.destroy();
  }
}

export interface ServerContainer extends Container {
  provider: Provider;
}

/** Everything: storage, keys, the provider and its pages. The only place concrete parts are built. */
export async function createContainer(config: Readonly<Config>, options: ContainerOptions = {}): Promise<ServerContainer> {
  const core = await createCoreContainer(config, options);
  if (config.seedDemo) await createAccountAdmin(core, 'system:demo-seed').seed(demoFixture(config.issuer));
  const keys = await loadProviderKeys(core.repos.keys, createSecretBox(Buffer.from(config.secretKey, 'base64')));
  const provider = createProvider({ config, repos: core.repos, store: core.store, keys, pages: createPageRenderers(config.defaultLocale) });
  const password = createPasswordAuthenticator({ credentials: core.repos.credentials, hasher: core.hasher });
  assembleApp({ config, provider, repos: core.repos, store: core.store, password, clock: core.clock, logger: core.logger });
  return { ...core, provider };
}
