import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createContainer, type ServerContainer } from '../../src/container.js';
import { createAccountAdmin } from '../../src/admin/account-admin.js';
import type { Clock } from '../../src/lib/clock.js';
import type { CaptchaSource, ExpiringStore, Mailer } from '../../src/domain/ports.js';
import { createTestDatabase, testRedisPrefix, TEST_REDIS_URL } from './services.js';
import { createClientCertificateServer, readListenerCredentials } from '../../src/authenticators/x509/tls-listener.js';

/** A port free on 127.0.0.1 now (the listener opens it a moment later, as main.ts would). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface RunningGuichet {
  url: string;
  container: ServerContainer;
  server: Server;
  /** Every log line the provider wrote, to assert on (and to prove no secret is logged). */
  logs: string[];
  /** `https://localhost:<port>` of the client-certificate listener, with `certificateListener`. */
  certificateUrl?: string;
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
  /**
   * Also open Guichet's client-certificate TLS listener, as main.ts does, on a free port of
   * 127.0.0.1 (`x509.tls.port` is set to it; the test gives `x509.enabled`, `caFiles` and
   * `tls.keyFile`/`tls.certFile`). Its origin is `certificateUrl`.
   */
  certificateListener?: boolean;
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
/**
 * Tests run under the `basic` SCA profile unless they set `sca.profile`: most test one rule at a
 * time, and the PSD2 profile's first-access SCA would ask every login for a second factor. The
 * SCA policy's own tests (test/e2e/sca-policy.test.ts) set `psd2`.
 */
const withTestDefaults = (config: Record<string, unknown> = {}): Record<string, unknown> => ({ ...config, sca: { profile: 'basic', ...((config.sca as Record<string, unknown> | undefined) ?? {}) } });

export async function startGuichet(options: StartOptions = {}): Promise<RunningGuichet> {
  // Validate first: an invalid configuration must fail the test, not leave a server open.
  loadConfig({}, { databaseUrl: 'postgres://check', redisUrl: TEST_REDIS_URL, seedDemo: false, ...withTestDefaults(options.config) });
  const database = options.databaseUrl ? null : await createTestDatabase();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  const tlsPort = options.certificateListener ? await freePort() : 0;
  const x509 = (options.config?.x509 ?? {}) as Record<string, unknown>;
  let config: Readonly<Config>;
  try {
    config = loadConfig({}, {
      issuer: url,
      databaseUrl: options.databaseUrl ?? database!.url,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: options.redisPrefix ?? testRedisPrefix(),
      logLevel: 'info',
      seedDemo: false,
      ...withTestDefaults(options.config),
      ...(options.certificateListener ? { x509: { ...x509, tls: { ...((x509.tls as Record<string, unknown> | undefined) ?? {}), port: tlsPort } } } : {}),
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
  const certificateServer = options.certificateListener ? createClientCertificateServer({ ...(await readListenerCredentials(config.x509)), handler: container.provider.callback() }) : null;
  if (certificateServer) await new Promise<void>((resolve) => certificateServer.listen(tlsPort, '127.0.0.1', resolve));
  const admin = createAccountAdmin(container, 'test');
  return {
    url,
    container,
    server,
    logs,
    admin,
    ...(certificateServer ? { certificateUrl: `https://localhost:${tlsPort}` } : {}),
    async stop() {
      if (certificateServer) {
        certificateServer.closeAllConnections();
        await new Promise<void>((resolve) => certificateServer.close(() => resolve()));
      }
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
