import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createContainer, type ServerContainer } from '../../src/container.js';
import { createAccountAdmin } from '../../src/admin/account-admin.js';
import type { Clock } from '../../src/lib/clock.js';
import type { CaptchaSource, ExpiringStore, Mailer } from '../../src/domain/ports.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from './services.js';

export interface RunningGuichet {
  url: string;
  container: ServerContainer;
  server: Server;
  /** Every log line the provider wrote, to assert on (and to prove no secret is logged). */
  logs: string[];
  admin: ReturnType<typeof createAccountAdmin>;
  stop(): Promise<void>;
}

export interface StartOptions {
  config?: Record<string, unknown>;
  clock?: Clock;
  store?: ExpiringStore;
  /** Reuse an existing database (two processes sharing one); else a fresh one is made and dropped. */
  databaseUrl?: string;
  redisPrefix?: string;
  captchaSource?: CaptchaSource;
  mailer?: Mailer;
}

/** A captcha whose answers the test reads: the product's captcha code path, with a known source. */
export function knownCaptcha(): CaptchaSource & { answers: string[] } {
  const answers: string[] = [];
  return {
    answers,
    create() {
      const answer = `K${answers.length}X${Math.floor(Math.random() * 1000)}`;
      answers.push(answer);
      return { answer, svg: `<svg xmlns="http://www.w3.org/2000/svg" width="150" height="50"><text x="10" y="30">${answer}</text></svg>` };
    },
  };
}

/** Starts Guichet on a free port against the real Postgres (own database) and Redis (own prefix). */
export async function startGuichet(options: StartOptions = {}): Promise<RunningGuichet> {
  // Validate first: an invalid configuration must fail the test, not leave a server open.
  loadConfig({}, { databaseUrl: 'postgres://check', redisUrl: TEST_REDIS_URL, seedDemo: false, ...options.config });
  const database = options.databaseUrl ? null : await createTestDatabase();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  let config: Readonly<Config>;
  try {
    config = loadConfig({}, {
      issuer: url,
      databaseUrl: options.databaseUrl ?? database!.url,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: options.redisPrefix ?? testRedisPrefix(),
      logLevel: 'info',
      seedDemo: false,
      ...options.config,
    });
  } catch (e) {
    server.close();
    await database?.drop();
    throw e;
  }
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const container = await createContainer(config, { clock: options.clock, logger, store: options.store, captchaSource: options.captchaSource, mailer: options.mailer });
  server.on('request', container.provider.callback());
  const admin = createAccountAdmin(container, 'test');
  return {
    url,
    container,
    server,
    logs,
    admin,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.close();
      await database?.drop();
    },
  };
}

export const TEST_CLIENT = {
  client_id: 'test-rp',
  client_secret: 'test-rp-secret-value-long-enough-0123456789',
  redirect_uris: ['https://rp.example.test/cb'],
  post_logout_redirect_uris: ['https://rp.example.test/logged-out'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  client_name: 'Test RP',
};

/** Seeds one subscription, one account with a password, the confidential test client. */
export async function seedBasics(g: RunningGuichet, extra: { firstParty?: boolean } = {}) {
  await g.admin.seed({
    subscriptions: [{ identifier: 'SUB-1', name: 'Subscription one' }],
    accounts: [
      { username: 'alice', subscription: 'SUB-1', userNumber: '01', status: 'active', familyName: 'Durand', givenName: 'Alice', email: 'alice@example.com', emailVerified: true, locale: 'fr', roles: ['full'], profile: 'full', preferences: { defaultContract: 'C-42' }, password: 'correct horse battery staple', passwordMustChange: false },
      { username: 'bob', subscription: 'SUB-1', userNumber: '02', status: 'suspended', emailVerified: false, locale: 'en', roles: [], preferences: {}, password: 'bob password 1234', passwordMustChange: false },
    ],
    clients: [{ ...TEST_CLIENT, first_party: extra.firstParty ?? true }],
  });
}
